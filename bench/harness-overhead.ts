/**
 * How much the harness itself adds, and how stable its figures are.
 *
 * 1. Overhead: the harness's measuring loop (server/src/bench/measure.ts, what the worker runs) against
 *    a bare `await session.run(feeds)` loop, on the same session and inputs in this process,
 *    interleaved in rounds so drift hits both alike. Goal: p50 ratio within 3 %.
 * 2. The same figure end to end: runBenchmark (child process, own session) vs the bare loop here.
 * 3. Stability: runBenchmark repeated on one model: spread of the p50s and the CVs the harness saw.
 * 4. p50 of every shared model at reference.json's dims (batch 1, seq 128, …), next to its ortP50Ms.
 *
 * Run: npm run bench -- harness-overhead   (INFERENCE_LENS_MODELS overrides the models folder)
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { modelSignature, synthesizeForModel } from '../server/src/bench/inputs';
import { measure, timeRun } from '../server/src/bench/measure';
import { table } from '../server/src/bench/report';
import { runBenchmark } from '../server/src/bench/runner';
import { latencyStats } from '../server/src/bench/stats';
import { readModelFile } from '../server/src/onnx/reader';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof Ort;
const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models'); // out/run/bench → repo/..
const median = (xs: number[]): number => latencyStats(xs).p50;
const f3 = (v: number): string => v.toFixed(3);

async function feedsFor(file: string): Promise<{ session: Ort.InferenceSession; feeds: Record<string, Ort.Tensor> }> {
  const session = await ort.InferenceSession.create(file);
  const syn = synthesizeForModel(readModelFile(file), { seed: 1 });
  const feeds: Record<string, Ort.Tensor> = {};
  for (const t of syn.tensors) feeds[t.name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
  return { session, feeds };
}

async function overhead(file: string, rounds: number, runsPerRound: number): Promise<string[]> {
  const { session, feeds } = await feedsFor(file);
  const run = (): Promise<unknown> => session.run(feeds);
  for (let i = 0; i < 20; i++) await run();
  const bare: number[] = [];
  const ours: number[] = [];
  const bareRound = async (): Promise<number> => {
    const b: number[] = [];
    for (let i = 0; i < runsPerRound; i++) b.push(await timeRun(run)); // bare: nothing but the clock
    return median(b);
  };
  const oursRound = async (): Promise<number> =>
    latencyStats((await measure(run, { minRuns: runsPerRound, minTimeS: 0, maxTimeS: 1e9 })).samples).p50;
  // Short rounds in ABBA order, compared pairwise: neither loop always runs first, and each pair sits
  // close in time, so the load of a shared machine falls on both sides of a ratio alike.
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [b, o] = r % 2 === 0 ? [await bareRound(), await oursRound()] : (([x, y]) => [y, x])([await oursRound(), await bareRound()]);
    bare.push(b);
    ours.push(o);
    ratios.push(o / b);
  }
  await session.release();
  const bareP50 = median(bare);
  const oursP50 = median(ours);
  return [path.basename(file), f3(bareP50), f3(oursP50), median(ratios).toFixed(3), String(rounds * runsPerRound)];
}

/** BENCH_SECTIONS=0,1 runs only those sections (all by default). */
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? '0,1,2,3,4').split(',').map(Number));

