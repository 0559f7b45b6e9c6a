/**
 * The child process that runs models with onnxruntime-node for A/B output agreement (several
 * samples, outputs written to files) and calibration (intermediate tensors' ranges), so a crash or
 * hang in the native runtime never touches the language server. Timing is the benchmark runner's
 * (bench/runner.ts). One task per process: the parent sends a message, the child answers and exits.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { readSamplesFile, Sample, SampleTensor, writeSamplesFile } from './samples';
import { halfToFloat } from './tensorData';
import { exitWithParent } from '../bench/orphanGuard';

export interface RunTask {
  kind: 'run';
  model: string;
  samplesFile: string;
  outDir: string;
  threads?: number;
}

export interface CalibrateTask {
  kind: 'calibrate';
  model: string;
  samplesFile: string;
  tensors: string[];
  method: 'minmax' | 'percentile';
  percentile: number;
  threads?: number;
}

export type WorkerTask = RunTask | CalibrateTask;

export interface RunResult {
  outputs: string[];
  loadMs: number;
}

export interface CalibrateResult {
  ranges: Record<string, { min: number; max: number }>;
}

type Ort = typeof import('onnxruntime-node');

async function session(ort: Ort, model: string, threads?: number): Promise<InferenceSession> {
  return ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all', executionProviders: ['cpu'],
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}

function feeds(ort: Ort, s: Sample): Record<string, OrtTensor> {
  const out: Record<string, OrtTensor> = {};
  for (const [k, t] of Object.entries(s)) {
    const b = Buffer.from(t.data); // aligned copy
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const data =
      t.type === 'float32' ? new Float32Array(ab) : t.type === 'float64' ? new Float64Array(ab) :
      t.type === 'int64' ? new BigInt64Array(ab) : t.type === 'int32' ? new Int32Array(ab) :
      t.type === 'float16' ? new Uint16Array(ab) : t.type === 'int8' ? new Int8Array(ab) : new Uint8Array(ab);
    out[k] = new ort.Tensor(t.type, data, t.dims);
  }
  return out;
}

/** Outputs as float32 (what comparisons need); integer outputs keep their values. */
function toF32(t: OrtTensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (t.type === 'float16' && d instanceof Uint16Array) return Float32Array.from(d, halfToFloat);
  if (d instanceof BigInt64Array) return Float32Array.from(d, (x) => Number(x));
  if (ArrayBuffer.isView(d)) return Float32Array.from(d as unknown as ArrayLike<number>);
  throw new Error(`output of type ${t.type} cannot be compared`);
}

async function run(ort: Ort, t: RunTask): Promise<RunResult> {
  const samples = readSamplesFile(t.samplesFile);
  const t0 = performance.now();
  const sess = await session(ort, t.model, t.threads);
  const loadMs = performance.now() - t0;
  fs.mkdirSync(t.outDir, { recursive: true });
  for (let i = 0; i < samples.length; i++) {
    const res = await sess.run(feeds(ort, samples[i]));
    const out: Sample = {};
    for (const name of sess.outputNames) {
      const v = res[name] as OrtTensor;
      const f = toF32(v);
      out[name] = { type: 'float32', dims: [...v.dims], data: Buffer.from(f.buffer, f.byteOffset, f.byteLength) } as SampleTensor;
    }
    writeSamplesFile([out], path.join(t.outDir, `sample${i}.bin`));
  }
  await sess.release();
  return { outputs: sess.outputNames.slice(), loadMs };
}

/** Per-tensor ranges: min/max, or the percentile of a 2048-bin histogram over the min/max range (second pass). */
async function calibrate(ort: Ort, t: CalibrateTask): Promise<CalibrateResult> {
  const samples = readSamplesFile(t.samplesFile);
  const sess = await session(ort, t.model, t.threads);
  const want = t.tensors.filter((x) => sess.outputNames.includes(x));
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const s of samples) {
    const res = await sess.run(feeds(ort, s), want);
    for (const name of want) {
      const d = toF32(res[name] as OrtTensor);
      const r = ranges[name] ?? (ranges[name] = { min: Infinity, max: -Infinity });
      for (let i = 0; i < d.length; i++) { const v = d[i]; if (v < r.min) r.min = v; if (v > r.max) r.max = v; }
    }
  }
  if (t.method === 'percentile') {
    const BINS = 2048;
    const hists = new Map(want.map((n) => [n, new Float64Array(BINS)]));
    for (const s of samples) {
      const res = await sess.run(feeds(ort, s), want);
      for (const name of want) {
        const d = toF32(res[name] as OrtTensor);
        const { min, max } = ranges[name];
        const h = hists.get(name)!;
        const w = (max - min) / BINS || 1;
        for (let i = 0; i < d.length; i++) h[Math.min(BINS - 1, Math.max(0, Math.floor((d[i] - min) / w)))]++;
      }
    }
    const tail = (100 - t.percentile) / 100;
    for (const name of want) {
      const h = hists.get(name)!;
      const total = h.reduce((a, b) => a + b, 0);
      const { min, max } = ranges[name];
      const w = (max - min) / BINS;
      let acc = 0, lo = 0, hi = BINS - 1;
      for (; lo < BINS; lo++) { acc += h[lo]; if (acc > total * tail) break; }
      acc = 0;
      for (; hi >= 0; hi--) { acc += h[hi]; if (acc > total * tail) break; }
      ranges[name] = { min: min + lo * w, max: min + (hi + 1) * w };
    }
  }
  await sess.release();
  return { ranges };
}

if (require.main === module || process.send) {
  exitWithParent();
  process.once('message', (task: WorkerTask) => {
    void (async () => {
      try {
        const ort = require('onnxruntime-node') as Ort;
        const result = task.kind === 'run' ? await run(ort, task) : await calibrate(ort, task);
        process.send!({ ok: true, result }, undefined, {}, () => process.exit(0));
      } catch (e) {
        process.send!({ ok: false, error: (e as Error).message ?? String(e) }, undefined, {}, () => process.exit(0));
      }
    })();
  });
}
