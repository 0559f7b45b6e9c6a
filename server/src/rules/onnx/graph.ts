/**
 * Graph lookups the model rules share: who produces and who consumes each value, which values are
 * constant, what type a value has. Built once per graph; pure.
 */
import { allGraphs, AttributeValue, DataType, GraphInfo, ModelInfo, NodeInfo, TensorInfo } from '../../onnx/model';
import { smallTensorValues, ViewTarget } from '../../onnx/textView';
import type { Finding } from '../types';
import { FILE_RANGE } from './onnx000_unreadable_model';

export interface GraphIndex {
  graph: GraphInfo;
  producer: Map<string, NodeInfo>;
  consumers: Map<string, NodeInfo[]>;
  initializers: Map<string, TensorInfo>;
  /** Outputs of `Constant` nodes → their tensor (value_* scalars and lists have no TensorInfo). */
  constants: Map<string, TensorInfo | undefined>;
  outputs: Set<string>;
  /** Element type of every value whose type the file states (inputs, outputs, value_info, initializers, Constants). */
  types: Map<string, number>;
}

export function indexGraph(g: GraphInfo): GraphIndex {
  const ix: GraphIndex = {
    graph: g, producer: new Map(), consumers: new Map(), initializers: new Map(), constants: new Map(),
    outputs: new Set(g.outputs.map((o) => o.name)), types: new Map(),
  };
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) if (v.elemType) ix.types.set(v.name, v.elemType);
  for (const t of g.initializers) { ix.initializers.set(t.name, t); ix.types.set(t.name, t.dataType); }
  for (const n of g.nodes) {
    for (const o of n.outputs) if (o) ix.producer.set(o, n);
    for (const i of n.inputs) {
      if (!i) continue;
      const list = ix.consumers.get(i);
      if (list) list.push(n); else ix.consumers.set(i, [n]);
    }
    if (isOp(n, 'Constant') && n.outputs[0]) {
      const t = constantTensor(n);
      ix.constants.set(n.outputs[0], t);
      if (t) ix.types.set(n.outputs[0], t.dataType);
    }
  }
  return ix;
}

export function isOp(n: NodeInfo, op: string, domain = ''): boolean {
  return n.opType === op && n.domain === domain;
}

export function constantTensor(n: NodeInfo): TensorInfo | undefined {
  const v = n.attributes.get('value');
  return v?.kind === 'tensor' ? v.value : undefined;
}

export function attr(n: NodeInfo, name: string): AttributeValue | undefined {
  return n.attributes.get(name);
}

export function intAttr(n: NodeInfo, name: string): number | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'int' ? a.value : undefined;
}

export function intsAttr(n: NodeInfo, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'ints' ? a.value : undefined;
}

/** An initializer or Constant output. */
export function isConstant(ix: GraphIndex, name: string): boolean {
  return ix.initializers.has(name) || ix.constants.has(name);
}

/** The values of a small constant input (scalars, shapes), when the file holds them inline. */
export function constantValues(ix: GraphIndex, name: string): number[] | undefined {
  const t = ix.initializers.get(name) ?? ix.constants.get(name);
  if (t) return smallTensorValues(t);
  const p = ix.producer.get(name);
  const a = p && isOp(p, 'Constant') ? (p.attributes.get('value_float') ?? p.attributes.get('value_int') ?? p.attributes.get('value_ints') ?? p.attributes.get('value_floats')) : undefined;
  if (a?.kind === 'float' || a?.kind === 'int') return [a.value];
  if (a?.kind === 'floats' || a?.kind === 'ints') return a.value;
  return undefined;
}

/** The one scalar a constant input holds, if it is one. */
export function constantScalar(ix: GraphIndex, name: string): number | undefined {
  const v = constantValues(ix, name);
  return v && v.length === 1 ? v[0] : undefined;
}

/** Names a node's subgraphs read (outer-scope references included): they keep those values alive. */
export function subgraphReads(n: NodeInfo): Set<string> {
  const out = new Set<string>();
  for (const a of n.attributes.values()) {
    const gs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
    for (const g of gs) for (const sg of allGraphs(g)) {
      for (const sn of sg.nodes) for (const i of sn.inputs) if (i) out.add(i);
      for (const o of sg.outputs) out.add(o.name);
    }
  }
  return out;
}

/** The single consumer of a value, when exactly one node reads it and it is not a graph output. */
export function soleConsumer(ix: GraphIndex, name: string): NodeInfo | undefined {
  const c = ix.consumers.get(name);
  return c && c.length === 1 && !ix.outputs.has(name) ? c[0] : undefined;
}

/** Every node in the model, with the graph it belongs to. */
export function* allNodes(model: ModelInfo): Generator<{ node: NodeInfo; graph: GraphInfo }> {
  for (const g of allGraphs(model.graph)) for (const node of g.nodes) yield { node, graph: g };
}

export function isFloat32(t: TensorInfo): boolean {
  return t.dataType === DataType.FLOAT;
}

export function opLabel(n: NodeInfo): string {
  return `${n.domain ? n.domain + '.' : ''}${n.opType}${n.name ? ` '${n.name}'` : ''}`;
}

/** A model finding on a text-view target; the engine turns the target into the range. */
export function modelFinding(rule: string, message: string, target: ViewTarget): Finding {
  return { rule, message, target, range: FILE_RANGE };
}

/** Consumers of every value across all graphs: weights in the main graph are often read inside If/Loop bodies. */
export function modelConsumers(model: ModelInfo): Map<string, NodeInfo[]> {
  const out = new Map<string, NodeInfo[]>();
  for (const { node } of allNodes(model)) {
    for (const i of node.inputs) {
      if (!i) continue;
      const list = out.get(i);
      if (list) list.push(node); else out.set(i, [node]);
    }
  }
  return out;
}

/** Ops that mean the model is already quantized (QDQ, integer or weight-only formats). */
export const QUANTIZED_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearConv',
  'QLinearMatMul', 'DynamicQuantizeMatMul', 'MatMulNBits', 'DynamicQuantizeLSTM', 'QAttention', 'QGemm',
  'MatMulIntegerToFloat', 'GatherBlockQuantized', 'QLinearAdd', 'QLinearMul',
]);
