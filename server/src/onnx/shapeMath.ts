/**
 * Shape arithmetic shared by the per-op inference functions (opShapes.ts), the inference walk
 * (shapes.ts) and cost (cost.ts): attribute readers, broadcasting, matmul/conv/pool/einsum output
 * shapes, slices and reshapes. Pure.
 */
import { DataType, Dim, NodeInfo, TensorInfo } from './model';
import type { ConstTensor } from './constants';
import type { ValueType } from './shapes';

export type Shape = Array<number | null>;

export function attrInt(n: NodeInfo, name: string, dflt: number): number {
  const a = n.attributes.get(name);
  return a?.kind === 'int' ? a.value : dflt;
}
export function attrInts(n: NodeInfo, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'ints' ? a.value : undefined;
}
export function attrFloats(n: NodeInfo, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'floats' ? a.value : undefined;
}
export function attrString(n: NodeInfo, name: string, dflt: string): string {
  const a = n.attributes.get(name);
  return a?.kind === 'string' ? a.value : dflt;
}
export function attrTensor(n: NodeInfo, name: string): TensorInfo | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'tensor' ? a.value : undefined;
}

/** Constant's non-tensor forms: value_int(s), value_float(s). */
export function constantAttr(n: NodeInfo): ConstTensor | undefined {
  for (const [k, a] of n.attributes) {
    if (k === 'value_int' && a.kind === 'int') return { elemType: DataType.INT64, dims: [], data: [a.value] };
    if (k === 'value_float' && a.kind === 'float') return { elemType: DataType.FLOAT, dims: [], data: [a.value] };
    if (k === 'value_ints' && a.kind === 'ints') return { elemType: DataType.INT64, dims: [a.value.length], data: a.value.slice() };
    if (k === 'value_floats' && a.kind === 'floats') return { elemType: DataType.FLOAT, dims: [a.value.length], data: a.value.slice() };
  }
  return undefined;
}

/** Dims that are not sizes (negative, fractional, NaN, from a corrupt or inconsistent model) become unknown. */
export function sane(shape: Dim[] | null): Dim[] | null {
  if (!shape) return null;
  if (shape.length > 64) return null;
  return shape.map((d) => (typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0) ? null : d));
}

/** A shape of `rank` unknown dims (a 1-D shape tensor of known length); null for absurd ranks. */
export function unknownRank(rank: number | null | undefined): Shape | null {
  return typeof rank === 'number' && rank >= 0 && rank <= 64 ? new Array(rank).fill(null) : null;
}

/**
 * An axis in [0, rank), or NaN for one outside [-rank, rank): a corrupt axis (2^31) must name no
 * dimension. Writing `out[2 ** 31 - 1]` would grow the shape to 2^31 entries and hang every loop over it.
 */
export function normAxis(a: number, rank: number): number {
  const ax = a < 0 ? a + rank : a;
  return Number.isInteger(ax) && ax >= 0 && ax < rank ? ax : NaN;
}

export function product(s: Shape): number | null {
  let p = 1;
  for (const d of s) { if (d === null) return null; p *= d; }
  return p;
}

export function swapLast(s: Shape): Shape {
  if (s.length < 2) return s;
  const o = s.slice();
  [o[o.length - 2], o[o.length - 1]] = [o[o.length - 1], o[o.length - 2]];
  return o;
}

export function shapeRange(n: NodeInfo, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(attrInt(n, 'start', 0)), clamp(attrInt(n, 'end', rank))];
}

/** Numpy-style broadcasting; an unknown dim against 1 stays unknown, against k becomes k. */
export function broadcastAll(shapes: Array<Shape | null | undefined>): Shape | null {
  if (shapes.some((s) => !s)) return null;
  const rank = Math.max(0, ...shapes.map((s) => s!.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: number | null = 1;
    let unknown = false;
    for (const s of shapes) {
      const x = s![s!.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (x === null) { unknown = true; continue; }
      d = d === 1 ? x : Math.max(d as number, x);
    }
    out.push(unknown && d === 1 ? null : d);
  }
  return out;
}

export function matmulShape(a: Shape | null, b: Shape | null): Shape | null {
  if (!a || !b || !a.length || !b.length) return null;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastAll([a2.slice(0, -2), b2.slice(0, -2)]) ?? [];
  const out: Shape = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

export function reshape(xs: Shape | null, target: number[], allowZero: boolean): Shape {
  const out: Shape = target.map((d, i) => (d === 0 && !allowZero ? xs?.[i] ?? null : d));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const total = xs ? product(xs) : null;
    const rest = product(out.filter((_, i) => i !== neg));
    out[neg] = total !== null && rest ? total / rest : null;
  }
  return out;
}

/** Length of a Python-style slice of a dim of size d, computed (a corrupt dim of 1e15 must not loop). */
export function sliceLen(d: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) { s = clamp(s, 0, d); e = clamp(e, 0, d); return Math.max(0, Math.ceil((e - s) / step)); }
  if (step < 0) { s = clamp(s, -1, d - 1); e = clamp(e, -1, d - 1); return Math.max(0, Math.ceil((s - e) / -step)); }
  return 0;
}

/** Python-style slice of `data` (or of indices 0..len-1 when data is null). */
export function sliceValues(data: number[] | null, start: number, end: number, step: number, len = data?.length ?? 0): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + len : start;
  let e = end < 0 ? end + len : end;
  const out: number[] = [];
  if (step > 0) {
    s = clamp(s, 0, len); e = clamp(e, 0, len);
    for (let i = s; i < e; i += step) out.push(data ? data[i] : i);
  } else if (step < 0) {
    s = clamp(s, -1, len - 1); e = clamp(e, -1, len - 1);
    for (let i = s; i > e; i += step) out.push(data ? data[i] : i);
  }
  return out;
}

