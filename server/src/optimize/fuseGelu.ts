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

const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-4 * Math.abs(want);

interface Match { x: string; out: string; nodes: onnx.INodeProto[] }

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
  const plus = only(l, erf.output![0], 'Add');
  const one = plus && other(plus, erf.output![0]);
  if (!plus || !one || !near(constantScalar(g, l, one), 1)) return undefined;
  const prod = only(l, plus.output![0], 'Mul');
  const by = prod && other(prod, plus.output![0]);
  if (!prod || !by) return undefined;
  if (by === x) {
    // (x · (1 + erf)) · 0.5
    const half = only(l, prod.output![0], 'Mul');
    const h = half && other(half, prod.output![0]);
    if (!half || !h || !near(constantScalar(g, l, h), 0.5)) return undefined;
    return { x, out: half.output![0], nodes: [scale, erf, plus, prod, half] };
  }
  // (x · 0.5) · (1 + erf)
  const halfX = l.producer.get(by);
  if (!isOp(halfX, 'Mul') || l.outputs.has(by) || (l.readers.get(by) ?? []).length !== 1) return undefined;
  const h = other(halfX, x);
  if (!h || !near(constantScalar(g, l, h), 0.5)) return undefined;
  return { x, out: prod.output![0], nodes: [halfX, scale, erf, plus, prod] };
}

function run(ctx: PassContext): PassResult {
  const m = ctx.model, g = m.graph;
  const standard = (m.opsets[''] ?? 0) >= 20;
  const changed = fuseEach(g, 'Erf', (l, n) => {
    const hit = matchGelu(g, l, n);
    const type = hit && ctx.types.get(hit.x);
    // com.microsoft Gelu has float kernels only (float32, float16, bfloat16).
    return type === DataType.FLOAT || type === DataType.FLOAT16 ? hit : undefined;
  }, (hit, n) => ({ opType: 'Gelu', domain: standard ? '' : 'com.microsoft', name: `${n.name || 'Gelu'}_fused`, input: [hit.x], output: [hit.out], attribute: [] }));
  if (changed && !standard) m.opsets['com.microsoft'] ??= 1;
  return { changed, notes: changed ? [`fused ${changed} GELU${changed > 1 ? 's' : ''} into ${standard ? 'Gelu (opset 20)' : 'com.microsoft Gelu (ONNX Runtime)'}`] : [] };
}

export const FUSE_GELU: Pass = { rule: 'ONNX009', title: 'Fuse GELU into Gelu', default: true, run };
