/**
 * ONNX009's LayerNorm fusion: ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt → Div → Mul γ
 * (→ Add β), over the last axis, becomes one LayerNormalization (opset 17). Every intermediate
 * must be read only inside the pattern, so nothing else observes a value that disappears.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { constantScalar, constantValues, fuseEach, GraphLinks, intOf, intsOf, isOp, links } from './rewire';

/** The one reader of a value that is not a graph output, if it is `op`. */
export function only(l: GraphLinks, value: string | undefined, op: string): onnx.INodeProto | undefined {
  if (!value) return undefined;
  const r = l.readers.get(value);
  return r && r.length === 1 && !l.outputs.has(value) && isOp(r[0], op) ? r[0] : undefined;
}

/** The input of a binary node that is not `value`, when the other one is. */
export function other(n: onnx.INodeProto, value: string): string | undefined {
  const [a, b] = n.input ?? [];
  return a === value ? b : b === value ? a : undefined;
}

/** Axes a ReduceMean reduces over (attribute before opset 18, input since). */
function axesOf(g: WGraph, l: GraphLinks, n: onnx.INodeProto): number[] | undefined {
  if (n.input?.[1]) return constantValues(g, l, n.input[1]);
  return intsOf(n, 'axes');
}

function isLastAxis(axes: number[] | undefined, rank: number | undefined): boolean {
  return !!axes && axes.length === 1 && (axes[0] === -1 || (rank !== undefined && axes[0] === rank - 1));
}

interface Match { x: string; gamma: string; beta?: string; epsilon: number; out: string; nodes: onnx.INodeProto[] }

export function matchLayerNorm(g: WGraph, l: GraphLinks, mean: onnx.INodeProto, ctx: Pick<PassContext, 'ranks'>): Match | undefined {
  if (!isOp(mean, 'ReduceMean') || intOf(mean, 'keepdims') === 0) return undefined;
  const x = mean.input![0];
  const rank = ctx.ranks.get(x);
  if (!isLastAxis(axesOf(g, l, mean), rank)) return undefined;
  const sub = only(l, mean.output![0], 'Sub');
  if (!sub || sub.input?.[0] !== x || sub.input?.[1] !== mean.output![0]) return undefined;
  const d = sub.output![0];
  const readers = l.readers.get(d) ?? [];
  if (readers.length !== 2 || l.outputs.has(d)) return undefined;
  const pow = readers.find((r) => isOp(r, 'Pow') && r.input?.[0] === d);
  const div = readers.find((r) => isOp(r, 'Div') && r.input?.[0] === d);
  if (!pow || !div || Math.abs((constantScalar(g, l, pow.input![1]) ?? 0) - 2) > 1e-6) return undefined;
  const variance = only(l, pow.output![0], 'ReduceMean');
  if (!variance || intOf(variance, 'keepdims') === 0 || !isLastAxis(axesOf(g, l, variance), rank)) return undefined;
  const addEps = only(l, variance.output![0], 'Add');
  const eps = addEps && other(addEps, variance.output![0]);
  const epsilon = eps !== undefined ? constantScalar(g, l, eps) : undefined;
  if (!addEps || epsilon === undefined || !(epsilon >= 0)) return undefined;
  const sqrt = only(l, addEps.output![0], 'Sqrt');
  if (!sqrt || only(l, sqrt.output![0], 'Div') !== div || div.input?.[1] !== sqrt.output![0]) return undefined;
  const mul = only(l, div.output![0], 'Mul');
  const gamma = mul && other(mul, div.output![0]);
  if (!mul || !gamma || !isVector(g, gamma)) return undefined;
  const add = only(l, mul.output![0], 'Add');
  const beta = add && other(add, mul.output![0]);
  const withBeta = !!add && !!beta && isVector(g, beta);
  const nodes = [mean, sub, pow, variance, addEps, sqrt, div, mul, ...(withBeta ? [add!] : [])];
  return { x, gamma, beta: withBeta ? beta : undefined, epsilon, out: nodes[nodes.length - 1].output![0], nodes };
}

/** A 1-D float32 initializer (γ, β of one normalised axis). */
function isVector(g: WGraph, name: string): boolean {
  const i = g.inits.find((t) => t.name === name);
  return !!i && i.dims.length === 1 && i.dataType === DataType.FLOAT;
}

function run(ctx: PassContext): PassResult {
  const m = ctx.model, g = m.graph;
  const opset = m.opsets[''] ?? 0;
  const match = (l: GraphLinks, n: onnx.INodeProto): Match | undefined => matchLayerNorm(g, l, n, ctx);
  if (opset < 17) {
    const l = links(g);
    const found = g.nodes.some((n) => isOp(n, 'ReduceMean') && match(l, n));
    return { changed: 0, notes: found ? [`LayerNormalization needs opset 17 (the model has ${opset}): LayerNorm left decomposed`] : [] };
  }
  const changed = fuseEach(g, 'ReduceMean', match, (hit) => ({
    opType: 'LayerNormalization', domain: '', name: `${hit.nodes[0].name || 'LayerNorm'}_fused`,
    input: [hit.x, hit.gamma, ...(hit.beta ? [hit.beta] : [])], output: [hit.out],
    attribute: [{ name: 'axis', type: 2, i: -1 }, { name: 'epsilon', type: 1, f: hit.epsilon }],
  }));
  return { changed, notes: changed ? [`fused ${changed} LayerNorm${changed > 1 ? 's' : ''} into LayerNormalization`] : [] };
}

export const FUSE_LAYER_NORM: Pass = { rule: 'ONNX009', title: 'Fuse LayerNorm into LayerNormalization', default: true, run };
