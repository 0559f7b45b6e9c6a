/**
 * One entry point for every conversion: read the model (structure only), rewrite the graph for the
 * method, write the new file beside the original (never over it) and summarise what changed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../onnx/reader';
import { ModelInfo } from '../onnx/model';
import { runWorker, samplesFor } from './ab';
import { cpuFeatures } from './cpu';
import { Fp16Options, rewriteFp16 } from './fp16';
import { initBytes, toWModel, WModel } from './graph';
import { activationsToCalibrate, rewriteQdq } from './qdq';
import { writeSamplesFile } from './samples';
import { Int4Options, Int8Options, rewriteInt4, rewriteInt8Dynamic, RewriteReport } from './weights';
import { writeModel } from './writer';

export const METHODS = ['int8-dynamic', 'int4-weight', 'fp16', 'int8-static'] as const;
export type Method = typeof METHODS[number];

export interface QuantizeOptions extends Int8Options, Int4Options, Fp16Options {
  method: Method;
  /** Output file (default: beside the input, e.g. model.int8.onnx). */
  out?: string;
  externalData?: boolean | 'auto';
  /** int8-static: folder of .npy calibration samples; synthetic samples otherwise (a weak proxy). */
  calibrationDir?: string;
  calibrationMethod?: 'minmax' | 'percentile';
  /** For 'percentile' (default 99.99). */
  percentile?: number;
  calibrationSamples?: number;
  /** int8-static: ranges measured earlier (the accuracy-guided search calibrates once). */
  ranges?: Record<string, { min: number; max: number }>;
  dims?: Record<string, number>;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface ConversionSummary {
  method: Method;
  input: string;
  output: string;
  dataFile?: string;
  bytesBefore: number;
  bytesAfter: number;
  sizeRatio: number;
  /** Bytes of the weights the method targets (MatMul/Gemm/Gather/Conv weights) before and after. */
  nodesConverted: number;
  convertedByOp: Record<string, number>;
  converted: RewriteReport['converted'];
  skipped: RewriteReport['skipped'];
  notes: string[];
  options: Record<string, unknown>;
  calibration?: { source: 'real' | 'synthetic'; samples: number; method: string; tensors: number };
  seconds: number;
}

const SUFFIX: Record<Method, string> = { 'int8-dynamic': 'int8', 'int4-weight': 'int4', fp16: 'fp16', 'int8-static': 'qdq' };

export function defaultOutPath(input: string, method: Method): string {
  const p = path.parse(input);
  return path.join(p.dir, `${p.name}.${SUFFIX[method]}.onnx`);
}

/** Model files plus their external data files. */
export function modelFiles(m: ModelInfo): string[] {
  const files = new Set([m.path]);
  for (const t of m.graph.initializers) if (t.location?.external) files.add(t.location.file);
  return [...files];
}

export function modelSize(m: ModelInfo): number {
  return modelFiles(m).reduce((a, f) => a + fs.statSync(f).size, 0);
}