export function convSpatial(n: NodeInfo, inDims: Shape, kernel: Shape): Shape {
  const k = inDims.length;
  const strides = attrInts(n, 'strides') ?? new Array(k).fill(1);
  const dil = attrInts(n, 'dilations') ?? new Array(k).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array(2 * k).fill(0);
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  return inDims.map((d, i) => {
    const kk = kernel[i];
    if (d === null || kk === null) return null;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    const eff = (kk - 1) * dil[i] + 1;
    const p = auto === 'VALID' ? 0 : pads[i] + pads[i + k];
    const v = (d + p - eff) / strides[i];
    return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  });
}

export function convShape(n: NodeInfo, xs: Shape | null, ws: Shape | null, channelsLast: boolean): Shape | null {
  if (!xs || !ws) return null;
  const kernel = attrInts(n, 'kernel_shape') ?? ws.slice(2);
  if (channelsLast) return [xs[0], ...convSpatial(n, xs.slice(1, -1), kernel), ws[0]];
  return [xs[0], ws[0], ...convSpatial(n, xs.slice(2), kernel)];
}

export function convTransposeShape(n: NodeInfo, xs: Shape | null, ws: Shape | null): Shape | null {
  if (!xs || !ws) return null;
  const group = attrInt(n, 'group', 1);
  const outC = ws[1] === null ? null : (ws[1] as number) * group;
  const explicit = attrInts(n, 'output_shape');
  const spatial = xs.slice(2);
  const k = spatial.length;
  if (explicit) return [xs[0], outC, ...explicit.slice(-k)];
  const kernel = attrInts(n, 'kernel_shape') ?? ws.slice(2);
  const strides = attrInts(n, 'strides') ?? new Array(k).fill(1);
  const dil = attrInts(n, 'dilations') ?? new Array(k).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array(2 * k).fill(0);
  const outPad = attrInts(n, 'output_padding') ?? new Array(k).fill(0);
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  return [xs[0], outC, ...spatial.map((d, i) => {
    const kk = kernel[i];
    if (d === null || kk === null) return null;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return d * strides[i];
    return strides[i] * (d - 1) + outPad[i] + (kk - 1) * dil[i] + 1 - pads[i] - pads[i + k];
  })];
}

export function poolShape(n: NodeInfo, xs: Shape | null, channelsLast: boolean): Shape | null {
  if (!xs) return null;
  const kernel = attrInts(n, 'kernel_shape');
  if (!kernel) return xs.map(() => null);
  if (channelsLast) return [xs[0], ...convSpatial(n, xs.slice(1, -1), kernel), xs[xs.length - 1]];
  return [xs[0], xs[1], ...convSpatial(n, xs.slice(2), kernel)];
}

/** Einsum output shape from its equation (explicit `->` or the implicit alphabetical form). */
export function einsumShape(eq: string, shapes: Array<Shape | null>): Shape | null {
  const letters = einsumLetters(eq, shapes);
  if (!letters) return null;
  return letters.output.map((l) => letters.sizes.get(l) ?? null);
}

export function einsumLetters(eq: string, shapes: Array<Shape | null>): { sizes: Map<string, number | null>; output: string[] } | undefined {
  const [lhs, rhs] = eq.replace(/\s/g, '').split('->');
  const terms = lhs.split(',');
  const sizes = new Map<string, number | null>();
  const counts = new Map<string, number>();
  let ellipsis: Shape = [];
  for (let t = 0; t < terms.length; t++) {
    const s = shapes[t];
    if (!s) return undefined;
    const term = terms[t];
    const [pre, post] = term.includes('...') ? term.split('...') : [term, ''];
    const nEll = s.length - pre.length - post.length;
    if (term.includes('...')) ellipsis = broadcastAll([ellipsis, s.slice(pre.length, pre.length + nEll)]) ?? [];
    const named = [...pre.split('').map((l, i) => [l, s[i]] as const), ...post.split('').map((l, i) => [l, s[pre.length + nEll + i]] as const)];
    for (const [l, d] of named) {
      counts.set(l, (counts.get(l) ?? 0) + 1);
      const prev = sizes.get(l);
      sizes.set(l, prev === undefined || prev === 1 || prev === null ? d ?? null : prev);
    }
  }
  let output: string[];
  if (rhs !== undefined) output = rhs.replace('...', '').split('');
  else output = [...counts.entries()].filter(([, c]) => c === 1).map(([l]) => l).sort();
  const ellKeys = ellipsis.map((_, i) => `…${i}`);
  ellipsis.forEach((d, i) => sizes.set(ellKeys[i], d));
  if (rhs === undefined || rhs.includes('...')) {
    const at = rhs?.indexOf('...') ?? 0;
    output.splice(at, 0, ...ellKeys);
  }
  return { sizes, output };
}

export function mergeTypes(vs: Array<ValueType | undefined>): ValueType | undefined {
  const known = vs.filter((v): v is ValueType => !!v);
  if (!known.length) return undefined;
  const first = known[0];
  if (known.some((v) => !v.shape || v.shape.length !== first.shape?.length)) return { elemType: first.elemType, shape: null };
  return { elemType: first.elemType, shape: first.shape!.map((d, i) => (known.every((v) => v.shape![i] === d) ? d : null)) };
}
