/**
 * Accuracy-guided precision per layer. A sensitivity pass quantizes one layer at a time and
 * measures how far the outputs move on the validation inputs; layers are ranked by it; then the
 * search keeps quantizing the least sensitive layers for as long as the goal (minimum cosine on
 * every output) holds, and the rest stay float. Every candidate runs in the worker process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../onnx/reader';
import { compareOutputs, runWorker, samplesFor, vocabularies } from './ab';
import { ConversionSummary, quantizeModel, QuantizeOptions } from './convert';
import { writeSamplesFile } from './samples';

export interface GuidedOptions extends QuantizeOptions {
  /** Minimum cosine similarity of every output to the original's. */
  goal: number;
  /** Validation samples (.npy folder); synthetic otherwise. */
  inputsDir?: string;
  samples?: number;
}

export interface LayerSensitivity {
  layer: string;
  /** Worst output cosine with only this layer quantized. */
  cosine: number;
}

export interface GuidedResult {
  summary: ConversionSummary;
  goal: number;
  /** Most sensitive first. */
  sensitivity: LayerSensitivity[];
  keptFloat: Array<LayerSensitivity & { reason: string }>;
  /** Worst output cosine of the final model. */
  cosine: number;
  evaluations: number;
  inputs: 'real' | 'synthetic';
}

export async function quantizeGuided(input: string, o: GuidedOptions): Promise<GuidedResult> {
  const m = readModelFile(input);
  const { samples, real } = samplesFor(m, { inputsDir: o.inputsDir, count: o.samples ?? 4, dims: o.dims });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-guided-'));
  const progress = o.onProgress ?? ((): void => undefined);
  let evaluations = 0;
  try {
    const samplesFile = path.join(dir, 'samples.bin');
    writeSamplesFile(samples, samplesFile);
    const ref = await runWorker({ kind: 'run', model: path.resolve(input), samplesFile, outDir: path.join(dir, 'ref') }, o.signal);
    const vocabs = vocabularies(m);
    const baseExclude = o.exclude ?? [];
    let ranges = o.ranges;
    const evaluate = async (exclude: string[], tag: string): Promise<{ cosine: number; summary: ConversionSummary }> => {
      evaluations++;
      const out = path.join(dir, `${tag}.onnx`);
      const opts: QuantizeOptions = { ...o, out, exclude: [...baseExclude, ...exclude], onProgress: undefined, ranges };
      const summary = await quantizeModel(input, opts);
      ranges = opts.ranges; // static int8: calibrate once, reuse for every candidate
      const r = await runWorker({ kind: 'run', model: out, samplesFile, outDir: path.join(dir, tag) }, o.signal);
      const agreement = compareOutputs(path.join(dir, 'ref'), path.join(dir, tag), ref.outputs.filter((x) => r.outputs.includes(x)), samples.length, vocabs);
      fs.rmSync(out, { force: true }); fs.rmSync(`${out}.data`, { force: true }); fs.rmSync(path.join(dir, tag), { recursive: true, force: true });
      return { cosine: Math.min(...agreement.map((a) => a.cosine)), summary };
    };
    progress('quantizing every layer once to list them');
    const all = await evaluate([], 'all');
    const layers = all.summary.converted.map((c) => c.node);
    const sensitivity: LayerSensitivity[] = [];
    for (let i = 0; i < layers.length; i++) {
      progress(`sensitivity ${i + 1}/${layers.length}: ${layers[i]}`);
      const r = await evaluate(layers.filter((_, j) => j !== i), `only${i}`);
      sensitivity.push({ layer: layers[i], cosine: r.cosine });
    }
    sensitivity.sort((a, b) => a.cosine - b.cosine);
    const leastFirst = [...sensitivity].reverse().map((s) => s.layer);
    // Largest k such that quantizing the k least sensitive layers meets the goal (error grows with k).
    let k = layers.length;
    let bestCos = all.cosine;
    if (all.cosine < o.goal) {
      let lo = 0, hi = layers.length - 1;
      bestCos = 1;
      k = 0;
      while (lo <= hi) {
        const mid = (lo + hi + 1) >> 1;
        if (mid === 0) break;
        progress(`search: quantizing the ${mid} least sensitive of ${layers.length} layers`);
        const r = await evaluate(leastFirst.slice(mid), `k${mid}`);
        if (r.cosine >= o.goal) { k = mid; bestCos = r.cosine; lo = mid + 1; } else hi = mid - 1;
      }
    }
    const floatLayers = leastFirst.slice(k);
    progress(`writing the model with ${k} of ${layers.length} layers quantized`);
    const summary = await quantizeModel(input, { ...o, exclude: [...baseExclude, ...floatLayers], ranges });
    const byLayer = new Map(sensitivity.map((s) => [s.layer, s]));
    const keptFloat = floatLayers.map((l) => ({
      ...byLayer.get(l)!,
      reason: `quantizing it alone drops the output cosine to ${byLayer.get(l)!.cosine.toFixed(5)}; with it the goal ${o.goal} is not met`,
    }));
    summary.notes.push(`accuracy-guided: ${k} of ${layers.length} layers quantized, ${floatLayers.length} kept float to hold cosine ≥ ${o.goal} (reached ${bestCos.toFixed(5)}); ${evaluations + 1} conversions evaluated on ${real ? 'real' : 'synthetic'} inputs`);
    return { summary, goal: o.goal, sensitivity, keptFloat, cosine: bestCos, evaluations, inputs: real ? 'real' : 'synthetic' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
