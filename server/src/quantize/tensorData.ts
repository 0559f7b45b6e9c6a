/**
 * Reading one tensor's bytes on demand, whatever way the file stores them (raw_data, typed
 * repeated fields, external data), as little-endian packed bytes ready for `raw_data`.
 * One tensor at a time: the caller drops it before asking for the next.
 */
import * as fs from 'fs';
import { DataType, TensorInfo, bitsPerElement, dataTypeName } from '../onnx/model';

/** The tensor's bytes as raw_data would hold them. Throws for tensors we cannot re-encode (strings). */
export function tensorBytes(t: TensorInfo): Buffer {
  const loc = t.location;
  if (!loc) {
    if (t.byteLength === 0 && t.dataType !== DataType.STRING) return Buffer.alloc(0);
    throw new Error(`tensor '${t.name}' (${dataTypeName(t.dataType)}) has no readable data`);
  }
  const stored = t.inline ?? readRange(loc.file, loc.offset, loc.length);
  switch (loc.encoding) {
    case 'raw': case 'float_data': case 'double_data': return stored;
    case 'int64_data': case 'uint64_data': return varintsTo(stored, t, 8);
    case 'int32_data': return varintsTo(stored, t, Math.max(1, bitsPerElement(t.dataType) / 8));
  }
}

function readRange(file: string, offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  readInto(file, offset, out);
  return out;
}

function readInto(file: string, offset: number, into: Uint8Array): void {
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    while (done < into.length) {
      const n = fs.readSync(fd, into, done, into.length - done, offset + done);
      if (n === 0) throw new Error(`unexpected end of file at byte ${offset + done} of ${file}`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Packed varints (int32_data / int64_data) to fixed-width little-endian elements. */
function varintsTo(buf: Buffer, t: TensorInfo, width: number): Buffer {
  if (bitsPerElement(t.dataType) < 8) throw new Error(`tensor '${t.name}': 4-bit values in int32_data are not supported`);
  const out = Buffer.alloc(t.elements * width);
  let pos = 0, i = 0;
  while (pos < buf.length && i < t.elements) {
    let v = 0n, shift = 0n, b: number;
    do { b = buf[pos++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    const n = BigInt.asIntN(64, v);
    if (width === 8) out.writeBigInt64LE(n, i * 8);
    else if (width === 4) out.writeInt32LE(Number(BigInt.asIntN(32, n)), i * 4);
    else if (width === 2) out.writeUInt16LE(Number(BigInt.asUintN(16, n)), i * 2);
    else out.writeUInt8(Number(BigInt.asUintN(8, n)), i);
    i++;
  }
  return out;
}

/** A float tensor's values (float32, float16 or double stored) as a fresh Float32Array. */
export function tensorFloats(t: TensorInfo): Float32Array {
  const loc = t.location;
  if (t.dataType === DataType.FLOAT && loc && loc.encoding === 'raw' && !t.inline && loc.length % 4 === 0) {
    // Straight from disk into the array: one read, no intermediate copy.
    const out = new Float32Array(loc.length / 4);
    readInto(loc.file, loc.offset, new Uint8Array(out.buffer));
    return out;
  }
  const b = tensorBytes(t);
  if (t.dataType === DataType.FLOAT) {
    const out = new Float32Array(b.length / 4);
    Buffer.from(out.buffer).set(b);
    return out;
  }
  if (t.dataType === DataType.DOUBLE) {
    const out = new Float32Array(b.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(i * 8);
    return out;
  }
  if (t.dataType === DataType.FLOAT16) {
    const out = new Float32Array(b.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(b.readUInt16LE(i * 2));
    return out;
  }
  throw new Error(`tensor '${t.name}' is ${dataTypeName(t.dataType)}, not a float type`);
}

/** IEEE half bits → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** number → IEEE half bits, round to nearest even; overflow saturates to ±65504 (not inf) so weights stay finite. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  return halfFromBits(u32[0]);
}

/** float32 bit pattern → half bits. */
export function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  if ((h & 0x7fff) >= 0x7c00) return sign | 0x7bff;
  return sign | h;
}
