/**
 * ONNX009's attention fusion: self-attention as torch.nn.MultiheadAttention exports it becomes ONNX
 * Runtime's com.microsoft Attention, whose packed QKV weight layout [D, 3D] is the one the export
 * already stores (in_proj), so no weight is rewritten. The exported block, for x [B, S, D]:
 *
 *   xt = Transpose(x, [1,0,2]); qkv = Add(MatMul(xt, W[D,3D]), b[3D])
 *   q, k, v = three Slices of qkv's last axis, [0,D), [D,2D), [2D,3D)
 *   each Reshape → [S, B·H, D/H]; q, v Transpose [1,0,2]; k Transpose [1,2,0]
 *   Softmax(MatMul(q / c, kᵀ)) (or the scores scaled after the MatMul), MatMul with v
 *   Transpose [1,0,2] → Reshape [S·B, D] → Gemm (out_proj) → Reshape [S, B, D] → Transpose [1,0,2]
 *
 * becomes Attention(x, W, b) → Reshape [-1, D] → the same Gemm → Reshape to x's shape. Every shape
 * is checked with our inference at two assignments of the symbolic dims (equal at both: equal for
 * all), so the head split is proven, not guessed. An additive mask Add right before the Softmax, one
 * [S, S] table for every batch and head (torch's attn_mask), becomes Attention's attention_bias.
 */
import type { onnx } from 'onnx-proto';
import type { Dim } from '../onnx/model';
import { DataType } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { tensor } from '../onnx/builder';
import { constantScalar, constantValues, GraphLinks, intOf, intsOf, isOp, links, pruneValueInfo, removeUnread } from './rewire';
import { other } from './fuseLayerNorm';

export interface AttentionMatch {
  x: string;
  weight: string;
  bias: string;
  heads: number;
  hidden: number;
  /** An additive [S, S] or [1, S, S] mask added to the scores before the Softmax. */
  mask?: string;
  maskRank?: number;
  /** The factor the scores are multiplied by (1/√head_size when the export scales as usual). */
  scale: number;
  gemm: onnx.INodeProto;
  /** The last node (Transpose back to [B, S, D]): its output name is kept. */
  last: onnx.INodeProto;
  nodes: onnx.INodeProto[];
}

type Shapes = Pick<PassContext, 'shapes' | 'altShapes'>;

/** The shapes of `names` at both assignments, all-numeric, or undefined. */
function bothShapes(ctx: Shapes, names: string[]): Array<Array<number[]>> | undefined {
  const out: Array<Array<number[]>> = [];
  for (const shapes of [ctx.shapes, ctx.altShapes]) {
    const row: number[][] = [];
    for (const n of names) {
      const s = shapes?.get(n);
      if (!s || s.some((d: Dim) => typeof d !== 'number')) return undefined;
      row.push(s as number[]);
    }
    out.push(row);
  }
  return out;
}

const eq = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function producedBy(l: GraphLinks, value: string | undefined, op: string): onnx.INodeProto | undefined {
  const p = value ? l.producer.get(value) : undefined;
  return isOp(p, op) ? p : undefined;
}

function transposeOf(l: GraphLinks, value: string | undefined, perm: number[]): onnx.INodeProto | undefined {
  const t = producedBy(l, value, 'Transpose');
  return t && eq(intsOf(t, 'perm') ?? [], perm) ? t : undefined;
}

/** Only pattern nodes (or Shape nodes, which die with it) read `value`, and it is not a graph output. */
function readOnlyInside(l: GraphLinks, value: string, inside: Set<onnx.INodeProto>): boolean {
  return !l.outputs.has(value) && (l.readers.get(value) ?? []).every((r) => inside.has(r) || isOp(r, 'Shape'));
}

function initializer(g: WGraph, name: string | undefined, dims: number[]): boolean {
  const i = name ? g.inits.find((t) => t.name === name) : undefined;
  return !!i && i.dataType === DataType.FLOAT && eq(i.dims, dims);
}

/** Slice over the last axis (rank 3) with unit steps. */
function lastAxisSlice(g: WGraph, l: GraphLinks, n: onnx.INodeProto | undefined): n is onnx.INodeProto {
  if (!isOp(n, 'Slice') || n.input!.length < 4) return false;
  const axes = constantValues(g, l, n.input![3]);
  const steps = n.input![4] ? constantValues(g, l, n.input![4]) : [1];
  return !!axes && axes.length === 1 && (axes[0] === -1 || axes[0] === 2) && !!steps && eq(steps, [1]);
}

