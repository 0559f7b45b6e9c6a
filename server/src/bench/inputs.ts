/**
 * Input synthesis: the tensors a benchmark (or an A/B check) feeds a model. Shapes come from the
 * model's inputs with symbolic dims filled from settings (`batch`, `seq`, any named dim); values are
 * dtype- and name-aware (token ids below the vocabulary size read from the embedding Gather's table,
 * attention masks of ones, images in [0, 1]) and seeded, so two runs feed identical bytes. Real inputs
 * can be read from `.json` or `.npy` files instead. Pure except for the file readers at the bottom;
 * no onnxruntime import, so the server, the worker and the quantizer can all use it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataType, Dim, GraphInfo, ModelInfo, TensorInfo } from '../onnx/model';
import { inferShapes } from '../onnx/shapes';
import { dimExpression, FITTING_LENGTHS, isBatchLike } from '../onnx/dims';
import { regularFile } from '../confine';
import type { InputDescription } from './types';

/** onnxruntime-node tensor type names. */
export type OrtType = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
  | 'int64' | 'uint64' | 'bool' | 'string';

export type TensorData = Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array
  | Uint32Array | BigInt64Array | BigUint64Array | string[];

/** A model input as either ORT's inputMetadata or the ModelInfo graph describes it. */
export interface InputSignature {
  name: string;
  type: OrtType;
  /** null: rank unknown */
  shape: Dim[] | null;
}

/** A tensor ready to become an `ort.Tensor(type, data, dims)`. */
export interface InputTensor {
  name: string;
  type: OrtType;
  dims: number[];
  data: TensorData;
  fill: string;
}

export interface SynthesisOptions {
  /** value of the batch dim; wins over dims.batch */
  batch?: number;
  /** symbolic dim name → value */
  dims?: Record<string, number>;
  seed?: number;
  /** upper bound (exclusive) of token ids per input name; read from the model by vocabBounds() */
  vocab?: Record<string, number>;
}

export interface Synthesis {
  tensors: InputTensor[];
  /** the batch actually used (1 when the model has no batch dim) */
  batch: number;
  /** dims we had to guess (no setting), so results can say so */
  warnings: string[];
}

const ELEM_TO_ORT: Partial<Record<number, OrtType>> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.FLOAT16]: 'float16', [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8', [DataType.INT16]: 'int16', [DataType.UINT16]: 'uint16', [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32', [DataType.INT64]: 'int64', [DataType.UINT64]: 'uint64', [DataType.BOOL]: 'bool',
  [DataType.STRING]: 'string',
};

export function ortType(elemType: number): OrtType | undefined {
  return ELEM_TO_ORT[elemType];
}

/** The inputs a caller must feed: graph inputs that are not initializers (IR < 4 lists those too). */
export function modelSignature(model: ModelInfo): InputSignature[] {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const out: InputSignature[] = [];
  for (const i of model.graph.inputs) {
    if (inits.has(i.name)) continue;
    const type = ortType(i.elemType);
    if (!type) throw new Error(`input '${i.name}' has an element type onnxruntime-node cannot feed (${DataType[i.elemType] ?? i.elemType})`);
    out.push({ name: i.name, type, shape: i.shape });
  }
  return out;
}

/** Shape-preserving ops that token ids may pass through on their way to the embedding Gather. */
const PASS_THROUGH = new Set(['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Identity', 'Expand']);

/**
 * For each integer input that (possibly through Cast/Reshape/…) indexes a Gather whose table is a
 * weight, the table's first dim: the vocabulary size, so synthesised ids stay in range.
 */
export function vocabBounds(model: ModelInfo): Record<string, number> {
  const g = model.graph;
  const tables = new Map<string, TensorInfo>();
  for (const t of g.initializers) tables.set(t.name, t);
  for (const n of g.nodes) {
    const v = n.opType === 'Constant' ? n.attributes.get('value') : undefined;
    if (v?.kind === 'tensor' && n.outputs[0]) tables.set(n.outputs[0], v.value);
  }
  const consumers = consumersOf(g);
  const out: Record<string, number> = {};
  for (const input of g.inputs) {
    if (tables.has(input.name)) continue;
    let bound: number | undefined;
    const seen = new Set<string>();
    const queue = [input.name];
    while (queue.length && seen.size < 64) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const n of consumers.get(name) ?? []) {
        if (n.opType === 'Gather' && n.inputs[1] === name) {
          const table = tables.get(n.inputs[0]);
          const axis = n.attributes.get('axis');
          const ax = axis?.kind === 'int' ? axis.value : 0;
          const size = table?.dims[ax < 0 ? ax + table.dims.length : ax];
          if (size && size > 0) bound = bound === undefined ? size : Math.min(bound, size);
        } else if (PASS_THROUGH.has(n.opType) && n.inputs[0] === name) queue.push(...n.outputs);
      }
    }
    if (bound !== undefined) out[input.name] = bound;
  }
  return out;
}

