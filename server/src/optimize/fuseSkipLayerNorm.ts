/**
 * ONNX009's Add + LayerNorm fusion: a residual Add of two [batch, seq, hidden] values feeding a
 * LayerNormalization over the last axis becomes ONNX Runtime's com.microsoft SkipLayerNormalization
 * (one pass instead of two; the sum is still returned when something else reads it). The two inputs
 * must have the same shape, not merely broadcastable ones: shapes are compared at two different
 * assignments of the symbolic dims, so a [1, seq, hidden] table added to every row is never taken
 * for a residual.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { attr, fuseEach, GraphLinks, intOf, isOp } from './rewire';

function sameShape(ctx: PassContext, a: string, b: string): boolean {
  for (const shapes of [ctx.shapes, ctx.altShapes]) {
    const x = shapes?.get(a), y = shapes?.get(b);
    if (!x || !y || x.length !== 3 || y.length !== 3 || x.some((d, i) => typeof d !== 'number' || d !== y[i])) return false;
  }
  return true;
}

function isVector(g: WGraph, name: string | undefined): boolean {
  const i = name ? g.inits.find((t) => t.name === name) : undefined;
  return !!i && i.dims.length === 1 && i.dataType === DataType.FLOAT;
}

interface Match { add: onnx.INodeProto; ln: onnx.INodeProto; keepSum: boolean; nodes: onnx.INodeProto[] }

export function matchSkipLayerNorm(g: WGraph, l: GraphLinks, ln: onnx.INodeProto, ctx: PassContext): Match | undefined {
  if (!isOp(ln, 'LayerNormalization')) return undefined;
  const axis = intOf(ln, 'axis') ?? -1;
  const [x, gamma, beta] = ln.input ?? [];
  if ((axis !== -1 && axis !== 2) || !isVector(g, gamma) || (beta && !isVector(g, beta))) return undefined;
  // Mean and InvStdDev outputs have no counterpart to keep when something reads them.
  if ((ln.output ?? []).slice(1).some((o) => o && (l.readers.has(o) || l.outputs.has(o)))) return undefined;
  const add = l.producer.get(x);
  if (!isOp(add, 'Add') || ctx.types.get(x) !== DataType.FLOAT) return undefined;
  const [p, q] = add.input ?? [];
  // A constant operand is a bias, not a residual (SkipLayerNormalization has its own bias input for that).
  const constant = (v: string): boolean => g.inits.some((i) => i.name === v);
  if (!p || !q || constant(p) || constant(q) || !sameShape(ctx, p, q)) return undefined;
  const keepSum = l.outputs.has(x) || (l.readers.get(x) ?? []).length > 1;
  return { add, ln, keepSum, nodes: [add, ln] };
}

function run(ctx: PassContext): PassResult {
  const m = ctx.model, g = m.graph;
  // In the Add's place: the Add's other readers come after it, and the fused node still writes the sum for them.
  const changed = fuseEach(g, 'LayerNormalization', (l, n) => matchSkipLayerNorm(g, l, n, ctx), ({ add, ln, keepSum }) => {
    const [, gamma, beta] = ln.input!;
    return {
      opType: 'SkipLayerNormalization', domain: 'com.microsoft', name: `${ln.name || 'LayerNorm'}_skip_fused`,
      input: [add.input![0], add.input![1], gamma, ...(beta ? [beta] : [])],
      output: keepSum ? [ln.output![0], '', '', add.output![0]] : [ln.output![0]],
      attribute: [{ name: 'epsilon', type: 1, f: attr(ln, 'epsilon')?.f ?? 1e-5 }],
    };
  });
  if (changed) m.opsets['com.microsoft'] ??= 1;
  return { changed, notes: changed ? [`fused ${changed} residual Add + LayerNormalization into com.microsoft SkipLayerNormalization (ONNX Runtime)`] : [] };
}

export const FUSE_SKIP_LAYER_NORM: Pass = { rule: 'ONNX009', title: 'Fuse Add + LayerNorm into SkipLayerNormalization', default: true, run };
