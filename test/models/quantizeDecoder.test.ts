/**
 * The quantize A/B on the shared decoders: int8 (dynamic) and int4 (MatMulNBits) judged by greedy
 * token agreement. The A/B's generations (the tokens job) are checked against `bench --generate`
 * run separately on each model from the same prompts, and the README's reference ids.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBenchmark, runConversion, runGreedy } from '../../server/src/bench/runner';
import { compareModels } from '../../server/src/quantize/ab';
import { idAgreement } from '../../server/src/quantize/greedyAgreement';
import { SHARED_MODELS } from '../helpers/paths';

const PROMPTS = [Array.from({ length: 16 }, (_, i) => i + 1), [5, 900, 77, 3021, 18, 6400, 250, 4096]];
const STEPS = 8;
const README_IDS: Record<string, number[]> = {
  'decoder_gpt2_tiny.onnx': Array(9).fill(487),
  'decoder_llama_tiny.onnx': [1900, 6904, 6904, 6904, 2698, 6904, 2698, 6904, 2698],
};

describe('quantize A/B on the shared decoders: greedy token agreement', function () {
  this.timeout(240000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-qdec-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(README_IDS)) {
    it(`${name}: the reference ids, and int8/int4 agreement equal to bench --generate's ids`, async () => {
      const src = path.join(SHARED_MODELS, name);
      const fp32 = await runGreedy(src, PROMPTS, STEPS);
      assert.deepStrictEqual(fp32[0].ids, README_IDS[name]);
      for (const method of ['int8-dynamic', 'int4-weight'] as const) {
        const out = path.join(dir, name.replace('.onnx', `.${method}.onnx`));
        await runConversion(src, { method, out });
        const ab = await compareModels(src, out, { bench: false, count: 1, generation: { prompts: PROMPTS, newTokens: STEPS }, context: { method } });
        const g = ab.generation!;
        for (const [i, prompt] of PROMPTS.entries()) {
          const gen = async (f: string): Promise<number[]> => (await runBenchmark(f, { minRuns: 1, minTimeS: 0, maxTimeS: 10, generate: { promptIds: prompt, newTokens: STEPS } })).generation!.generatedIds;
          const [ia, ib] = [await gen(src), await gen(out)];
          assert.deepStrictEqual(ia, fp32[i].ids, 'the tokens job and bench --generate generate the same ids');
          const ag = idAgreement(ia, ib);
          assert.strictEqual(g.perPrompt[i].agreement, ag.same, `${method} prompt ${i}`);
          assert.strictEqual(g.firstDivergence[i], ag.firstDivergence, `${method} prompt ${i}`);
        }
        assert.ok(g.logitsCosine > 0.9 && g.logitsCosine <= 1 + 1e-9, `${method}: logits cosine ${g.logitsCosine}`);
        assert.strictEqual(ab.accurate, g.tokenAgreement >= ab.thresholds.minTokenAgreement);
      }
    });
  }
});