export async function quantizeModel(input: string, o: QuantizeOptions): Promise<ConversionSummary> {
  const t0 = performance.now();
  o.signal?.throwIfAborted();
  const src = readModelFile(input);
  if (src.problems.length) throw new Error(`${path.basename(input)} cannot be converted: ${src.problems[0].message}`);
  const out = path.resolve(o.out ?? defaultOutPath(input, o.method));
  const protectedFiles = new Set(modelFiles(src).map((f) => path.resolve(f)));
  if (protectedFiles.has(out) || protectedFiles.has(`${out}.data`)) throw new Error(`refusing to write ${out}: it is the original model (or its data); choose another --out`);
  const report: ConversionSummary = {
    method: o.method, input: path.resolve(input), output: out, bytesBefore: modelSize(src), bytesAfter: 0, sizeRatio: 0,
    nodesConverted: 0, convertedByOp: {}, converted: [], skipped: [], notes: [], options: {}, seconds: 0,
  };
  const w = toWModel(src);
  o.onProgress?.(`rewriting the graph (${o.method})`);
  const r = await rewrite(w, src, o, report);
  report.converted = r.converted; report.skipped = r.skipped; report.notes.push(...r.notes);
  report.nodesConverted = r.converted.length;
  for (const c of r.converted) report.convertedByOp[c.from] = (report.convertedByOp[c.from] ?? 0) + 1;
  if (!r.converted.length) report.notes.push('nothing was converted: the model has no weights this method applies to (see skipped)');
  o.onProgress?.(`writing ${path.basename(out)}`);
  const sourceHadExternal = src.graph.initializers.some((t) => t.location?.external);
  const res = await writeModel(w, out, { externalData: o.externalData ?? 'auto', sourceHadExternal, signal: o.signal });
  report.dataFile = res.dataFile;
  report.bytesAfter = res.bytes;
  report.sizeRatio = res.bytes / report.bytesBefore;
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

async function rewrite(w: WModel, src: ModelInfo, o: QuantizeOptions, summary: ConversionSummary): Promise<RewriteReport> {
  switch (o.method) {
    case 'int8-dynamic': {
      const cpu = cpuFeatures();
      // Without VNNI, u8×s8 products go through vpmaddubsw, whose int16 sums can saturate: 7-bit weights avoid it.
      const reduceRange = o.reduceRange ?? (cpu.known && !cpu.vnni);
      const opts = { perChannel: !!o.perChannel, signedWeights: o.signedWeights ?? true, reduceRange, embeddings: o.embeddings ?? true, minWeightElements: o.minWeightElements, exclude: o.exclude };
      summary.options = { ...opts, cpuVnni: cpu.vnni };
      const r = rewriteInt8Dynamic(w, opts);
      r.notes.push(`weights ${opts.signedWeights ? 'int8 symmetric' : 'uint8 asymmetric'}, ${opts.perChannel ? 'per column' : 'per tensor'}${reduceRange ? ', reduce_range (7-bit) because this CPU lacks VNNI' : ''}; activations quantized to uint8 at run time`);
      return r;
    }
    case 'int4-weight': {
      const opts = { blockSize: o.blockSize ?? 32, symmetric: o.symmetric ?? true, accuracyLevel: o.accuracyLevel ?? 4, minWeightElements: o.minWeightElements, exclude: o.exclude };
      if (![32, 64, 128].includes(opts.blockSize)) throw new Error(`block size must be 32, 64 or 128, not ${opts.blockSize}`);
      summary.options = opts;
      return rewriteInt4(w, opts);
    }
    case 'fp16': {
      const opts = { keepIoTypes: o.keepIoTypes ?? true, opBlockList: o.opBlockList, exclude: o.exclude };
      summary.options = { keepIoTypes: opts.keepIoTypes, opBlockList: opts.opBlockList ?? 'default' };
      return rewriteFp16(w, opts);
    }
    case 'int8-static': {
      const method = o.calibrationMethod ?? 'minmax';
      const percentile = o.percentile ?? 99.99;
      const tensors = activationsToCalibrate(w.graph, o.exclude);
      o.onProgress?.(`calibrating ${tensors.length} activations (${method})`);
      const { samples, real } = samplesFor(src, { inputsDir: o.calibrationDir, count: o.calibrationSamples ?? 8, dims: o.dims });
      const ranges = o.ranges ?? await calibrate(src, tensors, samples, method, percentile, o.signal);
      o.ranges = ranges;
      summary.calibration = { source: real ? 'real' : 'synthetic', samples: samples.length, method: method === 'percentile' ? `percentile ${percentile}` : 'minmax', tensors: tensors.length };
      summary.options = { calibrationMethod: method, ...(method === 'percentile' ? { percentile } : {}) };
      const r = rewriteQdq(w, { ranges, exclude: o.exclude });
      if (!real) r.notes.push('calibrated on SYNTHETIC inputs (random values shaped like the model inputs): a weak proxy for real data; pass --calibration DIR with real .npy samples for trustworthy ranges');
      return r;
    }
  }
}

/** Activation ranges measured by running the original model, with the tensors exposed as outputs, in the worker. */
async function calibrate(src: ModelInfo, tensors: string[], samples: import('./samples').Sample[], method: 'minmax' | 'percentile', percentile: number, signal?: AbortSignal): Promise<Record<string, { min: number; max: number }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-calib-'));
  try {
    const w = toWModel(src);
    const existing = new Set(w.graph.outputs.map((v) => v.name));
    const inputs = new Set(w.graph.inputs.map((v) => v.name));
    for (const t of tensors) if (!existing.has(t) && !inputs.has(t)) w.graph.outputs.push({ name: t, type: { tensorType: { elemType: 1 } } });
    const model = path.join(dir, 'calibration.onnx');
    await writeModel(w, model, { externalData: w.graph.inits.reduce((a, i) => a + initBytes(i), 0) > 1.5 * 2 ** 30, signal });
    const samplesFile = path.join(dir, 'samples.bin');
    writeSamplesFile(samples, samplesFile);
    const res = await runWorker({ kind: 'calibrate', model, samplesFile, tensors: tensors.filter((t) => !inputs.has(t)), method, percentile }, signal);
    // Graph inputs are measured from the samples themselves.
    for (const t of tensors) if (inputs.has(t)) {
      let min = Infinity, max = -Infinity;
      for (const s of samples) {
        const x = s[t];
        if (!x || x.type !== 'float32') continue;
        for (let i = 0; i < x.data.length; i += 4) { const v = x.data.readFloatLE(i); if (v < min) min = v; if (v > max) max = v; }
      }
      res.ranges[t] = { min, max };
    }
    return res.ranges;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
