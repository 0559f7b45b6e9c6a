/**
 * The in-memory view of an ONNX model: its structure, never its weights. Each tensor records where
 * its bytes live (in the model file or an external-data file) so they can be streamed on demand.
 */

export enum DataType {
  UNDEFINED = 0, FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7,
  STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, COMPLEX64 = 14,
  COMPLEX128 = 15, BFLOAT16 = 16, FLOAT8E4M3FN = 17, FLOAT8E4M3FNUZ = 18, FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20, UINT4 = 21, INT4 = 22, FLOAT4E2M1 = 23,
}

/** Bits per element; 0 for types without a fixed size (STRING, UNDEFINED). */
export function bitsPerElement(t: number): number {
  switch (t) {
    case DataType.FLOAT: case DataType.INT32: case DataType.UINT32: return 32;
    case DataType.UINT8: case DataType.INT8: case DataType.BOOL:
    case DataType.FLOAT8E4M3FN: case DataType.FLOAT8E4M3FNUZ: case DataType.FLOAT8E5M2: case DataType.FLOAT8E5M2FNUZ: return 8;
    case DataType.UINT16: case DataType.INT16: case DataType.FLOAT16: case DataType.BFLOAT16: return 16;
    case DataType.INT64: case DataType.UINT64: case DataType.DOUBLE: case DataType.COMPLEX64: return 64;
    case DataType.COMPLEX128: return 128;
    case DataType.UINT4: case DataType.INT4: case DataType.FLOAT4E2M1: return 4;
    default: return 0;
  }
}

export function dataTypeName(t: number): string {
  const name = DataType[t];
  return name === undefined ? `unknown(${t})` : name.toLowerCase();
}

export function isFloatType(t: number): boolean {
  return t === DataType.FLOAT || t === DataType.FLOAT16 || t === DataType.BFLOAT16 || t === DataType.DOUBLE ||
    (t >= DataType.FLOAT8E4M3FN && t <= DataType.FLOAT8E5M2FNUZ) || t === DataType.FLOAT4E2M1;
}

/** Where a tensor's bytes are. `file` is absolute; `encoding` says how to decode them. */
export interface TensorLocation {
  file: string;
  offset: number;
  length: number;
  /** raw: little-endian packed as `raw_data`; the others are protobuf packed repeated fields. */
  encoding: 'raw' | 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data';
  external: boolean;
}

export interface TensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  /** Product of dims (1 for a scalar); NaN when it overflows or a dim is negative. */
  elements: number;
  /** Bytes the elements occupy once decoded (0 for STRING). */
  byteLength: number;
  location?: TensorLocation;
  /** Small tensors (shape constants, scales) are kept decoded-ready for shape inference. */
  inline?: Buffer;
  /** Elements given as repeated values outside raw_data (typed fields or string_data). */
  storedElements: number;
  /** Byte offset in the model file of this TensorProto, for error messages. */
  fileOffset: number;
}

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorInfo }
  | { kind: 'graph'; value: GraphInfo }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensors'; value: TensorInfo[] }
  | { kind: 'graphs'; value: GraphInfo[] }
  | { kind: 'ref'; value: string }
  | { kind: 'other'; value: null };

export interface NodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
  /** Byte offset of the NodeProto in the model file. */
  fileOffset: number;
}

/** A dimension: a number, a symbolic name, or unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  elemType: number;
  /** null when the shape is unknown (not even the rank). */
  shape: Dim[] | null;
}

export interface GraphInfo {
  name: string;
  nodes: NodeInfo[];
  initializers: TensorInfo[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}

export interface FunctionInfo {
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  nodes: NodeInfo[];
  opsets: Record<string, number>;
}

/** Something wrong in the file that did not stop the read. */
export interface ReadProblem {
  message: string;
  offset?: number;
  tensor?: string;
}

export interface ModelInfo {
  path: string;
  fileSize: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** domain ('' is ai.onnx) → version */
  opsets: Record<string, number>;
  graph: GraphInfo;
  functions: FunctionInfo[];
  metadata: Record<string, string>;
  problems: ReadProblem[];
}

/** Walks a graph and every subgraph held in node attributes (If/Loop/Scan bodies), depth first. */
export function* allGraphs(g: GraphInfo): Generator<GraphInfo> {
  yield g;
  for (const n of g.nodes) {
    for (const a of n.attributes.values()) {
      if (a.kind === 'graph') yield* allGraphs(a.value);
      else if (a.kind === 'graphs') for (const sg of a.value) yield* allGraphs(sg);
    }
  }
}