async function main(): Promise<void> {
  const models = ['mlp_mnist_like.onnx', 'squeezenet1_1.onnx', 'bert_small_like.onnx'].map((m) => path.join(MODELS, m));

  if (SECTIONS.has(0)) {
    console.log('0. the loop\'s own cost per run: harness loop vs bare loop around an empty async call');
    const noop = async (): Promise<void> => undefined;
    const emptyBare: number[] = [];
    const emptyOurs: number[] = [];
    for (let r = 0; r < 9; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 20000; i++) await timeRun(noop);
      emptyBare.push(Number(process.hrtime.bigint() - t0) / 1e3 / 20000);
      const t1 = process.hrtime.bigint();
      await measure(noop, { minRuns: 20000, minTimeS: 0, maxTimeS: 1e9 });
      emptyOurs.push(Number(process.hrtime.bigint() - t1) / 1e3 / 20000);
    }
    console.log(`   bare ${median(emptyBare).toFixed(2)} µs/run, harness ${median(emptyOurs).toFixed(2)} µs/run: the harness adds ${(median(emptyOurs) - median(emptyBare)).toFixed(2)} µs per run\n`);
  }

  if (SECTIONS.has(1)) {
    console.log('1. harness loop vs bare session.run loop (same session, same inputs, interleaved rounds)');
    const rows = [['model', 'bare p50 ms', 'harness p50 ms', 'median pair ratio', 'runs each']];
    for (const m of models) rows.push(await overhead(m, 21, m.includes('mlp') ? 200 : 10));
    console.log(table(rows).join('\n'));
  }

  if (SECTIONS.has(2)) {
    console.log('\n2. end to end: runBenchmark (child process, its own session) vs a bare loop here');
    const e2e = [['model', 'bare p50 ms', 'runBenchmark p50 ms', 'ratio']];
    for (const m of models) {
      const { session, feeds } = await feedsFor(m);
      for (let i = 0; i < 20; i++) await session.run(feeds);
      const bare = latencyStats((await measure(() => session.run(feeds), { minRuns: 50, minTimeS: 2, maxTimeS: 30 })).samples).p50;
      await session.release();
      const r = await runBenchmark(m, { minRuns: 50, minTimeS: 2, seed: 1 });
      e2e.push([path.basename(m), f3(bare), f3(r.latencyMs.p50), (r.latencyMs.p50 / bare).toFixed(3)]);
    }
    console.log(table(e2e).join('\n'));
  }

  if (SECTIONS.has(3)) {
    console.log('\n3. stability: runBenchmark ×5 on the same model (min 2 s each)');
    const stab = [['model', 'p50s ms', 'spread (max−min)/median', 'cv seen (min..max)']];
    for (const m of models.slice(0, 2)) {
      const p50s: number[] = [];
      const cvs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await runBenchmark(m, { minRuns: 50, minTimeS: 2 });
        p50s.push(r.latencyMs.p50);
        cvs.push(r.latencyMs.cv);
      }
      const spread = (Math.max(...p50s) - Math.min(...p50s)) / median(p50s);
      stab.push([path.basename(m), p50s.map(f3).join(' '), `${(spread * 100).toFixed(1)} %`, `${(Math.min(...cvs) * 100).toFixed(0)}..${(Math.max(...cvs) * 100).toFixed(0)} %`]);
    }
    console.log(table(stab).join('\n'));
  }

  if (SECTIONS.has(4)) {
    console.log("\n4. every shared model at reference.json's dims (runBenchmark defaults: ≥ 20 runs and ≥ 1 s)");
    type RefModel = { file: string; ortP50Ms?: number; referenceDims?: number[][]; feed?: Record<string, { dims: number[] }> };
    const ref = JSON.parse(fs.readFileSync(path.join(MODELS, 'reference.json'), 'utf8')) as { models: Record<string, RefModel> };
    /** The reference's input dims, as values of the model's symbolic dims, so both time the same shapes. */
    const refDims = (m: RefModel): Record<string, number> => {
      const dims: Record<string, number> = {};
      modelSignature(readModelFile(path.join(MODELS, m.file))).forEach((input, i) => {
        const values = m.feed?.[input.name]?.dims ?? m.referenceDims?.[i];
        input.shape?.forEach((d, j) => { if (typeof d === 'string' && values?.[j] !== undefined) dims[d] = values[j]; });
      });
      return dims;
    };
    const all = [['model', 'inputs', 'p50 ms', 'p95 ms', 'cv', 'reference ortP50Ms', 'session ms']];
    for (const m of Object.values(ref.models)) {
      try {
        const r = await runBenchmark(path.join(MODELS, m.file), { dims: refDims(m) });
        all.push([m.file, r.inputs.map((i) => `${i.name}[${i.dims}]`).join(' '), f3(r.latencyMs.p50), f3(r.latencyMs.p95), `${(r.latencyMs.cv * 100).toFixed(0)} %`,
          m.ortP50Ms !== undefined ? f3(m.ortP50Ms) : '-', r.sessionCreateMs.toFixed(0)]);
      } catch (e) {
        all.push([m.file, (e as Error).message.slice(0, 60), '-', '-', '-', '-', '-']);
      }
    }
    console.log(table(all).join('\n'));
  }

  console.log('\nGoal for 1: ratio within 1.03. Figures on a shared machine move with its load; compare within one run only.');
}

void main().catch((e) => { console.error(e); process.exit(1); });
