/**
 * ONNX009's GELU fusion: x / √2 (or x · 1/√2) → Erf → + 1 → · x → · 0.5 (in either order of the
 * two products) becomes one Gelu: the standard op from opset 20, ONNX Runtime's com.microsoft Gelu
 * before that. Only exact (erf) GELU is matched; the tanh form has a different formula.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { constantScalar, fuseEach, GraphLinks, isOp } from './rewire';
import { only, other } from './fuseLayerNorm';

export const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-4 * Math.abs(want);

export interface Match { x: string; out: string; nodes: onnx.INodeProto[] }

export function matchGelu(g: WGraph, l: GraphLinks, erf: onnx.INodeProto): Match | undefined {
  if (!isOp(erf, 'Erf')) return undefined;
  const scale = l.producer.get(erf.input![0]);
  if (!scale || only(l, scale.output![0], 'Erf') !== erf) return undefined;
  let x: string | undefined;
  if (isOp(scale, 'Div') && near(constantScalar(g, l, scale.input![1]), Math.SQRT2)) x = scale.input![0];
  else if (isOp(scale, 'Mul')) {
    const [a, b] = scale.input!;
    x = near(constantScalar(g, l, b), Math.SQRT1_2) ? a : near(constantScalar(g, l, a), Math.SQRT1_2) ? b : undefined;
  }
  if (!x) return undefined;
  const tail = geluTail(g, l, erf, x);
  return tail && { x, out: tail.out, nodes: [...(tail.halfX ? [tail.halfX] : []), scale, erf, ...tail.nodes] };
}

/**
 * What both GELUs end with: f(…) + 1, times x, times 0.5 (in either order of the two products).
 * `halfX` is the x · 0.5 node when the half is taken first (it comes before `f` in the graph).
 */
export function geluTail(g: WGraph, l: GraphLinks, f: onnx.INodeProto, x: string): { out: string; nodes: onnx.INodeProto[]; halfX?: onnx.INodeProto } | undefined {
  const plus = only(l, f.output![0], 'Add');
  const one = plus && other(plus, f.output![0]);
  if (!plus || !one || !near(constantScalar(g, l, one), 1)) return undefined;
  const prod = only(l, plus.output![0], 'Mul');
  const by = prod && other(prod, plus.output![0]);
  if (!prod || !by) return undefined;
  if (by === x) {
    // (x · (1 + f)) · 0.5
    const half = only(l, prod.output![0], 'Mul');
    const h = half && other(half, prod.output![0]);
    if (!half || !h || !near(constantScalar(g, l, h), 0.5)) return undefined;
    return { out: half.output![0], nodes: [plus, prod, half] };
  }
  // (x · 0.5) · (1 + f)
  const halfX = l.producer.get(by);
  if (!isOp(halfX, 'Mul') || l.outputs.has(by) || (l.readers.get(by) ?? []).length !== 1) return undefined;
  const h = other(halfX, x);
  if (!h || !near(constantScalar(g, l, h), 0.5)) return undefined;
  return { out: prod.output![0], nodes: [plus, prod], halfX };
}

/**
 * Runs one GELU fusion: every match on `anchor` whose input type `accepts` becomes the node `build`
 * makes (the standard op from opset 20, ONNX Runtime's com.microsoft one before); the note names it.
 */
export function runGeluFusion(ctx: PassContext, anchor: string, match: (g: WGraph, l: GraphLinks, n: onnx.INodeProto) => Match | undefined,
  accepts: (type: number | undefined, standard: boolean) => boolean, build: (standard: boolean) => Pick<onnx.INodeProto, 'opType' | 'domain' | 'attribute'>, what: string): PassResult {
  const m = ctx.model, g = m.graph;
  const standard = (m.opsets[''] ?? 0) >= 20;
  const op = build(standard);
  const changed = fuseEach(g, anchor, (l, n) => {
    const hit = match(g, l, n);
    return hit && accepts(ctx.types.get(hit.x), standard) ? hit : undefined;
  }, (hit, n) => ({ ...op, name: `${n.name || op.opType}_fused`, input: [hit.x], output: [hit.out] }));
  if (changed && !standard) m.opsets['com.microsoft'] ??= 1;
  const into = `${op.domain ? `${op.domain} ${op.opType} (ONNX Runtime)` : `${op.opType} (opset 20)`}`;
  return { changed, notes: changed ? [`fused ${changed} ${what}${changed > 1 ? 's' : ''} into ${into}`] : [] };
}

function run(ctx: PassContext): PassResult {
  // com.microsoft Gelu has float kernels only (float32, float16, bfloat16).
  return runGeluFusion(ctx, 'Erf', matchGelu, (t) => t === DataType.FLOAT || t === DataType.FLOAT16,
    (standard) => ({ opType: 'Gelu', domain: standard ? '' : 'com.microsoft', attribute: [] }), 'GELU');
}

export const FUSE_GELU: Pass = { rule: 'ONNX009', title: 'Fuse GELU into Gelu', default: true, run };
