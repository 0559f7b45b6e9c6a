/**
 * Small tensors known at analysis time (shape arithmetic: Shape → Gather → Concat → Reshape), decoded
 * from the bytes the reader kept inline. Values are JS numbers: int64 beyond 2^53 loses precision,
 * which no shape, axis or index needs.
 */
import { DataType, TensorInfo } from './model';

export interface ConstTensor {
  elemType: number;
  dims: number[];
  data: number[];
}

/** Constants larger than this are not evaluated (they are weights, not shape arithmetic). */
export const MAX_CONST_ELEMENTS = 4096;

export function constElements(dims: number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Decodes a tensor the reader kept inline; undefined when it is not inline, too large or of a type we do not decode. */
export function decodeTensor(t: TensorInfo): ConstTensor | undefined {
  if (!t.inline || !t.location || Number.isNaN(t.elements) || t.elements > MAX_CONST_ELEMENTS) return undefined;
  const buf = t.inline;
  const n = t.elements;
  const data: number[] = [];
  const enc = t.location.encoding;
  try {
    if (enc === 'raw') {
      const get = rawGetter(t.dataType, buf);
      if (!get) return undefined;
      for (let i = 0; i < n; i++) data.push(get(i));
    } else if (enc === 'float_data') {
      for (let i = 0; i < n; i++) data.push(buf.readFloatLE(i * 4));
    } else if (enc === 'double_data') {
      for (let i = 0; i < n; i++) data.push(buf.readDoubleLE(i * 8));
    } else {
      // int32_data / int64_data / uint64_data: packed varints (float16 and bool also travel in int32_data).
      let pos = 0;
      while (pos < buf.length && data.length < n) {
        let v = 0, mul = 1, i = 0;
        for (; i < 10; i++) {
          const b = buf[pos++];
          if (b === undefined) return undefined;
          v += (b & 0x7f) * mul;
          if ((b & 0x80) === 0) break;
          mul *= 128;
        }
        if (v >= 2 ** 63) v -= 2 ** 64;
        data.push(t.dataType === DataType.FLOAT16 ? halfToFloat(v & 0xffff) : v);
      }
    }
  } catch {
    return undefined; // stored bytes shorter than the dims say: the reader reported it already
  }
  if (data.length !== n) return undefined;
  return { elemType: t.dataType, dims: [...t.dims], data };
}

function rawGetter(type: number, b: Buffer): ((i: number) => number) | undefined {
  switch (type) {
    case DataType.FLOAT: return (i) => b.readFloatLE(i * 4);
    case DataType.DOUBLE: return (i) => b.readDoubleLE(i * 8);
    case DataType.INT64: return (i) => Number(b.readBigInt64LE(i * 8));
    case DataType.UINT64: return (i) => Number(b.readBigUInt64LE(i * 8));
    case DataType.INT32: return (i) => b.readInt32LE(i * 4);
    case DataType.UINT32: return (i) => b.readUInt32LE(i * 4);
    case DataType.INT16: return (i) => b.readInt16LE(i * 2);
    case DataType.UINT16: return (i) => b.readUInt16LE(i * 2);
    case DataType.INT8: return (i) => b.readInt8(i);
    case DataType.UINT8: case DataType.BOOL: return (i) => b.readUInt8(i);
    case DataType.FLOAT16: return (i) => halfToFloat(b.readUInt16LE(i * 2));
    case DataType.BFLOAT16: return (i) => { const f = Buffer.alloc(4); f.writeUInt32LE(b.readUInt16LE(i * 2) << 16 >>> 0); return f.readFloatLE(0); };
    default: return undefined;
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Is this element type an integer (results of arithmetic are truncated like ONNX Runtime does)? */
export function isIntegerType(t: number): boolean {
  return t === DataType.INT64 || t === DataType.INT32 || t === DataType.INT16 || t === DataType.INT8 ||
    t === DataType.UINT64 || t === DataType.UINT32 || t === DataType.UINT16 || t === DataType.UINT8 || t === DataType.BOOL;
}
