// The long fuzz run (`npm run fuzz [cases] [seed]`, default 100,000): mutated generated and real models
// through the reader, shapes, cost, rules, text view and hovers. Each crash is written to
// test/fixtures/fuzz/ (the regression suite replays every file there) and the run exits 1.
import * as fs from 'fs';
import * as path from 'path';
import { fuzz, generatedSeeds, realSeeds } from '../test/helpers/fuzzModels';
import { REPO } from '../test/helpers/paths';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const seeds = [...generatedSeeds(), ...realSeeds()];
const out = path.join(REPO, 'test', 'fixtures', 'fuzz');
const t0 = Date.now();
const seen = new Set<string>();
const stats = fuzz(seeds, cases, seed, path.join(REPO, 'fuzz-case.onnx'), (c) => {
  const key = `${c.stage}: ${c.message.split('\n')[0]}`;
  if (seen.has(key)) return;
  seen.add(key);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `crash-${c.seed}.onnx`), c.bytes);
  console.log(`crash (case seed ${c.seed}) in ${c.message.split('\n').slice(0, 3).join(' | ')}`);
});
console.log(JSON.stringify({ cases: stats.cases, seeds: seeds.length, outcomes: stats.outcomes, mutations: stats.byMutation, crashes: stats.crashes.length, distinctCrashes: seen.size, seconds: (Date.now() - t0) / 1000 }));
process.exitCode = stats.crashes.length ? 1 : 0;
