/**
 * ONNX008's fix: nodes that compute only from constants are run once, by onnxruntime-node in the
 * caller's child process (the Evaluator), and their results become initializers. Each standard op
 * is computed by the runtime that will run the model, so no op needs a TypeScript twin. Results
 * larger than what they are computed from (ConstantOfShape, Expand, Tile on small inputs) stay
 * computed at run time, as onnx-simplifier does, so the file never grows by folding.
 */
import * as path from 'path';
import type { onnx } from 'onnx-proto';
import { bitsPerElement } from '../onnx/model';
import { initBytes, WGraph, WInit, WModel } from '../quantize/graph';
import { writeModel } from '../quantize/writer';
import type { Pass, PassContext, PassResult } from './pass';
import { links, pruneValueInfo, subgraphReads } from './rewire';

/** Kept as they are, as ONNX008 does: QDQ weights are the runtime's to fuse, random ops are not constant. */
const KEEP = new Set(['QuantizeLinear', 'DequantizeLinear', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);
/** A folded value may grow the file by this much over its inputs (shape vectors, small tables). */
const GROWTH_ALLOWANCE = 64 * 1024;

/** Standard-domain nodes of the main graph whose inputs are all constants or results of such nodes, in graph order. */
export function foldable(g: WGraph): onnx.INodeProto[] {
  const constant = new Set(g.inits.map((i) => i.name));
  for (const v of g.inputs) constant.delete(v.name ?? ''); // an initializer that is an input can be overridden
  const out: onnx.INodeProto[] = [];
  for (const n of g.nodes) {
    const inputs = (n.input ?? []).filter(Boolean);
    const hasSubgraph = (n.attribute ?? []).some((a) => a.g || a.graphs?.length);
    const isConstantNode = n.opType === 'Constant' && !n.domain;
    if ((n.domain ?? '') !== '' || KEEP.has(n.opType ?? '') || hasSubgraph) continue;
    if (!isConstantNode && (!inputs.length || !inputs.every((i) => constant.has(i)))) continue;
    out.push(n);
    for (const o of n.output ?? []) if (o) constant.add(o);
  }
  return out;
}

async function run(ctx: PassContext): Promise<PassResult> {
  const g = ctx.model.graph;
  const nodes = foldable(g);
  // Constant nodes alone are already constants: fold only when some real computation is among them.
  if (!nodes.some((n) => n.opType !== 'Constant')) return { changed: 0, notes: [] };
  if (!ctx.evaluate || !ctx.tmpDir) return { changed: 0, notes: ['constant folding needs onnxruntime-node (not available here): skipped'] };
  const set = new Set(nodes);
  const l = links(g);
  // The frontier: folded values something outside the folded set reads (or the graph returns).
  const frontier = nodes.flatMap((n) => (n.output ?? []).filter((o) => o && (l.outputs.has(o) || (l.readers.get(o) ?? []).some((r) => !set.has(r)))));
  const typed = frontier.filter((v) => ctx.types.has(v));
  if (!typed.length) return { changed: 0, notes: ['constant subgraphs found, but the types of their results are unknown: left as they are'] };
  const file = path.join(ctx.tmpDir, 'fold.onnx');
  await writeModel(subModel(ctx.model, nodes, typed, ctx.types), file, { externalData: false });
  const values = await ctx.evaluate(file);
  const inits = new Map(g.inits.map((i) => [i.name, i]));
  const folded: WInit[] = [];
  const skipped: string[] = [];
  for (const v of typed) {
    const r = values[v];
    if (!r || !bitsPerElement(r.dataType)) { skipped.push(v); continue; }
    const budget = inputBytes(v, l.producer, inits) + GROWTH_ALLOWANCE;
    if (r.data.length > budget) { skipped.push(v); continue; }
    folded.push({ name: v, dataType: r.dataType, dims: r.dims, produce: () => r.data });
  }
  if (!folded.length) return { changed: 0, notes: ['constant results would be larger than what they are computed from: left to run time'] };
  // The producers of folded values go; the dead-node pass removes what only fed them.
  const done = new Set(folded.map((f) => f.name));
  const removed = g.nodes.filter((n) => set.has(n) && (n.output ?? []).some((o) => done.has(o)) && (n.output ?? []).every((o) => !o || done.has(o) || !isRead(l, o)));
  const drop = new Set(removed);
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  g.inits.push(...folded.filter((f) => removed.some((n) => n.output?.includes(f.name))));
  pruneValueInfo(g);
  const notes = [`folded ${removed.length} constant result${removed.length === 1 ? '' : 's'} into initializers (computed by onnxruntime-node)`];
  if (skipped.length) notes.push(`kept ${skipped.length} constant computation${skipped.length > 1 ? 's' : ''} whose result is larger than its inputs or untyped (e.g. '${skipped[0]}')`);
  return { changed: removed.length, notes };
}

function isRead(l: ReturnType<typeof links>, v: string): boolean {
  return l.outputs.has(v) || (l.readers.get(v)?.length ?? 0) > 0;
}

/** Bytes of the initializers a value is computed from (through its constant producers). */
function inputBytes(v: string, producer: Map<string, onnx.INodeProto>, inits: Map<string, WInit>): number {
  let bytes = 0;
  const seen = new Set<string>();
  const stack = [v];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    const i = inits.get(x);
    if (i) { bytes += initBytes(i); continue; }
    const p = producer.get(x);
    if (!p) continue;
    if (p.opType === 'Constant') bytes += p.attribute?.[0]?.t?.rawData?.length ?? 0;
    stack.push(...(p.input ?? []).filter(Boolean));
  }
  return bytes;
}

/** A model of just the constant nodes, returning the frontier values (the initializers they read stream from the original). */
function subModel(m: WModel, nodes: onnx.INodeProto[], outputs: string[], types: Map<string, number>): WModel {
  const reads = new Set<string>();
  for (const n of nodes) { for (const i of n.input ?? []) reads.add(i); for (const r of subgraphReads(n)) reads.add(r); }
  const graph: WGraph = {
    name: 'fold', nodes, inits: m.graph.inits.filter((i) => reads.has(i.name)), inputs: [],
    outputs: outputs.map((name) => ({ name, type: { tensorType: { elemType: types.get(name)! } } })), valueInfo: [],
  };
  return { ...m, graph, functions: m.functions };
}

export const FOLD_CONSTANTS: Pass = { rule: 'ONNX008', title: 'Fold constant subgraphs', default: true, run };
