/**
 * Fuzzing the model reader and everything after it (shapes, cost, rules, text view, hovers): seeded,
 * deterministic mutations (truncate, bit-flip, splice, duplicate/drop fields, inflated lengths) of
 * generated models and the repository's small real test models (Silero VAD, the MLP and its external-data copy). Every case must end in a result
 * or an OnnxReadError (ONNX000), with every read inside the file. `npm run fuzz` runs 100,000 cases;
 * crashes it finds land in test/fixtures/fuzz/, replayed here.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { caseBytes, fuzz, FuzzStats, generatedSeeds, realSeeds, runCase } from '../helpers/fuzzModels';
import { FIXTURES } from '../helpers/paths';

/** Cases per run, tuned to stay far below the timeout on a loaded 2-core CI machine (~15 s here). */
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
/** Of those, on the real models (slower per case: subgraphs, hundreds of nodes). */
const REAL_SHARE = 0.05;

function report(s: FuzzStats): string {
  return `${s.cases} cases ${JSON.stringify(s.outcomes)}; crashes: ${s.crashes.slice(0, 3).map((c) => `seed ${c.seed} ${c.message.split('\n').slice(0, 2).join(' ')}`).join('; ')}`;
}

describe('fuzzing the model path', function () {
  this.timeout(180_000);
  const file = path.join(FIXTURES, 'fuzz', 'case.onnx');

  it(`${CASES} mutated models end in a result or ONNX000, never a crash`, () => {
    const real = realSeeds();
    const realCases = real.length ? Math.round(CASES * REAL_SHARE) : 0;
    const a = fuzz([...generatedSeeds(), ...real.filter((b) => b.length < 4096)], CASES - realCases, 1, file);
    const b = fuzz(real, realCases, 2, file);
    assert.deepStrictEqual([...a.crashes, ...b.crashes].map((c) => c.message), [], `${report(a)}\n${report(b)}`);
    assert.strictEqual(a.cases + b.cases, CASES);
    // The mutations must reach past the reader, not only break it.
    assert.ok(a.outcomes.clean + a.outcomes.problems > CASES / 10, report(a));
    assert.ok(a.outcomes.error > CASES / 10, report(a));
  });

  it('is deterministic: a case replays from its seed alone', () => {
    const seeds = generatedSeeds();
    for (const s of [1, 77, 123456]) assert.ok(caseBytes(seeds, s).equals(caseBytes(seeds, s)));
  });

  it('every crash found so far (test/fixtures/fuzz) now ends in a result or ONNX000', () => {
    const dir = path.join(FIXTURES, 'fuzz');
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')) : [];
    for (const f of files) runCase(fs.readFileSync(path.join(dir, f)), file);
  });
});
