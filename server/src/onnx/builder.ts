/**
 * Building ONNX models through onnx-proto's schema: used to generate test fixtures and the
 * example model, and by the writers that emit converted models.
 */
import { onnx } from 'onnx-proto';
import { DataType, Dim } from './model';

export type Attr = number | string | number[] | string[] | { floats: number[] } | { graph: onnx.IGraphProto } | onnx.ITensorProto;

export function tensor(name: string, dataType: DataType, dims: number[], data: ArrayBufferView): onnx.ITensorProto {
  return {
    name, dataType, dims,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function floatTensor(name: string, dims: number[], values: Float32Array | number[]): onnx.ITensorProto {
  return tensor(name, DataType.FLOAT, dims, values instanceof Float32Array ? values : Float32Array.from(values));
}

export function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return tensor(name, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt)));
}

export function valueInfo(name: string, elemType: DataType, shape: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: T.STRINGS, strings: (v as string[]).map((s) => Buffer.from(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  if ('floats' in v && Array.isArray(v.floats)) return { name, type: T.FLOATS, floats: v.floats };
  if ('graph' in v && v.graph) return { name, type: T.GRAPH, g: v.graph as onnx.IGraphProto };
  return { name, type: T.TENSOR, t: v as onnx.ITensorProto };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, opts: { name?: string; domain?: string } = {}): onnx.INodeProto {
  return {
    opType, input: inputs, output: outputs, name: opts.name ?? `${opType}_${outputs[0]}`,
    domain: opts.domain ?? '',
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

export interface ModelSpec {
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  valueInfo?: onnx.IValueInfoProto[];
  name?: string;
  opset?: number;
  extraOpsets?: Record<string, number>;
  irVersion?: number;
  producer?: string;
}

export function model(spec: ModelSpec): onnx.IModelProto {
  return {
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'inference-lens',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, ...Object.entries(spec.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version }))],
    graph: {
      name: spec.name ?? 'graph', node: spec.nodes, initializer: spec.initializers ?? [],
      input: spec.inputs, output: spec.outputs, valueInfo: spec.valueInfo ?? [],
    },
  };
}

export function encodeModel(m: onnx.IModelProto): Buffer {
  return Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish());
}

/** Deterministic pseudo-random floats (a 32-bit LCG), so generated models are identical on every machine. */
export function seededFloats(n: number, seed: number, scale = 0.1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}
