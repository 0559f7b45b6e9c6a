/** Pure quantization arithmetic: scales, zero points, rounding, packing. No I/O. */

export interface Int8Quantized {
  /** int8 (signed) or uint8 codes, row-major as the input. */
  codes: Buffer;
  scales: Float32Array;
  zeroPoints: Buffer;
}

/**
 * Quantizes a [rows, cols] matrix to 8 bits. `axis` 1 = one scale per column (per-channel for a
 * MatMul weight [K, N]); null = one scale for the whole tensor.
 * signed → symmetric int8 in [-127, 127] (zero point 0), unsigned → asymmetric uint8.
 * reduceRange uses 7 bits, for CPUs without VNNI where u8×s8 products can saturate (vpmaddubsw).
 */
export function quantizeInt8(w: Float32Array, rows: number, cols: number, axis: 1 | null, signed: boolean, reduceRange: boolean): Int8Quantized {
  const groups = axis === 1 ? cols : 1;
  const lo = new Float32Array(groups), hi = new Float32Array(groups); // start at 0: the range must include 0
  if (axis === 1) {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, i++) { const v = w[i]; if (v < lo[c]) lo[c] = v; else if (v > hi[c]) hi[c] = v; }
    }
  } else {
    let mn = 0, mx = 0;
    for (let i = 0; i < w.length; i++) { const v = w[i]; if (v < mn) mn = v; else if (v > mx) mx = v; }
    lo[0] = mn; hi[0] = mx;
  }
  const scales = new Float32Array(groups);
  const inv = new Float64Array(groups);
  const zps = new Int32Array(groups);
  const qmax = signed ? (reduceRange ? 63 : 127) : (reduceRange ? 127 : 255);
  for (let g = 0; g < groups; g++) {
    const mn = lo[g], mx = hi[g];
    if (signed) {
      const amax = Math.max(-mn, mx);
      scales[g] = amax > 0 ? amax / qmax : 1;
    } else {
      scales[g] = mx > mn ? (mx - mn) / qmax : 1;
      zps[g] = Math.max(0, Math.min(qmax, Math.round(-mn / scales[g])));
    }
    inv[g] = 1 / scales[g];
  }
  const codes = Buffer.alloc(rows * cols);
  const out = signed ? new Int8Array(codes.buffer, codes.byteOffset, codes.length) : new Uint8Array(codes.buffer, codes.byteOffset, codes.length);
  const qmin = signed ? -qmax : 0;
  if (axis === 1) {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, i++) {
        const q = Math.round(w[i] * inv[c]) + zps[c];
        out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
    }
  } else {
    const s = inv[0], z = zps[0];
    for (let i = 0; i < w.length; i++) {
      const q = Math.round(w[i] * s) + z;
      out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
    }
  }
  const zeroPoints = Buffer.alloc(groups);
  for (let g = 0; g < groups; g++) zeroPoints[g] = zps[g] & 0xff;
  return { codes, scales, zeroPoints };
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

export interface Int4Blocks {
  /** [N, kBlocks, blockSize / 2] uint8, two codes per byte, low nibble first (MatMulNBits' B). */
  packed: Buffer;
  /** [N * kBlocks] */
  scales: Float32Array;
  /** [N * ceil(kBlocks / 2)] packed uint8, or undefined when symmetric (implicit zero point 8). */
  zeroPoints?: Buffer;
  kBlocks: number;
}

/** The output buffers of a block-wise int4 quantization of an [N, K] (logical) weight. */
function int4Output(n: number, k: number, blockSize: number, symmetric: boolean) {
  const kBlocks = Math.ceil(k / blockSize);
  const blob = blockSize / 2;
  const zpPerRow = Math.ceil(kBlocks / 2);
  return {
    kBlocks, blob, zpPerRow,
    packed: Buffer.alloc(n * kBlocks * blob),
    scales: new Float32Array(n * kBlocks),
    zeroPoints: symmetric ? undefined : Buffer.alloc(n * zpPerRow),
  };
}

/**
 * One block's scale and zero point from its min and max (both including 0). Symmetric:
 * scale = absmax / 7, zero point 8; asymmetric: the block's range over 15 levels.
 */
function int4BlockParams(mn: number, mx: number, symmetric: boolean): { scale: number; zp: number } {
  if (symmetric) {
    const amax = Math.max(-mn, mx);
    return { scale: amax > 0 ? amax / 7 : 1, zp: 8 };
  }
  const scale = mx > mn ? (mx - mn) / 15 : 1;
  return { scale, zp: Math.max(0, Math.min(15, Math.round(-mn / scale))) };
}