function consumersOf(g: GraphInfo): Map<string, GraphInfo['nodes']> {
  const m = new Map<string, GraphInfo['nodes']>();
  for (const n of g.nodes) for (const i of n.inputs) {
    if (!i) continue;
    const list = m.get(i);
    if (list) list.push(n); else m.set(i, [n]);
  }
  return m;
}

const BATCH_NAMES = /^(batch|batch_size|batchsize|n|bs|b|unk__\d+|dynamic_batch)$/i;
const SEQ_NAMES = /seq|len|token|time|step|sequence/i;
const DEFAULT_SEQ = 128;
const DEFAULT_SPATIAL = 224;

/**
 * Resolves every dim of every input to a number. A symbolic dim takes, in order: its value in `dims`,
 * the batch (for a first dim or a batch-like name), seq defaults (128) for sequence-like names, 224 for
 * the spatial dims of an image, else 1 with a warning.
 */
export function resolveShapes(sig: InputSignature[], opts: SynthesisOptions = {}): { shapes: number[][]; batch: number; hasBatch: boolean; warnings: string[] } {
  const dims = opts.dims ?? {};
  const batch = opts.batch ?? dims.batch ?? 1;
  const warnings: string[] = [];
  let hasBatch = false;
  const shapes = sig.map((s) => {
    if (s.shape === null) {
      warnings.push(`input '${s.name}' has no known rank: fed as a scalar`);
      return [];
    }
    const rank = s.shape.length;
    return s.shape.map((d, i) => {
      if (typeof d === 'number' && d > 0) return d;
      const name = typeof d === 'string' ? d : '';
      const unnamed = dims[`${s.name}[${i}]`]; // an unnamed dim is set as input[axis], as the analysis reports it
      if (!name && unnamed !== undefined && !(i === 0 && opts.batch !== undefined)) return unnamed;
      const batchLike = BATCH_NAMES.test(name) || (i === 0 && rank > 1 && !(name && dims[name] !== undefined));
      if (batchLike) { hasBatch = true; return opts.batch ?? dims[name] ?? batch; }
      if (name && dims[name] !== undefined) return dims[name];
      if (name && SEQ_NAMES.test(name)) return dims.seq ?? DEFAULT_SEQ;
      if (rank === 4 && i >= 2) {
        warnings.push(`input '${s.name}' dim ${i} (${name || '?'}) guessed as ${DEFAULT_SPATIAL}: set it in dims`);
        return DEFAULT_SPATIAL;
      }
      warnings.push(`input '${s.name}' dim ${i} (${name || 'unnamed'}) guessed as 1: set it in dims`);
      return 1;
    });
  });
  return { shapes, batch: hasBatch ? batch : 1, hasBatch, warnings };
}

/** mulberry32: small, fast, seeded; good enough for benchmark inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How to fill an input, chosen from its name, type and shape. */
export function fillFor(s: InputSignature, vocab: number | undefined): string {
  const n = s.name.toLowerCase();
  if (s.type === 'string') return 'text';
  if (s.type === 'bool') return 'ones';
  if (/mask/.test(n)) return 'ones';
  if (/token_type|segment/.test(n)) return 'zeros';
  if (/position/.test(n)) return 'range';
  if (/^(sr|sample_?rate|sampling_?rate)$/.test(n)) return 'samplerate';
  // Recurrent states start from zeros, as a stream's first chunk does (Silero VAD's h/c, LSTM h0/c0).
  if (/state|^[hc][0nx]?$|^(hidden|cell)(_\w+)?$|hidden|cache|past/.test(n)) return 'zeros';
  const int = !(s.type === 'float32' || s.type === 'float64' || s.type === 'float16');
  if (int) return vocab !== undefined ? 'tokens' : (/ids?$|token/.test(n) ? 'tokens' : 'small-ints');
  return 'uniform01';
}

