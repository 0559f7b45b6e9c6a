/** ONNX005's fix: initializers no node (subgraphs included) reads and no output returns are dropped. */
import type { WGraph } from '../quantize/graph';
import { initBytes } from '../quantize/graph';
import type { Pass, PassContext, PassResult } from './pass';
import { subgraphReads } from './rewire';

/** Names read by a node, a subgraph or the graph outputs. */
export function readNames(g: WGraph): Set<string> {
  const read = new Set<string>(g.outputs.map((o) => o.name ?? ''));
  for (const n of g.nodes) {
    for (const i of n.input ?? []) if (i) read.add(i);
    for (const r of subgraphReads(n)) read.add(r);
  }
  return read;
}

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  const read = readNames(g);
  // An initializer listed as a graph input (IR < 4) is part of the signature: left alone.
  const inputs = new Set(g.inputs.map((v) => v.name));
  const unused = g.inits.filter((i) => !read.has(i.name) && !inputs.has(i.name));
  if (!unused.length) return { changed: 0, notes: [] };
  const drop = new Set(unused);
  g.inits = g.inits.filter((i) => !drop.has(i));
  const bytes = unused.reduce((a, i) => a + initBytes(i), 0);
  return { changed: unused.length, notes: [`dropped ${unused.length} unused initializer${unused.length > 1 ? 's' : ''} (${bytes} bytes)`] };
}

export const DROP_UNUSED_INITIALIZERS: Pass = { rule: 'ONNX005', title: 'Drop unused initializers', default: true, run };