/** The head split: a Reshape [S, B, D] → [S, B·H, D/H] read by a Transpose with `perm`. Returns H. */
function headSplit(ctx: Shapes, l: GraphLinks, value: string, perm: number[]): { heads: number; nodes: onnx.INodeProto[]; slice: string } | undefined {
  const t = transposeOf(l, value, perm);
  const r = producedBy(l, t?.input![0], 'Reshape');
  const s = r && bothShapes(ctx, [r.input![0], r.output![0]]);
  if (!t || !r || !s) return undefined;
  const heads = new Set<number>();
  for (const [[seq, batch, d, ...more], [seq2, rows, hd, ...more2]] of s) {
    if (more.length || more2.length || hd === undefined || !(hd > 0) || d % hd !== 0 || seq2 !== seq || rows !== batch * (d / hd)) return undefined;
    heads.add(d / hd);
  }
  return heads.size === 1 ? { heads: [...heads][0], nodes: [r, t], slice: r.input![0] } : undefined;
}

export function matchAttention(g: WGraph, l: GraphLinks, softmax: onnx.INodeProto, ctx: Shapes & Pick<PassContext, 'types'>): AttentionMatch | undefined {
  if (!isOp(softmax, 'Softmax') || ![-1, 2].includes(intOf(softmax, 'axis') ?? -1)) return undefined;
  const next = (n: onnx.INodeProto | undefined, op: string): onnx.INodeProto | undefined =>
    n && (l.readers.get(n.output![0]) ?? []).find((r) => isOp(r, op) && r.input![0] === n.output![0]);
  // Scores: MatMul(q·c, kᵀ), or the MatMul's result scaled; then an optional additive mask right before
  // the Softmax (as torch adds attn_mask to the scaled scores).
  const factor = (n: onnx.INodeProto | undefined): number | undefined => {
    const c = n && (isOp(n, 'Div') || isOp(n, 'Mul')) ? constantScalar(g, l, n.input![1]) : undefined;
    return c !== undefined && c > 0 ? (isOp(n, 'Div') ? 1 / c : c) : undefined;
  };
  /** The scores' MatMul behind `value` (through a scale), if that is what it is. */
  const scoresOf = (value: string): { qk: onnx.INodeProto; scoreScale?: onnx.INodeProto } | undefined => {
    const p = l.producer.get(value);
    const qk = factor(p) !== undefined ? l.producer.get(p!.input![0]) : p;
    return isOp(qk, 'MatMul') ? { qk, scoreScale: qk === p ? undefined : p } : undefined;
  };
  const pre = l.producer.get(softmax.input![0]);
  const maskAdd = isOp(pre, 'Add') ? pre : undefined;
  const scoresValue = maskAdd ? maskAdd.input!.find((x) => scoresOf(x)) : softmax.input![0];
  const mask = maskAdd && scoresValue ? other(maskAdd, scoresValue) : undefined;
  const found = scoresValue && scoresOf(scoresValue);
  if (!found || (maskAdd && !mask)) return undefined;
  const { qk, scoreScale } = found;
  let qIn = qk.input![0];
  const qScale = !scoreScale && factor(l.producer.get(qIn)) !== undefined ? l.producer.get(qIn)! : undefined;
  if (qScale) qIn = qScale.input![0];
  const scale = factor(scoreScale ?? qScale) ?? 1;
  const pv = next(softmax, 'MatMul');
  if (!pv) return undefined;

  const q = headSplit(ctx, l, qIn, [1, 0, 2]);
  const k = headSplit(ctx, l, qk.input![1], [1, 2, 0]);
  const v = headSplit(ctx, l, pv.input![1], [1, 0, 2]);
  if (!q || !k || !v || q.heads !== k.heads || k.heads !== v.heads) return undefined;
  const [sq, sk, sv] = [q, k, v].map((h) => l.producer.get(h.slice));
  if (!lastAxisSlice(g, l, sq) || !lastAxisSlice(g, l, sk) || !lastAxisSlice(g, l, sv)) return undefined;
  const qkv = sq.input![0];
  if (sk.input![0] !== qkv || sv.input![0] !== qkv) return undefined;
  // Contiguous thirds: q from 0, each starting where the one before ends, each D wide.
  const same = (a: string, b: string): boolean => a === b || (!!constantValues(g, l, a) && eq(constantValues(g, l, a)!, constantValues(g, l, b) ?? []));
  if (!eq(constantValues(g, l, sq.input![1]) ?? [], [0]) || !same(sq.input![2], sk.input![1]) || !same(sk.input![2], sv.input![1])) return undefined;

  const add = producedBy(l, qkv, 'Add');
  const mm = add && [add.input![0], add.input![1]].map((x) => producedBy(l, x, 'MatMul')).find(Boolean);
  if (!add || !mm) return undefined;
  const bias = add.input![0] === mm.output![0] ? add.input![1] : add.input![0];
  const weight = mm.input![1];
  const xt = transposeOf(l, mm.input![0], [1, 0, 2]);
  if (!xt) return undefined;
  const x = xt.input![0];
  if (ctx.types.get(x) !== DataType.FLOAT) return undefined;
  const shapes = bothShapes(ctx, [x, qkv, sq.output![0], sk.output![0], sv.output![0]]);
  if (!shapes) return undefined;
  const hidden = shapes[0][0][2];
  // The mask is one [S, S] (or [1, S, S]) table for every batch and head: Attention's attention_bias [1, 1, S, S].
  const maskShapes = mask ? bothShapes(ctx, [x, mask]) : undefined;
  if (mask && (ctx.types.get(mask) !== DataType.FLOAT || !maskShapes ||
    maskShapes.some(([xs, ms]) => !eq(ms.slice(-2), [xs[1], xs[1]]) || ms.length > 3 || (ms.length === 3 && ms[0] !== 1)))) return undefined;
  for (const [xs, qkvS, ...thirds] of shapes) {
    if (xs.length !== 3 || !eq(qkvS, [xs[1], xs[0], 3 * hidden]) || thirds.some((t) => !eq(t, [xs[1], xs[0], hidden]))) return undefined;
  }
  if (!initializer(g, weight, [hidden, 3 * hidden]) || !initializer(g, bias, [3 * hidden])) return undefined;

  // Back to [B, S, D]: Transpose [1,0,2] → Reshape [S·B, D] → Gemm → Reshape [S, B, D] → Transpose [1,0,2].
  const merge = next(pv, 'Transpose'), flat = next(merge, 'Reshape'), gemm = next(flat, 'Gemm');
  const unflat = next(gemm, 'Reshape'), last = next(unflat, 'Transpose');
  // The Gemm sees rows in (batch, seq) order instead of (seq, batch): fine for a bias per column, not for a [rows, N] one.
  const c = gemm?.input![2] ? g.inits.find((t) => t.name === gemm.input![2]) : undefined;
  if (!merge || !eq(intsOf(merge, 'perm') ?? [], [1, 0, 2]) || !flat || !gemm || !unflat || !last || !eq(intsOf(last, 'perm') ?? [], [1, 0, 2]) ||
    (intOf(gemm, 'transA') ?? 0) !== 0 || (gemm.input![2] && !(c && (c.dims.length <= 1 || c.dims[0] === 1)))) return undefined;
  const out = bothShapes(ctx, [x, flat.output![0], gemm.output![0], unflat.output![0]]);
  // The projection keeps the width D, so the result can take x's shape.
  if (!out || out.some(([xs, f, gm, u]) => !eq(f, [xs[1] * xs[0], hidden]) || !eq(gm, f) || !eq(u, [xs[1], xs[0], hidden]))) return undefined;

  const nodes = [xt, mm, add, sq, sk, sv, ...q.nodes, ...k.nodes, ...v.nodes, ...(qScale ? [qScale] : []), qk,
    ...(scoreScale ? [scoreScale] : []), ...(maskAdd ? [maskAdd] : []), softmax, pv, merge, flat, gemm, unflat, last];
  const inside = new Set(nodes);
  // Every value between x and the result is read only here (Shape reads die with the pattern).
  if (nodes.slice(0, -1).some((n) => !readOnlyInside(l, n.output![0], inside))) return undefined;
  return { x, weight, bias, mask, maskRank: maskShapes?.[0][1].length, heads: q.heads, hidden, scale, gemm, last, nodes };
}

