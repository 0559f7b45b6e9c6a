// The long fuzz run (`npm run fuzz -- [cases] [seed] [model,model...]`, default 100,000): mutated generated and real models
// through the reader, shapes, cost, rules, text view and hovers. Each crash, and each case slower than
// 1 s, is written to test/fixtures/fuzz/ (the regression suite replays every file there); the run exits 1.
import * as fs from 'fs';
import * as path from 'path';
import { fuzz, generatedSeeds, realSeeds } from '../test/helpers/fuzzModels';
import { REPO } from '../test/helpers/paths';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
// Optional third argument: the shared models to mutate, comma-separated (default: the small ones).
const seeds = [...generatedSeeds(), ...realSeeds(process.argv[4]?.split(','))];
const out = path.join(REPO, 'test', 'fixtures', 'fuzz');
const t0 = Date.now();
const seen = new Set<string>();
const save = (name: string, bytes: Buffer): void => { fs.mkdirSync(out, { recursive: true }); fs.writeFileSync(path.join(out, name), bytes); };
const stats = fuzz(seeds, cases, seed, path.join(REPO, 'fuzz-case.onnx'), {
  slowMs: 1000,
  onCrash: (c) => {
    const key = `${c.stage}: ${c.message.split('\n')[0]}`;
    if (seen.has(key)) return;
    seen.add(key);
    save(`crash-${c.seed}.onnx`, c.bytes);
    console.log(`crash (case seed ${c.seed}) in ${c.message.split('\n').slice(0, 3).join(' | ')}`);
  },
  // A case over a second breaks the time bound a hover needs: saved like a crash.
  onSlow: (c) => { save(`slow-${c.seed}.onnx`, c.bytes); console.log(`slow (case seed ${c.seed}): ${c.ms.toFixed(0)} ms`); },
  onProgress: (s) => { if (s.cases % 10_000 === 0) console.log(`${s.cases} cases, ${s.crashes.length} crashes, ${s.slow.length} slow, ${((Date.now() - t0) / 1000).toFixed(0)} s`); },
});
console.log(JSON.stringify({ cases: stats.cases, seeds: seeds.length, outcomes: stats.outcomes, mutations: stats.byMutation, crashes: stats.crashes.length, distinctCrashes: seen.size, slow: stats.slow.length, seconds: (Date.now() - t0) / 1000 }));
process.exitCode = stats.crashes.length || stats.slow.length ? 1 : 0;
