/** ONNX004's fix: nodes no graph output depends on are removed (their inputs' producers may follow). */
import type { onnx } from 'onnx-proto';
import type { WGraph } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { pruneValueInfo, subgraphReads } from './rewire';

/** Nodes of the main graph from which no graph output can be reached (subgraph reads keep their inputs alive). */
export function deadNodes(g: WGraph): onnx.INodeProto[] {
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of g.nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const live = new Set<onnx.INodeProto>();
  const stack = g.outputs.map((o) => o.name ?? '');
  while (stack.length) {
    const n = producer.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const i of n.input ?? []) if (i) stack.push(i);
    for (const r of subgraphReads(n)) stack.push(r);
  }
  return g.nodes.filter((n) => !live.has(n));
}

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  const dead = new Set(deadNodes(g));
  if (!dead.size) return { changed: 0, notes: [] };
  g.nodes = g.nodes.filter((n) => !dead.has(n));
  pruneValueInfo(g);
  return { changed: dead.size, notes: [`removed ${dead.size} dead node${dead.size > 1 ? 's' : ''}`] };
}

export const REMOVE_DEAD_NODES: Pass = { rule: 'ONNX004', title: 'Remove dead nodes', default: true, run };
