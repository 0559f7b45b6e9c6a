/**
 * ONNX006's fix: of identical initializers one is kept and the readers of the others read it. In the
 * main graph the first copy stays; copies inside subgraphs (the two branches of an `If` often hold the
 * same weights) become one main-graph initializer that every branch reads from the outer scope.
 */
import { createHash } from 'crypto';
import type { onnx } from 'onnx-proto';
import { duplicateGroups } from '../onnx/duplicates';
import type { TensorInfo } from '../onnx/model';
import type { WGraph } from '../quantize/graph';
import { MIN_DUPLICATE_BYTES } from '../rules/onnx/onnx006_duplicate_initializers';
import type { Pass, PassContext, PassResult } from './pass';
import { renameInGraph, renameValue, subgraphsOf } from './rewire';

function mainGraph(g: WGraph): number {
  // Inputs and outputs are the signature: an initializer that is one keeps its name and its bytes.
  const fixed = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const sources = new Map<TensorInfo, string>();
  for (const i of g.inits) if (i.source && !i.produce && !fixed.has(i.name)) sources.set(i.source, i.name);
  const drop = new Set<string>();
  for (const [keep, ...copies] of duplicateGroups(sources.keys(), MIN_DUPLICATE_BYTES)) {
    for (const c of copies) { renameValue(g, c.name, keep.name); drop.add(c.name); }
  }
  g.inits = g.inits.filter((i) => !drop.has(i.name));
  return drop.size;
}

interface Held { graph: onnx.IGraphProto; tensor: onnx.ITensorProto }

function* subgraphs(nodes: onnx.INodeProto[]): Generator<onnx.IGraphProto> {
  for (const n of nodes) for (const sg of subgraphsOf(n)) { yield sg; yield* subgraphs(sg.node ?? []); }
}

/** Every name used anywhere in the model, so a hoisted initializer shadows nothing. */
function allNames(g: WGraph): Set<string> {
  const names = new Set<string>([...g.inits.map((i) => i.name), ...[...g.inputs, ...g.outputs].map((v) => v.name ?? '')]);
  const add = (nodes: onnx.INodeProto[]): void => { for (const n of nodes) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) names.add(x); };
  add(g.nodes);
  for (const sg of subgraphs(g.nodes)) {
    add(sg.node ?? []);
    for (const t of sg.initializer ?? []) names.add(t.name ?? '');
    for (const v of [...(sg.input ?? []), ...(sg.output ?? [])]) names.add(v.name ?? '');
  }
  return names;
}

function subgraphCopies(g: WGraph): number {
  const groups = new Map<string, Held[]>();
  for (const sg of subgraphs(g.nodes)) {
    const outputs = new Set((sg.output ?? []).map((o) => o.name));
    for (const t of sg.initializer ?? []) {
      const raw = t.rawData;
      if (!raw || raw.length < MIN_DUPLICATE_BYTES || outputs.has(t.name)) continue;
      const key = createHash('sha256').update(`${t.dataType}|${(t.dims ?? []).join('x')}|`).update(raw).digest('hex');
      const list = groups.get(key);
      if (list) list.push({ graph: sg, tensor: t }); else groups.set(key, [{ graph: sg, tensor: t }]);
    }
  }
  const names = allNames(g);
  let merged = 0;
  for (const held of groups.values()) {
    if (held.length < 2) continue;
    const first = held[0].tensor;
    let name = `${first.name}_shared`;
    for (let k = 1; names.has(name); k++) name = `${first.name}_shared_${k}`;
    names.add(name);
    const bytes = Buffer.from(first.rawData!);
    g.inits.push({ name, dataType: first.dataType ?? 0, dims: (first.dims ?? []).map(Number), produce: () => bytes });
    for (const { graph, tensor } of held) {
      graph.initializer = (graph.initializer ?? []).filter((t) => t !== tensor);
      renameInGraph(graph, tensor.name ?? '', name);
    }
    merged += held.length - 1;
  }
  return merged;
}

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  const main = mainGraph(g), sub = subgraphCopies(g);
  const notes: string[] = [];
  if (main) notes.push(`merged ${main} duplicate initializer${main > 1 ? 's' : ''} into the first copy`);
  if (sub) notes.push(`merged ${sub} duplicate subgraph initializer${sub > 1 ? 's' : ''} into main-graph initializers the subgraphs read`);
  return { changed: main + sub, notes };
}

export const MERGE_DUPLICATE_INITIALIZERS: Pass = { rule: 'ONNX006', title: 'Keep one copy of identical initializers', default: true, run };
