/**
 * ONNX007's fix: Identity, inference-mode Dropout and Casts to the type a value already has are
 * bypassed; a Transpose followed by its inverse goes with it; a Reshape that only feeds another
 * Reshape is skipped (the second decides the shape). Values that are graph outputs keep their names.
 */
import type { onnx } from 'onnx-proto';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { bypass, constantValues, GraphLinks, intOf, intsOf, isOp, links, pruneValueInfo, removeNode } from './rewire';

/** Transpose perm p1 then p2 is the identity. */
export function cancels(p1: number[], p2: number[]): boolean {
  return p1.length === p2.length && p2.every((p, i) => p1[p] === i);
}

function soleReader(l: GraphLinks, value: string): onnx.INodeProto | undefined {
  const r = l.readers.get(value);
  return r && r.length === 1 && !l.outputs.has(value) ? r[0] : undefined;
}

/** One rewrite at node n, if it applies; the graph links are rebuilt after each. */
function simplify(g: WGraph, l: GraphLinks, n: onnx.INodeProto, types: Map<string, number>): string | undefined {
  const [x] = n.input ?? [];
  const [y] = n.output ?? [];
  if (!x || !y || (n.domain ?? '') !== '') return undefined;
  const op = n.opType;
  if (op === 'Identity') return bypass(g, l, n, x, y) ? 'Identity' : undefined;
  if (op === 'Dropout') {
    const mask = n.output?.[1];
    if (mask && (l.readers.has(mask) || l.outputs.has(mask))) return undefined;
    const training = n.input?.[2];
    if (training && constantValues(g, l, training)?.[0] !== 0) return undefined;
    return bypass(g, l, n, x, y) ? 'Dropout' : undefined;
  }
  if (op === 'Cast') {
    const from = types.get(x);
    return from !== undefined && from === intOf(n, 'to') && bypass(g, l, n, x, y) ? 'Cast to the same type' : undefined;
  }
  if (op === 'Transpose') {
    const next = soleReader(l, y);
    const p1 = intsOf(n, 'perm'), p2 = next && isOp(next, 'Transpose') ? intsOf(next, 'perm') : undefined;
    if (!next || !p1 || !p2 || !cancels(p1, p2)) return undefined;
    if (!bypass(g, l, next, x, next.output![0])) return undefined;
    removeNode(g, n);
    return 'Transpose pair';
  }
  if (op === 'Reshape') {
    const next = soleReader(l, y);
    if (!isOp(next, 'Reshape') || next.input?.[0] !== y) return undefined;
    // A 0 in the second shape copies a dim of its input (allowzero = 0): skipping the first would change it.
    const shape = next.input?.[1] ? constantValues(g, l, next.input[1], 64) : undefined;
    if (!shape || (shape.includes(0) && intOf(next, 'allowzero') !== 1)) return undefined;
    next.input![0] = x;
    removeNode(g, n);
    return 'Reshape chain';
  }
  return undefined;
}

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  const counts: Record<string, number> = {};
  let changed = 0;
  for (let progress = true; progress;) {
    progress = false;
    let l = links(g);
    for (const n of [...g.nodes]) {
      if (!g.nodes.includes(n)) continue;
      const what = simplify(g, l, n, ctx.types);
      if (!what) continue;
      counts[what] = (counts[what] ?? 0) + 1;
      changed++;
      progress = true;
      l = links(g);
    }
  }
  pruneValueInfo(g);
  const notes = Object.entries(counts).map(([what, k]) => `removed ${k} × ${what}`);
  return { changed, notes };
}

export const REMOVE_REDUNDANT_OPS: Pass = { rule: 'ONNX007', title: 'Remove Identity, Dropout, no-op Casts, cancelling Transposes and Reshape chains', default: true, run };