/** The fused block, in the place of the last matched node, writing its output. */
function fusedNodes(g: WGraph, hit: AttentionMatch, opset: number): onnx.INodeProto[] {
  // Named after the block (torch's "/encoder/layers.0/self_attn"); a number added where another block has that name.
  const stem = (hit.last.name || hit.last.output![0]).replace(/\/?Transpose[^/]*$/, '') || 'attention';
  const taken = new Set([...g.nodes.flatMap((n) => n.output ?? []), ...g.inits.map((i) => i.name)]);
  let base = stem;
  for (let k = 2; taken.has(`${base}/attention_output`) || taken.has(`${base}/attention_rows_shape`); k++) base = `${stem}_${k}`;
  const rows = `${base}/attention_rows_shape`;
  g.inits.push({ name: rows, dataType: DataType.INT64, dims: [2], produce: () => Buffer.from(BigInt64Array.from([-1n, BigInt(hit.hidden)]).buffer) });
  const headSize = hit.hidden / hit.heads;
  const attrs: onnx.IAttributeProto[] = [{ name: 'num_heads', type: 2, i: hit.heads }];
  // Attention's default scale is 1/√head_size; say it only when the export scaled otherwise.
  if (Math.abs(hit.scale * Math.sqrt(headSize) - 1) > 1e-6) attrs.push({ name: 'scale', type: 1, f: hit.scale });
  const v = (s: string): string => `${base}/${s}`;
  // attention_bias is Attention's sixth input (after mask_index and past, unused here): the mask as [1, 1, S, S].
  const axes = hit.maskRank === 2 ? [0, 1] : [0];
  const axesName = v('attention_bias_axes');
  const bias: onnx.INodeProto[] = !hit.mask ? [] : opset >= 13 ? [
    { opType: 'Constant', domain: '', name: axesName, input: [], output: [axesName],
      attribute: [{ name: 'value', type: 4, t: tensor(axesName, DataType.INT64, [axes.length], BigInt64Array.from(axes.map(BigInt))) }] },
    { opType: 'Unsqueeze', domain: '', name: v('attention_bias'), input: [hit.mask, axesName], output: [v('attention_bias')], attribute: [] },
  ] : [{ opType: 'Unsqueeze', domain: '', name: v('attention_bias'), input: [hit.mask], output: [v('attention_bias')], attribute: [{ name: 'axes', type: 7, ints: axes }] }];
  return [
    ...bias,
    { opType: 'Attention', domain: 'com.microsoft', name: v('Attention_fused'), input: [hit.x, hit.weight, hit.bias, ...(hit.mask ? ['', '', v('attention_bias')] : [])],
      output: [v('attention_output')], attribute: attrs },
    { opType: 'Reshape', domain: '', name: v('attention_rows'), input: [v('attention_output'), rows], output: [v('attention_rows_output')], attribute: [] },
    { ...hit.gemm, name: `${hit.gemm.name || 'Gemm'}_fused`, input: [v('attention_rows_output'), ...hit.gemm.input!.slice(1)], output: [v('attention_projected')] },
    { opType: 'Shape', domain: '', name: v('attention_input_shape'), input: [hit.x], output: [v('attention_input_shape_output')], attribute: [] },
    { opType: 'Reshape', domain: '', name: v('attention_unrows'), input: [v('attention_projected'), v('attention_input_shape_output')], output: [hit.last.output![0]], attribute: [] },
  ];
}

function run(ctx: PassContext): PassResult {
  const m = ctx.model, g = m.graph;
  let changed = 0;
  let l = links(g);
  for (const n of [...g.nodes]) {
    if (!isOp(n, 'Softmax') || !g.nodes.includes(n)) continue;
    const hit = matchAttention(g, l, n, ctx);
    if (!hit) continue;
    const at = g.nodes.indexOf(hit.last);
    g.nodes.splice(at, 1, ...fusedNodes(g, hit, m.opsets[''] ?? 0));
    // The rest of the block (and the shape arithmetic only it read) is unread now.
    removeUnread(g, hit.nodes.filter((x) => x !== hit.last));
    changed++;
    l = links(g);
  }
  if (!changed) return { changed, notes: [] };
  pruneValueInfo(g);
  m.opsets['com.microsoft'] ??= 1;
  return { changed, notes: [`fused ${changed} multi-head attention block${changed > 1 ? 's' : ''} into com.microsoft Attention (ONNX Runtime)`] };
}

export const FUSE_ATTENTION: Pass = { rule: 'ONNX009', title: 'Fuse attention into Attention', default: true, run };
