/**
 * Input samples for A/B runs and calibration: real ones from a folder of `.npy` files, or synthetic
 * ones shaped from the model's signature. Passed to the child process as one binary file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataType, GraphInfo, ModelInfo } from '../onnx/model';

export type ElemName = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool' | 'float64';
export interface SampleTensor { type: ElemName; dims: number[]; data: Buffer }
export type Sample = Record<string, SampleTensor>;

const ELEM: Partial<Record<number, { name: ElemName; bytes: number }>> = {
  [DataType.FLOAT]: { name: 'float32', bytes: 4 }, [DataType.FLOAT16]: { name: 'float16', bytes: 2 },
  [DataType.INT64]: { name: 'int64', bytes: 8 }, [DataType.INT32]: { name: 'int32', bytes: 4 },
  [DataType.UINT8]: { name: 'uint8', bytes: 1 }, [DataType.INT8]: { name: 'int8', bytes: 1 },
  [DataType.BOOL]: { name: 'bool', bytes: 1 }, [DataType.DOUBLE]: { name: 'float64', bytes: 8 },
};

/** The graph's real inputs (initializers listed as inputs have defaults and are left out). */
export function modelInputs(g: GraphInfo): GraphInfo['inputs'] {
  const inits = new Set(g.initializers.map((i) => i.name));
  return g.inputs.filter((v) => !inits.has(v.name));
}

/** Deterministic uniform [0, 1) (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

/**
 * Synthetic inputs: symbolic dims from `dims` (else batch-like names 1, others 128 for sequences,
 * 224 for image sides), floats ~ uniform [-1, 1), integer ids below the vocabulary of the embedding
 * table they index (found from the Gather that reads them), masks all ones.
 */
export function synthesizeSamples(m: ModelInfo, count: number, dims: Record<string, number> = {}, seed = 7): Sample[] {
  const g = m.graph;
  const rand = rng(seed);
  const rowsOf = new Map<string, number>();
  const inits = new Map(g.initializers.map((i) => [i.name, i]));
  for (const n of g.nodes) if (n.opType === 'Gather' && inits.has(n.inputs[0])) rowsOf.set(n.inputs[1], inits.get(n.inputs[0])!.dims[0]);
  const out: Sample[] = [];
  for (let s = 0; s < count; s++) {
    const sample: Sample = {};
    for (const v of modelInputs(g)) {
      const e = ELEM[v.elemType];
      if (!e) throw new Error(`input '${v.name}' has type ${DataType[v.elemType] ?? v.elemType}, which the sample generator does not support`);
      const shape = (v.shape ?? [1]).map((d, k) => resolveDim(d, k, v.shape?.length ?? 1, dims));
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Buffer.alloc(n * e.bytes);
      const lname = v.name.toLowerCase();
      for (let i = 0; i < n; i++) {
        switch (e.name) {
          case 'float32': data.writeFloatLE(rand() * 2 - 1, i * 4); break;
          case 'float64': data.writeDoubleLE(rand() * 2 - 1, i * 8); break;
          case 'float16': data.writeUInt16LE(0x3c00 * (rand() < 0.5 ? 1 : 0), i * 2); break;
          case 'int64': case 'int32': {
            if (lname === 'sr' || lname.includes('sample_rate')) { if (e.name === 'int64') data.writeBigInt64LE(16000n, i * 8); else data.writeInt32LE(16000, i * 4); break; }
            const hi = lname.includes('mask') ? 1 : lname.includes('type') ? 0 : (rowsOf.get(v.name) ?? 2) - 1;
            const x = lname.includes('mask') ? 1 : Math.floor(rand() * (hi + 1));
            if (e.name === 'int64') data.writeBigInt64LE(BigInt(x), i * 8); else data.writeInt32LE(x, i * 4);
            break;
          }
          case 'bool': case 'uint8': case 'int8': data[i] = lname.includes('mask') ? 1 : Math.floor(rand() * 2); break;
        }
      }
      sample[v.name] = { type: e.name, dims: shape, data };
    }
    out.push(sample);
  }
  return out;
}

function resolveDim(d: number | string | null, k: number, rank: number, dims: Record<string, number>): number {
  if (typeof d === 'number' && d > 0) return d;
  if (typeof d === 'string' && dims[d] !== undefined) return dims[d];
  const name = typeof d === 'string' ? d.toLowerCase() : '';
  if (k === 0 || /batch|^n$|^b$/.test(name)) return dims.batch ?? 1;
  if (/seq|len|token|time|^t$|^s$/.test(name)) return dims.seq ?? 128;
  if (rank === 4 && k >= 2) return dims.height ?? 224;
  return dims.seq ?? 128;
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
      const f = path.join(d, `${n.replace(/[/\\:]/g, '_')}.npy`);
      if (!fs.existsSync(f)) return undefined;
      s[n] = readNpy(f);
    }
    return s;
  };
  const top = readOne(dir);
  const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
  const samples = [...(top ? [top] : []), ...subs.map(readOne).filter((x): x is Sample => !!x)];
  if (!samples.length) throw new Error(`${dir} holds no samples: expected ${names.map((n) => n + '.npy').join(', ')} (or subfolders with them)`);
  return samples;
}

const NPY_TYPES: Record<string, ElemName> = {
  '<f4': 'float32', '<f2': 'float16', '<i8': 'int64', '<i4': 'int32', '|u1': 'uint8', '|i1': 'int8', '|b1': 'bool', '<f8': 'float64',
};

/** NumPy .npy (version 1-3, C order, little-endian). */
export function readNpy(file: string): SampleTensor {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  const type = NPY_TYPES[descr];
  if (!type || fortran) throw new Error(`${file}: dtype ${descr}${fortran ? ' in Fortran order' : ''} is not supported (use little-endian C-order float32/int64/int32/uint8/bool)`);
  return { type, dims: shape, data: b.subarray(start + hlen) };
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
