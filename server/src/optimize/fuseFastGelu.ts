/**
 * ONNX009's tanh-GELU fusion (GPT-2's "gelu_new"): 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
 * spelled Pow 3 → Mul 0.044715 → Add x → Mul √(2/π) → Tanh → + 1 → · x → · 0.5 (either order of the
 * two products) becomes ONNX Runtime's com.microsoft FastGelu, whose formula it is. Opset 20's Gelu
 * with approximate="tanh" computes the same; it is used from opset 20.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { constantScalar, GraphLinks, isOp } from './rewire';
import { only, other } from './fuseLayerNorm';
import { geluTail, Match, near, runGeluFusion } from './fuseGelu';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** k · v or v · k with k ≈ want: v. */
function scaledBy(g: WGraph, l: GraphLinks, n: onnx.INodeProto | undefined, want: number): string | undefined {
  if (!isOp(n, 'Mul')) return undefined;
  const [a, b] = n.input!;
  return near(constantScalar(g, l, b), want) ? a : near(constantScalar(g, l, a), want) ? b : undefined;
}

export function matchFastGelu(g: WGraph, l: GraphLinks, tanh: onnx.INodeProto): Match | undefined {
  if (!isOp(tanh, 'Tanh')) return undefined;
  const s = l.producer.get(tanh.input![0]);
  const innerValue = scaledBy(g, l, s, SQRT_2_OVER_PI);
  if (!s || !innerValue || only(l, s.output![0], 'Tanh') !== tanh) return undefined;
  const inner = l.producer.get(innerValue);
  if (!isOp(inner, 'Add') || only(l, innerValue, 'Mul') !== s) return undefined;
  for (const c of inner.input!) {
    const x = other(inner, c);
    const cubic = l.producer.get(c);
    const cubeValue = scaledBy(g, l, cubic, 0.044715);
    const cube = cubeValue ? l.producer.get(cubeValue) : undefined;
    if (!x || !cubic || !isOp(cube, 'Pow') || cube.input![0] !== x || !near(constantScalar(g, l, cube.input![1]), 3)) continue;
    if (only(l, c, 'Add') !== inner || only(l, cubeValue!, 'Mul') !== cubic) continue;
    const tail = geluTail(g, l, tanh, x);
    if (tail) return { x, out: tail.out, nodes: [...(tail.halfX ? [tail.halfX] : []), cube, cubic, inner, s, tanh, ...tail.nodes] };
  }
  return undefined;
}

function run(ctx: PassContext): PassResult {
  // FastGelu's CPU kernel is float32 only; opset 20's Gelu takes every float type.
  return runGeluFusion(ctx, 'Tanh', matchFastGelu,
    (t, standard) => t === DataType.FLOAT || (standard && (t === DataType.FLOAT16 || t === DataType.BFLOAT16)),
    (standard) => (standard
      ? { opType: 'Gelu', domain: '', attribute: [{ name: 'approximate', type: 3, s: Buffer.from('tanh') }] }
      : { opType: 'FastGelu', domain: 'com.microsoft', attribute: [] }), 'tanh GELU');
}

export const FUSE_FAST_GELU: Pass = { rule: 'ONNX009', title: 'Fuse tanh GELU into FastGelu', default: true, run };
