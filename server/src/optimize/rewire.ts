/**
 * Graph surgery on a WModel's main graph, shared by the optimization passes: who produces and reads
 * each value, small constant values, renaming a value everywhere (subgraphs read outer values by
 * name, so they are renamed too) and removing a node that only forwards its input.
 */
import { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { smallTensorValues } from '../onnx/textView';
import type { WGraph } from '../quantize/graph';

export interface GraphLinks {
  producer: Map<string, onnx.INodeProto>;
  readers: Map<string, onnx.INodeProto[]>;
  /** Graph output names: values that must keep their name. */
  outputs: Set<string>;
  /** Graph inputs and initializers: values no node produces. */
  sources: Set<string>;
}

export function links(g: WGraph): GraphLinks {
  const l: GraphLinks = { producer: new Map(), readers: new Map(), outputs: new Set(g.outputs.map((o) => o.name ?? '')), sources: new Set() };
  for (const v of g.inputs) l.sources.add(v.name ?? '');
  for (const i of g.inits) l.sources.add(i.name);
  for (const n of g.nodes) {
    for (const o of n.output ?? []) if (o) l.producer.set(o, n);
    const reads = new Set([...(n.input ?? []).filter(Boolean), ...subgraphReads(n)]);
    for (const x of reads) { const r = l.readers.get(x); if (r) r.push(n); else l.readers.set(x, [n]); }
  }
  return l;
}

export function subgraphsOf(n: onnx.INodeProto): onnx.IGraphProto[] {
  const out: onnx.IGraphProto[] = [];
  for (const a of n.attribute ?? []) { if (a.g) out.push(a.g); for (const sg of a.graphs ?? []) out.push(sg); }
  return out;
}

/** Outer names a node's subgraphs read (anything they read that they do not define themselves). */
export function subgraphReads(n: onnx.INodeProto): Set<string> {
  const out = new Set<string>();
  for (const sg of subgraphsOf(n)) {
    const defined = new Set<string>([...(sg.input ?? []).map((v) => v.name ?? ''), ...(sg.initializer ?? []).map((t) => t.name ?? '')]);
    for (const sn of sg.node ?? []) for (const o of sn.output ?? []) defined.add(o);
    for (const sn of sg.node ?? []) {
      for (const i of sn.input ?? []) if (i && !defined.has(i)) out.add(i);
      for (const r of subgraphReads(sn)) if (!defined.has(r)) out.add(r);
    }
    for (const o of sg.output ?? []) if (o.name && !defined.has(o.name)) out.add(o.name);
  }
  return out;
}

/** Every read of value `from` becomes a read of `to`: node inputs, subgraph outer reads and graph outputs. */
export function renameValue(g: WGraph, from: string, to: string): void {
  for (const n of g.nodes) renameInNode(n, from, to);
  for (const o of g.outputs) if (o.name === from) o.name = to;
}

/** Renames reads of `from` inside one subgraph (and the subgraphs it holds, unless they define `from`). */
export function renameInGraph(sg: onnx.IGraphProto, from: string, to: string): void {
  for (const sn of sg.node ?? []) renameInNode(sn, from, to);
  for (const o of sg.output ?? []) if (o.name === from) o.name = to;
}

function renameInNode(n: onnx.INodeProto, from: string, to: string): void {
  if (n.input) n.input = n.input.map((x) => (x === from ? to : x));
  for (const sg of subgraphsOf(n)) {
    const shadowed = (sg.input ?? []).some((v) => v.name === from) || (sg.initializer ?? []).some((t) => t.name === from) ||
      (sg.node ?? []).some((sn) => (sn.output ?? []).includes(from));
    if (shadowed) continue;
    for (const sn of sg.node ?? []) renameInNode(sn, from, to);
    for (const o of sg.output ?? []) if (o.name === from) o.name = to;
  }
}

/**
 * Removes node `n`, whose output `out` equals its input `inp`: readers of `out` read `inp` instead.
 * When `out` is a graph output its name must survive, so `inp`'s producer is made to write `out`
 * (possible only when `inp` is a node's result and not itself a graph output); false when neither works.
 */
export function bypass(g: WGraph, l: GraphLinks, n: onnx.INodeProto, inp: string, out: string): boolean {
  if (!l.outputs.has(out)) {
    removeNode(g, n);
    renameValue(g, out, inp);
    return true;
  }
  const p = l.producer.get(inp);
  if (!p || l.outputs.has(inp) || l.sources.has(inp)) return false;
  removeNode(g, n);
  p.output = (p.output ?? []).map((o) => (o === inp ? out : o));
  renameValue(g, inp, out);
  g.valueInfo = g.valueInfo.filter((v) => v.name !== inp);
  l.producer.set(out, p);
  return true;
}

/**
 * Fuses every match: for each node of type `op` that `match` accepts, the node `fused` builds takes
 * the place of the earliest matched node (its inputs come before the pattern, the readers of its
 * output after it) and the matched nodes go. Links are rebuilt after every rewrite. Returns the count.
 */
export function fuseEach<M extends { nodes: onnx.INodeProto[] }>(g: WGraph, op: string,
  match: (l: GraphLinks, n: onnx.INodeProto) => M | undefined, fused: (m: M, n: onnx.INodeProto) => onnx.INodeProto): number {
  let changed = 0;
  let l = links(g);
  for (const n of [...g.nodes]) {
    if (!isOp(n, op) || !g.nodes.includes(n)) continue;
    const hit = match(l, n);
    if (!hit) continue;
    const drop = new Set(hit.nodes);
    const first = g.nodes.findIndex((x) => drop.has(x));
    g.nodes.splice(first, 0, fused(hit, n));
    g.nodes = g.nodes.filter((x) => !drop.has(x));
    changed++;
    l = links(g);
  }
  pruneValueInfo(g);
  return changed;
}

export function removeNode(g: WGraph, n: onnx.INodeProto): void {
  const i = g.nodes.indexOf(n);
  if (i >= 0) g.nodes.splice(i, 1);
}

/** Drops value_info entries of values nothing produces any more (they would mislead the checker). */
export function pruneValueInfo(g: WGraph): void {
  const produced = new Set<string>();
  for (const n of g.nodes) for (const o of n.output ?? []) produced.add(o);
  g.valueInfo = g.valueInfo.filter((v) => produced.has(v.name ?? ''));
}

export function attr(n: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

export function intsOf(n: onnx.INodeProto, name: string): number[] | undefined {
  const a = attr(n, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}

export function intOf(n: onnx.INodeProto, name: string): number | undefined {
  const a = attr(n, name);
  return a && a.i !== undefined && a.i !== null ? Number(a.i) : undefined;
}

export function isOp(n: onnx.INodeProto | undefined, op: string, domain = ''): n is onnx.INodeProto {
  return !!n && n.opType === op && (n.domain ?? '') === domain;
}

/** The values of a small constant (initializer or Constant node), as numbers. */
export function constantValues(g: WGraph, l: GraphLinks, name: string, max = 8): number[] | undefined {
  const init = g.inits.find((i) => i.name === name);
  if (init) {
    if (init.source) return smallTensorValues(init.source, max);
    return init.produce ? decode(init.dataType, init.produce(), max) : undefined;
  }
  const p = l.producer.get(name);
  if (!isOp(p, 'Constant')) return undefined;
  const a = p.attribute?.[0];
  if (!a) return undefined;
  if (a.name === 'value_float') return [a.f ?? 0];
  if (a.name === 'value_int') return [Number(a.i ?? 0)];
  if (a.name === 'value_floats') return a.floats ?? undefined;
  if (a.name === 'value_ints') return a.ints?.map(Number);
  if (a.name === 'value' && a.t) return protoTensorValues(a.t, max);
  return undefined;
}

export function constantScalar(g: WGraph, l: GraphLinks, name: string): number | undefined {
  const v = constantValues(g, l, name, 1);
  return v && v.length === 1 ? v[0] : undefined;
}

function protoTensorValues(t: onnx.ITensorProto, max: number): number[] | undefined {
  const n = (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);
  if (n > max) return undefined;
  if (t.rawData && t.rawData.length) return decode(t.dataType ?? 0, Buffer.from(t.rawData), max);
  if (t.floatData?.length) return [...t.floatData];
  if (t.doubleData?.length) return [...t.doubleData];
  if (t.int64Data?.length) return t.int64Data.map(Number);
  if (t.int32Data?.length) return [...t.int32Data];
  return undefined;
}

function decode(dataType: number, b: Buffer, max: number): number[] | undefined {
  const width = dataType === DataType.DOUBLE || dataType === DataType.INT64 ? 8 : dataType === DataType.FLOAT || dataType === DataType.INT32 ? 4 : 0;
  if (!width || b.length / width > max) return undefined;
  const out: number[] = [];
  for (let i = 0; i + width <= b.length; i += width) {
    out.push(dataType === DataType.DOUBLE ? b.readDoubleLE(i) : dataType === DataType.FLOAT ? b.readFloatLE(i) :
      dataType === DataType.INT64 ? Number(b.readBigInt64LE(i)) : b.readInt32LE(i));
  }
  return out;
}

/**
 * Removes the nodes of `seeds` whose outputs nothing reads any more, then their producers that
 * became unread in turn: what a fusion leaves behind, without touching dead code it did not make.
 */
export function removeUnread(g: WGraph, seeds: onnx.INodeProto[]): number {
  const l = links(g);
  const gone = new Set<onnx.INodeProto>();
  const reads = (v: string): boolean => l.outputs.has(v) || (l.readers.get(v) ?? []).some((r) => !gone.has(r));
  const work = [...seeds];
  while (work.length) {
    const n = work.pop()!;
    if (gone.has(n) || !g.nodes.includes(n) || subgraphsOf(n).length || (n.output ?? []).some((o) => o && reads(o))) continue;
    gone.add(n);
    for (const i of n.input ?? []) { const p = i ? l.producer.get(i) : undefined; if (p) work.push(p); }
  }
  g.nodes = g.nodes.filter((n) => !gone.has(n));
  return gone.size;
}
