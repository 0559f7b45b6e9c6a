/**
 * Input samples for A/B runs and calibration: real ones from a folder of `.npy` files, or synthetic
 * ones shaped from the model's signature. Passed to the child process as one binary file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GraphInfo, ModelInfo } from '../onnx/model';
import { confinedFile } from '../confine';
import { analysisDims, parseNpy, synthesizeForModel, TensorData } from '../bench/inputs';

export type ElemName = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool' | 'float64';
export interface SampleTensor { type: ElemName; dims: number[]; data: Buffer }
export type Sample = Record<string, SampleTensor>;

/** The graph's real inputs (initializers listed as inputs have defaults and are left out). */
export function modelInputs(g: GraphInfo): GraphInfo['inputs'] {
  const inits = new Set(g.initializers.map((i) => i.name));
  return g.inputs.filter((v) => !inits.has(v.name));
}

/**
 * Synthetic inputs from the benchmark's synthesis (bench/inputs.ts: dims from `dims`, token ids
 * below the embedding table's vocabulary, masks ones, `sr` 16000, floats uniform in [0, 1)), one
 * seed per sample so the samples differ. Dims nobody set take the analysis' values, as a benchmark's
 * do: a decoder's past is 0 and its mask covers past + sequence, so the shapes agree.
 */
export function synthesizeSamples(m: ModelInfo, count: number, dims: Record<string, number> = {}, seed = 7): Sample[] {
  const out: Sample[] = [];
  // The dims the analysis and the benchmark use (expressions such as past + seq, lengths that fit the kernels).
  const fitted = analysisDims(m, dims).dims;
  for (let s = 0; s < count; s++) {
    const syn = synthesizeForModel(m, { dims: fitted, seed: seed + s });
    out.push(Object.fromEntries(syn.tensors.map((t) => [t.name, toSample(t.name, t.type, t.dims, t.data)])));
  }
  return out;
}

const SUPPORTED = new Set<string>(['float32', 'float16', 'int64', 'int32', 'uint8', 'int8', 'bool', 'float64']);

function toSample(name: string, type: string, dims: number[], data: TensorData): SampleTensor {
  if (!SUPPORTED.has(type) || Array.isArray(data)) throw new Error(`input '${name}' has type ${type}, which A/B runs do not support`);
  const v = data as Exclude<TensorData, string[]>;
  return { type: type as ElemName, dims, data: Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
}

/**
 * Real samples from a folder: `<input>.npy` files form one sample; subfolders each holding
 * `<input>.npy` files form one sample each.
 */
export function loadSamplesDir(dir: string, m: ModelInfo): Sample[] {
  const names = modelInputs(m.graph).map((v) => v.name);
  const readOne = (d: string): Sample | undefined => {
    const s: Sample = {};
    for (const n of names) {
      // Input names come from the model: the file they name must stay in the folder and be a regular file.
      const rel = `${n.replace(/[/\\:]/g, '_')}.npy`;
      const v = confinedFile(d, rel, 'the samples folder');
      if (!v.ok && v.missing) return undefined;
      if (!v.ok) throw new Error(`sample ${path.join(d, rel)} for input '${n}' refused: it ${v.why}; put a regular .npy file there`);
      s[n] = readNpy(v.file);
    }
    return s;
  };
  const top = readOne(dir);
  const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
  const samples = [...(top ? [top] : []), ...subs.map(readOne).filter((x): x is Sample => !!x)];
  if (!samples.length) throw new Error(`${dir} holds no samples: expected ${names.map((n) => n + '.npy').join(', ')} (or subfolders with them)`);
  return samples;
}

/** NumPy .npy, through the benchmark's reader. */
export function readNpy(file: string): SampleTensor {
  const t = parseNpy(fs.readFileSync(file));
  return toSample(path.basename(file), t.type, t.dims, t.data);
}

/** One file: [u32 header length][JSON header][data...]. */
export function writeSamplesFile(samples: Sample[], file: string): void {
  let offset = 0;
  const header = samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, t]) => {
    const e = { type: t.type, dims: t.dims, offset, length: t.data.length };
    offset += t.data.length;
    return [k, e];
  })));
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4); len.writeUInt32LE(h.length);
  fs.writeFileSync(file, Buffer.concat([len, h, ...samples.flatMap((s) => Object.values(s).map((t) => t.data))]));
}

export function readSamplesFile(file: string): Sample[] {
  const b = fs.readFileSync(file);
  const hl = b.readUInt32LE(0);
  const header = JSON.parse(b.toString('utf8', 4, 4 + hl)) as Array<Record<string, { type: ElemName; dims: number[]; offset: number; length: number }>>;
  const base = 4 + hl;
  return header.map((s) => Object.fromEntries(Object.entries(s).map(([k, e]) => [k, { type: e.type, dims: e.dims, data: b.subarray(base + e.offset, base + e.offset + e.length) }])));
}