function elements(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Values for one tensor. `vocab` bounds token ids (default 1000 when unknown). */
export function fillTensor(type: OrtType, dims: number[], fill: string, random: () => number, vocab = 1000): TensorData {
  const count = elements(dims);
  const value = (i: number): number => {
    switch (fill) {
      case 'ones': return 1;
      case 'zeros': return 0;
      case 'range': return dims.length ? i % dims[dims.length - 1] : 0;
      case 'samplerate': return 16000;
      case 'value': return vocab;
      case 'tokens': return Math.floor(random() * vocab);
      case 'small-ints': return Math.floor(random() * 8);
      default: return random();
    }
  };
  switch (type) {
    case 'float32': return Float32Array.from({ length: count }, (_, i) => value(i));
    case 'float64': return Float64Array.from({ length: count }, (_, i) => value(i));
    case 'float16': return Uint16Array.from({ length: count }, (_, i) => toHalf(value(i)));
    case 'int8': return Int8Array.from({ length: count }, (_, i) => Math.min(127, value(i)));
    case 'uint8': return Uint8Array.from({ length: count }, (_, i) => Math.min(255, fill === 'uniform01' ? Math.floor(value(i) * 256) : value(i)));
    case 'int16': return Int16Array.from({ length: count }, (_, i) => value(i));
    case 'uint16': return Uint16Array.from({ length: count }, (_, i) => value(i));
    case 'int32': return Int32Array.from({ length: count }, (_, i) => Math.floor(value(i)));
    case 'uint32': return Uint32Array.from({ length: count }, (_, i) => Math.floor(value(i)));
    case 'int64': return BigInt64Array.from({ length: count }, (_, i) => BigInt(Math.floor(value(i))));
    case 'uint64': return BigUint64Array.from({ length: count }, (_, i) => BigInt(Math.floor(value(i))));
    case 'bool': return Uint8Array.from({ length: count }, (_, i) => (value(i) ? 1 : 0));
    case 'string': return Array.from({ length: count }, () => 'inference lens');
  }
}

/** IEEE 754 binary16 bits of a float (round to nearest, no subnormal care beyond flush). */
export function toHalf(f: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const x = buf.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

/** Synthesises every input of a signature. */
export function synthesize(sig: InputSignature[], opts: SynthesisOptions = {}): Synthesis {
  const { shapes, batch, warnings } = resolveShapes(sig, opts);
  const random = rng(opts.seed ?? 1);
  const tensors = sig.map((s, i) => {
    const dims = shapes[i];
    const vocab = opts.vocab?.[s.name];
    // A scalar input named in dims (sr=8000) is fed that value, as the analysis folds it.
    const given = elements(dims) === 1 ? opts.dims?.[s.name] : undefined;
    if (given !== undefined && s.type !== 'string') {
      return { name: s.name, type: s.type, dims, fill: `value:${given}`, data: fillTensor(s.type, dims, 'value', random, given) };
    }
    const fill = fillFor(s, vocab);
    return { name: s.name, type: s.type, dims, fill, data: fillTensor(s.type, dims, fill, random, vocab) };
  });
  return { tensors, batch, warnings };
}

/** Synthesises the inputs of a model read with onnx/reader.ts (vocabulary bounds included). */
export function synthesizeForModel(model: ModelInfo, opts: SynthesisOptions = {}): Synthesis {
  return synthesize(modelSignature(model), { ...opts, vocab: { ...vocabBounds(model), ...opts.vocab } });
}

/**
 * The dims nobody set, valued as the analysis values them (shapes.ts: defaults, expressions such as
 * `past + seq`, a length that fits the model's kernels), so the benchmark feeds the shapes the cost
 * figures describe; with one sentence per value chosen to fit the model.
 */
export function analysisDims(model: ModelInfo, dims: Record<string, number> = {}): { dims: Record<string, number>; notes: string[] } {
  try {
    const inf = inferShapes(model, dims);
    return { dims: { ...inf.dimsUsed, ...dims }, notes: [...new Set(Object.values(inf.dimNotes))] };
  } catch {
    return { dims, notes: [] }; // a model too broken to infer: ORT will say what is wrong
  }
}

/**
 * Other dims to try, in order, when the first inputs fail to run: each defaulted non-batch dim in turn
 * at the lengths of FITTING_LENGTHS (bounded: at most `limit` alternatives), expressions following.
 */
export function alternativeDims(model: ModelInfo, given: Record<string, number>, used: Record<string, number>, limit = 4): Array<Record<string, number>> {
  const inputs = new Set(model.graph.inputs.map((i) => i.name));
  const free = Object.keys(used).filter((k) => given[k] === undefined && !inputs.has(k) && !isBatchLike(k) && !k.endsWith('[0]') && !dimExpression(k));
  const tries = free.flatMap((k) => FITTING_LENGTHS.filter((len) => len !== used[k]).map((len) => ({ [k]: len })));
  return tries.slice(0, limit).map((t) => analysisDims(model, { ...given, ...t }).dims);
}

export function describe(t: InputTensor): InputDescription {
  return { name: t.name, type: t.type, dims: t.dims, fill: t.fill };
}

// ---- Real inputs from files ---------------------------------------------------------------------

/**
 * Reads user inputs. `.json`: `{"name": nested arrays}` or `{"name": {"type": "int64", "dims": [..],
 * "data": [..]}}`; types default to the model's. `.npy`: one array, for a single-input model (or a
 * file named after the input). Several files: `a.npy,b.npy` named `<input>.npy`.
 */
export function readInputsFile(spec: string, sig: InputSignature[]): InputTensor[] {
  const files = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const out: InputTensor[] = [];
  for (const file of files) {
    // A FIFO or device named here would block the read forever: one stat decides first.
    const v = regularFile(file);
    if (!v.ok) throw new Error(`${file}: the inputs file ${v.why}`);
    if (file.endsWith('.json')) out.push(...parseJsonInputs(fs.readFileSync(file, 'utf8'), sig, file));
    else if (file.endsWith('.npy')) {
      const base = path.basename(file, '.npy');
      const target = sig.find((s) => s.name === base) ?? (sig.length === 1 ? sig[0] : undefined);
      if (!target) throw new Error(`${file}: name the file after one of the inputs (${sig.map((s) => s.name).join(', ')})`);
      const arr = parseNpy(fs.readFileSync(file));
      out.push({ name: target.name, type: arr.type, dims: arr.dims, data: arr.data, fill: `file:${path.basename(file)}` });
    } else throw new Error(`${file}: inputs must be .json or .npy`);
  }
  const missing = sig.filter((s) => !out.some((t) => t.name === s.name));
  if (missing.length) throw new Error(`${spec}: no values for input(s) ${missing.map((s) => s.name).join(', ')}`);
  return out;
}

export function parseJsonInputs(text: string, sig: InputSignature[], source = 'inputs'): InputTensor[] {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source}: expected an object of input name → values`);
  const out: InputTensor[] = [];
  for (const [name, v] of Object.entries(raw)) {
    const s = sig.find((x) => x.name === name);
    if (!s) throw new Error(`${source}: '${name}' is not an input of the model (${sig.map((x) => x.name).join(', ')})`);
    let type: OrtType = s.type;
    let dims: number[];
    let flat: unknown[];
    if (v && typeof v === 'object' && !Array.isArray(v) && 'data' in v) {
      const o = v as { type?: OrtType; dims?: number[]; data: unknown[] };
      if (o.type) type = o.type;
      flat = (o.data as unknown[]).flat(Infinity);
      dims = o.dims ?? [flat.length];
    } else {
      dims = shapeOf(v);
      flat = Array.isArray(v) ? v.flat(Infinity) : [v];
    }
    if (elements(dims) !== flat.length) throw new Error(`${source}: '${name}' has ${flat.length} values for dims [${dims}]`);
    const nums = flat as number[];
    const data = type === 'string' ? flat.map(String) : fillTensor(type, dims, 'values', (() => { let i = 0; return () => nums[i++]; })());
    out.push({ name, type, dims, data, fill: `file:${path.basename(source)}` });
  }
  return out;
}

function shapeOf(v: unknown): number[] {
  const dims: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) { dims.push(cur.length); cur = cur[0]; }
  return dims;
}

const NPY_TYPES: Record<string, OrtType> = {
  f4: 'float32', f8: 'float64', f2: 'float16', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16',
  i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64', b1: 'bool',
};

/** NumPy .npy (format 1.0–3.0), little-endian, C order. */
export function parseNpy(buf: Buffer): { type: OrtType; dims: number[]; data: TensorData } {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error('not a .npy file');
  const major = buf.readUInt8(6);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([<>|=])(\w\d+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`.npy header not understood: ${header.trim()}`);
  if (descr[1] === '>') throw new Error('.npy: big-endian arrays are not supported');
  if (fortran[1] === 'True') throw new Error('.npy: Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const type = NPY_TYPES[descr[2]];
  if (!type) throw new Error(`.npy: dtype ${descr[2]} is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = start + headerLen;
  const body = buf.subarray(offset);
  const copy = new ArrayBuffer(body.length);
  new Uint8Array(copy).set(body);
  const count = elements(dims);
  const ctor = {
    float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
    uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
  }[type as Exclude<OrtType, 'string'>];
  if (body.length < count * ctor.BYTES_PER_ELEMENT) throw new Error(`.npy: ${body.length} bytes for ${count} elements of ${type}`);
  return { type, dims, data: new ctor(copy, 0, count) };
}
