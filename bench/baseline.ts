/**
 * `bench --baseline` on real runs: does the regression test pass an unchanged model run after run, and flag
 * a model made slower? Model A is an MLP; model B is A with extra layers inserted (about 40 % more MACs).
 * Each round benchmarks A, A again and B in the child process as `inference-lens bench` does, then compares
 * A again and B with A (the baseline, measured in the same round) exactly as `--baseline FILE` does.
 * Goal (issue #13): every unchanged run "unchanged" (no false alarm), every slower run "regression".
 * Usage: node scripts/run-bench.mjs baseline [-- rounds]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBenchmark } from '../server/src/bench/runner';
import { samplesOf } from '../server/src/bench/history';
import { compareLatencies } from '../server/src/bench/regression';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../server/src/onnx/builder';
import { DataType } from '../server/src/onnx/model';

const ROUNDS = Number(process.argv[2] ?? 5);
const WIDTH = 512;

/** `layers` square MatMul + Relu layers of WIDTH after a 256 → WIDTH input layer. */
function mlp(layers: number): Buffer {
  const nodes = [node('MatMul', ['x', 'w0'], ['h0']), node('Relu', ['h0'], ['a0'])];
  const inits = [floatTensor('w0', [256, WIDTH], seededFloats(256 * WIDTH, 1))];
  for (let i = 1; i <= layers; i++) {
    nodes.push(node('MatMul', [`a${i - 1}`, `w${i}`], [`h${i}`]), node('Relu', [`h${i}`], [`a${i}`]));
    inits.push(floatTensor(`w${i}`, [WIDTH, WIDTH], seededFloats(WIDTH * WIDTH, i + 1, 0.02)));
  }
  nodes.push(node('Identity', [`a${layers}`], ['y']));
  return encodeModel(model({ nodes, initializers: inits, inputs: [valueInfo('x', DataType.FLOAT, [8, 256])], outputs: [valueInfo('y', DataType.FLOAT, [8, WIDTH])] }));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-baseline-'));
  const a = path.join(dir, 'a.onnx'), b = path.join(dir, 'b.onnx');
  fs.writeFileSync(a, mlp(5));
  fs.writeFileSync(b, mlp(7)); // 2 more layers of 5 + the input layer: ~ +40 % MACs
  const opts = { warmupRuns: 20, warmupTimeS: 0.3, minRuns: 200, minTimeS: 2, maxTimeS: 10, session: { intraOpNumThreads: 1 } };
  const samples = async (f: string): Promise<number[]> => samplesOf(await runBenchmark(f, opts))!;
  try {
    console.log(`${'round'.padEnd(6)} ${'A again vs A'.padEnd(48)} ${'B (slower) vs A'.padEnd(48)}`);
    let falseAlarms = 0, caught = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      const base = await samples(a);
      const same = compareLatencies(base, await samples(a));
      const slow = compareLatencies(base, await samples(b));
      if (same.verdict === 'regression') falseAlarms++;
      if (slow.verdict === 'regression') caught++;
      const cell = (c: typeof same): string => `${c.verdict} ${((c.ratio - 1) * 100).toFixed(1)} % [${((c.ratioLow - 1) * 100).toFixed(1)}, ${((c.ratioHigh - 1) * 100).toFixed(1)}]`;
      console.log(`${String(r).padEnd(6)} ${cell(same).padEnd(48)} ${cell(slow).padEnd(48)}`);
    }
    console.log(`\nunchanged model flagged: ${falseAlarms}/${ROUNDS} (goal 0); slower model flagged: ${caught}/${ROUNDS} (goal ${ROUNDS})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