/**
 * Block-wise 4-bit quantization of a MatMul weight for com.microsoft.MatMulNBits. `wt` is the
 * weight transposed to [N, K] (each row is one output column, blocks run along K).
 * Symmetric: scale = absmax / 7, codes = round(w / scale) + 8 in [1, 15] (zero point 8, omitted).
 * Asymmetric: per-block min/max with a 4-bit zero point (more accurate on skewed blocks).
 */
export function quantizeInt4(wt: Float32Array, n: number, k: number, blockSize: number, symmetric: boolean): Int4Blocks {
  const { kBlocks, blob, zpPerRow, packed, scales, zeroPoints } = int4Output(n, k, blockSize, symmetric);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < kBlocks; b++) {
      const k0 = b * blockSize, k1 = Math.min(k, k0 + blockSize);
      let mn = 0, mx = 0;
      for (let j = k0; j < k1; j++) { const v = wt[r * k + j]; if (v < mn) mn = v; if (v > mx) mx = v; }
      const { scale, zp } = int4BlockParams(mn, mx, symmetric);
      if (zeroPoints) zeroPoints[r * zpPerRow + (b >> 1)] |= zp << ((b & 1) * 4);
      scales[r * kBlocks + b] = scale;
      const base = (r * kBlocks + b) * blob;
      for (let j = 0; j < blockSize; j++) {
        const q = k0 + j < k1 ? Math.max(0, Math.min(15, Math.round(wt[r * k + k0 + j] / scale) + zp)) : zp;
        packed[base + (j >> 1)] |= q << ((j & 1) * 4);
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks };
}

/**
 * The same blocks from the weight as MatMul stores it, [K, N] row-major: reads stay contiguous
 * (one block of K rows at a time, all N columns together) and no transposed copy is made.
 */
export function quantizeInt4KN(w: Float32Array, k: number, n: number, blockSize: number, symmetric: boolean): Int4Blocks {
  const { kBlocks, blob, zpPerRow, packed, scales, zeroPoints } = int4Output(n, k, blockSize, symmetric);
  const mn = new Float32Array(n), mx = new Float32Array(n), inv = new Float64Array(n), zp = new Int32Array(n).fill(8);
  for (let b = 0; b < kBlocks; b++) {
    const k0 = b * blockSize, k1 = Math.min(k, k0 + blockSize);
    mn.fill(0); mx.fill(0);
    for (let kk = k0; kk < k1; kk++) {
      const row = kk * n;
      for (let c = 0; c < n; c++) { const v = w[row + c]; if (v < mn[c]) mn[c] = v; else if (v > mx[c]) mx[c] = v; }
    }
    for (let c = 0; c < n; c++) {
      const { scale, zp: z } = int4BlockParams(mn[c], mx[c], symmetric);
      zp[c] = z;
      if (zeroPoints) zeroPoints[c * zpPerRow + (b >> 1)] |= z << ((b & 1) * 4);
      scales[c * kBlocks + b] = scale;
      inv[c] = 1 / scale;
    }
    for (let j = 0; j < blockSize; j++) {
      const kk = k0 + j, shift = (j & 1) * 4, byteOff = b * blob + (j >> 1);
      if (kk >= k1) { for (let c = 0; c < n; c++) packed[c * kBlocks * blob + byteOff] |= zp[c] << shift; continue; }
      const row = kk * n;
      for (let c = 0; c < n; c++) {
        let q = Math.round(w[row + c] * inv[c]) + zp[c];
        q = q < 0 ? 0 : q > 15 ? 15 : q;
        packed[c * kBlocks * blob + byteOff] |= q << shift;
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks };
}

/** Scale and uint8 zero point covering [min, max] (always including 0, as ONNX requires). */
export function activationParams(min: number, max: number): { scale: number; zeroPoint: number } {
  const mn = Math.min(min, 0), mx = Math.max(max, 0);
  const scale = mx > mn ? (mx - mn) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-mn / scale))) };
}

/** Symmetric int8 per output channel (axis 0) of a weight of `channels` rows. */
export function quantizePerRowSymmetric(w: Float32Array, channels: number): { codes: Buffer; scales: Float32Array } {
  const per = w.length / channels;
  const scales = new Float32Array(channels);
  const codes = Buffer.alloc(w.length);
  for (let c = 0; c < channels; c++) {
    let amax = 0;
    for (let j = 0; j < per; j++) amax = Math.max(amax, Math.abs(w[c * per + j]));
    const s = amax > 0 ? amax / 127 : 1;
    scales[c] = s;
    for (let j = 0; j < per; j++) codes[c * per + j] = Math.max(-127, Math.min(127, Math.round(w[c * per + j] / s))) & 0xff;
  }
  return { codes, scales };
}

export function f32Bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
