/**
 * An editable model for conversions: nodes, inputs and outputs as onnx-proto messages (small),
 * main-graph initializers as descriptions whose bytes are produced only when the writer reaches
 * them (copied from the original file, or computed from one source tensor at a time).
 */
import { onnx } from 'onnx-proto';
import {
  AttributeValue, bitsPerElement, DataType, FunctionInfo, GraphInfo, ModelInfo, NodeInfo, TensorInfo, ValueInfo,
} from '../onnx/model';
import { valueInfo as buildValueInfo } from '../onnx/builder';
import { tensorBytes } from './tensorData';

export interface WInit {
  name: string;
  dataType: number;
  dims: number[];
  /** Copy these bytes from the original model (streamed, never held whole). */
  source?: TensorInfo;
  /** Or compute them when written (then dropped). */
  produce?: () => Buffer;
}

export interface WGraph {
  name: string;
  nodes: onnx.INodeProto[];
  inits: WInit[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  valueInfo: onnx.IValueInfoProto[];
}

export interface WModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  functions: onnx.IFunctionProto[];
  graph: WGraph;
}

export function initBytes(i: WInit): number {
  return Math.ceil((i.dims.reduce((a, b) => a * b, 1) * bitsPerElement(i.dataType)) / 8);
}

/** Several initializers computed together (a quantized weight, its scales, its zero points): computed once, dropped after the last is written. */
export function lazyGroup(count: number, compute: () => Buffer[]): Array<() => Buffer> {
  let cache: Buffer[] | undefined;
  let taken = 0;
  return Array.from({ length: count }, (_, i) => () => {
    cache ??= compute();
    const b = cache[i];
    if (++taken === count) { cache = undefined; taken = 0; }
    return b;
  });
}

export function toWModel(m: ModelInfo): WModel {
  const g = m.graph;
  for (const v of [...g.inputs, ...g.outputs]) {
    if (v.elemType === 0) throw new Error(`graph value '${v.name}' is not a tensor (sequence/map types are not supported by the converter)`);
  }
  return {
    irVersion: m.irVersion, producerName: m.producerName, producerVersion: m.producerVersion,
    opsets: { ...m.opsets }, metadata: { ...m.metadata },
    functions: m.functions.map(functionProto),
    graph: {
      name: g.name,
      nodes: g.nodes.map(nodeProto),
      inits: g.initializers.map((t) => ({ name: t.name, dataType: t.dataType, dims: [...t.dims], source: t })),
      inputs: g.inputs.map(valueInfoProto), outputs: g.outputs.map(valueInfoProto), valueInfo: g.valueInfo.map(valueInfoProto),
    },
  };
}

export function valueInfoProto(v: ValueInfo): onnx.IValueInfoProto {
  if (v.shape === null) return { name: v.name, type: { tensorType: { elemType: v.elemType } } };
  return buildValueInfo(v.name, v.elemType, v.shape);
}

/** A tensor held in memory (Constant values, subgraph weights: small next to main-graph weights). */
export function tensorProto(t: TensorInfo): onnx.ITensorProto {
  return { name: t.name, dataType: t.dataType, dims: t.dims, rawData: tensorBytes(t) };
}

function graphProto(g: GraphInfo): onnx.IGraphProto {
  return {
    name: g.name, node: g.nodes.map(nodeProto), initializer: g.initializers.map(tensorProto),
    input: g.inputs.map(valueInfoProto), output: g.outputs.map(valueInfoProto), valueInfo: g.valueInfo.map(valueInfoProto),
  };
}

export function nodeProto(n: NodeInfo): onnx.INodeProto {
  const attribute: onnx.IAttributeProto[] = [];
  for (const [name, v] of n.attributes) attribute.push(attributeProto(name, v, n));
  return { name: n.name, opType: n.opType, domain: n.domain, input: [...n.inputs], output: [...n.outputs], attribute };
}

function attributeProto(name: string, v: AttributeValue, n: NodeInfo): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (v.kind) {
    case 'float': return { name, type: T.FLOAT, f: v.value };
    case 'int': return { name, type: T.INT, i: v.value };
    case 'string': return { name, type: T.STRING, s: Buffer.from(v.value) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto(v.value) };
    case 'graph': return { name, type: T.GRAPH, g: graphProto(v.value) };
    case 'floats': return { name, type: T.FLOATS, floats: v.value };
    case 'ints': return { name, type: T.INTS, ints: v.value };
    case 'strings': return { name, type: T.STRINGS, strings: v.value.map((s) => Buffer.from(s)) };
    case 'tensors': return { name, type: T.TENSORS, tensors: v.value.map(tensorProto) };
    case 'graphs': return { name, type: T.GRAPHS, graphs: v.value.map(graphProto) };
    case 'ref': return { name, refAttrName: v.value };
    case 'other': throw new Error(`node '${n.name || n.opType}': attribute '${name}' has a type the converter cannot re-emit`);
  }
}

function functionProto(f: FunctionInfo): onnx.IFunctionProto {
  return {
    name: f.name, domain: f.domain, input: f.inputs, output: f.outputs, node: f.nodes.map(nodeProto),
    opsetImport: Object.entries(f.opsets).map(([domain, version]) => ({ domain, version })),
  };
}

/** Consumers of each value name in the main graph (node indices). */
export function consumers(g: WGraph): Map<string, number[]> {
  const out = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const x of n.input ?? []) if (x) { const l = out.get(x); if (l) l.push(i); else out.set(x, [i]); }
  });
  return out;
}

/** Names used anywhere in the graph, and a generator of fresh ones. */
export function nameFactory(g: WGraph): (base: string) => string {
  const used = new Set<string>();
  for (const n of g.nodes) { for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x); if (n.name) used.add(n.name); }
  for (const i of g.inits) used.add(i.name);
  for (const v of [...g.inputs, ...g.outputs]) used.add(v.name ?? '');
  return (base) => {
    let name = base, k = 1;
    while (used.has(name)) name = `${base}_${k++}`;
    used.add(name);
    return name;
  };
}

export function attrInt(n: onnx.INodeProto, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  if (!a) return dflt;
  return typeof a.i === 'number' ? a.i : Number(a.i ?? dflt);
}

export function attrFloat(n: onnx.INodeProto, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.f ?? dflt;
}

export { DataType };
