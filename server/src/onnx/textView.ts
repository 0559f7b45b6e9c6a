/**
 * The model as text: the ONNX textual syntax that `onnx.printer` writes (header, graph signature,
 * one node per line, subgraphs indented), with a map from nodes, tensors and the header to lines,
 * so diagnostics and hovers have somewhere to sit in a binary file. Initializers are summarised by
 * type and shape, never their data. Pure: ModelInfo in, text and line map out.
 */
import {
  AttributeValue, DataType, dataTypeName, Dim, FunctionInfo, GraphInfo, ModelInfo, NodeInfo, TensorInfo, ValueInfo,
} from './model';
import { formatBytes } from './summary';

/** What a finding or hover can point at in the text view. */
export type ViewTarget =
  | { kind: 'node'; node: NodeInfo }
  /** An initializer, graph input/output, or any value (mapped to the node that produces it). */
  | { kind: 'tensor'; name: string }
  | { kind: 'graph' };

export interface TextView {
  text: string;
  /** The `<ir_version: …, opset_import: […]>` line. */
  headerLine: number;
  /** Every node, subgraphs and functions included → its (first) line. */
  nodeLines: Map<NodeInfo, number>;
  /** Initializer / graph input / graph output name → its line in the signature (outermost graph first). */
  tensorLines: Map<string, number>;
  /** Line → the node on it, for hovers (sparse: undefined on other lines). */
  lineNodes: Array<NodeInfo | undefined>;
  /** Line → the tensor declared on it. */
  lineTensors: Map<number, string>;
  lineCount: number;
}

const INDENTS: string[] = [''];
function indent(depth: number): string {
  while (INDENTS.length <= depth) INDENTS.push(INDENTS[INDENTS.length - 1] + '   ');
  return INDENTS[depth];
}

/** Names the ONNX parser takes bare; others are quoted. */
const BARE = /^[A-Za-z_][A-Za-z0-9_.:/\-]*$/;

export function quoteName(name: string): string {
  return BARE.test(name) ? name : JSON.stringify(name);
}

export function typeName(t: number): string {
  switch (t) {
    case DataType.FLOAT: return 'float';
    case DataType.DOUBLE: return 'double';
    case DataType.FLOAT16: return 'float16';
    case DataType.BFLOAT16: return 'bfloat16';
    default: return dataTypeName(t);
  }
}

function dimText(d: Dim): string {
  return d === null ? '?' : String(d);
}

export function tensorType(elemType: number, shape: Dim[] | null): string {
  return shape ? `${typeName(elemType)}[${shape.map(dimText).join(',')}]` : typeName(elemType);
}

function formatFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toFixed(1);
  return String(Math.fround(v) === v ? Number(v.toPrecision(7)) : v);
}

/** The values of a small inline tensor (shape constants, scalars), or undefined when not decodable cheaply. */
export function smallTensorValues(t: TensorInfo, max = 8): number[] | undefined {
  const buf = t.inline;
  if (!buf || !t.location || t.location.encoding !== 'raw' || Number.isNaN(t.elements) || t.elements > max) return undefined;
  const out: number[] = [];
  for (let i = 0; i < t.elements; i++) {
    switch (t.dataType) {
      case DataType.FLOAT: if (buf.length < 4 * (i + 1)) return undefined; out.push(buf.readFloatLE(4 * i)); break;
      case DataType.DOUBLE: if (buf.length < 8 * (i + 1)) return undefined; out.push(buf.readDoubleLE(8 * i)); break;
      case DataType.INT64: if (buf.length < 8 * (i + 1)) return undefined; out.push(Number(buf.readBigInt64LE(8 * i))); break;
      case DataType.INT32: if (buf.length < 4 * (i + 1)) return undefined; out.push(buf.readInt32LE(4 * i)); break;
      case DataType.INT8: out.push(buf.readInt8(i)); break;
      case DataType.UINT8: case DataType.BOOL: out.push(buf[i]); break;
      default: return undefined;
    }
  }
  return out;
}

function tensorLiteral(t: TensorInfo): string {
  const type = tensorType(t.dataType, t.dims);
  const values = smallTensorValues(t);
  if (!values) return `${type} {…}`;
  const float = t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE;
  return `${type} {${values.map((v) => (float ? formatFloat(v) : String(v))).join(',')}}`;
}

class Writer {
  lines: string[] = [];
  nodeLines = new Map<NodeInfo, number>();
  tensorLines = new Map<string, number>();
  lineNodes: Array<NodeInfo | undefined> = [];
  lineTensors = new Map<number, string>();

  push(depth: number, s: string): number {
    this.lines.push(depth ? indent(depth) + s : s);
    return this.lines.length - 1;
  }

  tensor(name: string, line: number): void {
    if (!this.tensorLines.has(name)) this.tensorLines.set(name, line);
    this.lineTensors.set(line, name);
  }

  /** `name (typed inputs) => (typed outputs)`, one value per line; then initializers; then the body. */
  graph(g: GraphInfo, depth: number): void {
    const inits = new Set(g.initializers.map((t) => t.name));
    const inputs = g.inputs.filter((v) => !inits.has(v.name));
    const head = `${quoteName(g.name || 'graph')} (`;
    this.push(depth, head);
    this.values(inputs, depth + 1);
    this.push(depth, ') => (');
    this.values(g.outputs, depth + 1);
    this.push(depth, ')');
    if (g.initializers.length) {
      this.push(depth, '<');
      g.initializers.forEach((t, i) => {
        const sep = i < g.initializers.length - 1 ? ',' : '';
        const where = t.location?.external ? ', external' : '';
        const line = this.push(depth + 1, `${tensorType(t.dataType, t.dims)} ${quoteName(t.name)}${sep}   # ${formatBytes(t.byteLength)}${where}`);
        this.tensor(t.name, line);
      });
      this.push(depth, '>');
    }
    this.push(depth, '{');
    for (const n of g.nodes) this.node(n, depth + 1);
    this.push(depth, '}');
  }

  values(vs: ValueInfo[], depth: number): void {
    vs.forEach((v, i) => {
      const line = this.push(depth, `${tensorType(v.elemType, v.shape)} ${quoteName(v.name)}${i < vs.length - 1 ? ',' : ''}`);
      this.tensor(v.name, line);
    });
  }

  node(n: NodeInfo, depth: number): void {
    const outs = n.outputs.map(quoteName).join(', ');
    const op = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    const ins = n.inputs.map(quoteName).join(', ');
    const graphs: Array<[string, GraphInfo[]]> = [];
    const attrs: string[] = [];
    for (const [name, a] of n.attributes) {
      if (a.kind === 'graph') graphs.push([name, [a.value]]);
      else if (a.kind === 'graphs') graphs.push([name, a.value]);
      else attrs.push(`${name} = ${attrText(a)}`);
    }
    const attrPart = attrs.length ? ` <${attrs.join(', ')}>` : '';
    const line = this.push(depth, `${outs} = ${op}${attrPart} (${ins})`);
    this.nodeLines.set(n, line);
    this.lineNodes[line] = n;
    // Subgraph attributes follow on their own lines, indented, as the printer nests them.
    for (const [name, gs] of graphs) {
      this.push(depth + 1, `# ${name}:`);
      for (const g of gs) this.graph(g, depth + 1);
    }
  }

  func(f: FunctionInfo): void {
    const opsets = Object.entries(f.opsets).map(([d, v]) => `${JSON.stringify(d)} : ${v}`).join(', ');
    this.push(0, `<domain: ${JSON.stringify(f.domain)}, opset_import: [${opsets}]>`);
    this.push(0, `${quoteName(f.name)} (${f.inputs.map(quoteName).join(', ')}) => (${f.outputs.map(quoteName).join(', ')})`);
    this.push(0, '{');
    for (const n of f.nodes) this.node(n, 1);
    this.push(0, '}');
  }
}

function attrText(a: AttributeValue): string {
  switch (a.kind) {
    case 'float': return formatFloat(a.value);
    case 'int': return String(a.value);
    case 'string': return JSON.stringify(a.value);
    case 'floats': return `[${a.value.map(formatFloat).join(', ')}]`;
    case 'ints': return `[${a.value.join(', ')}]`;
    case 'strings': return `[${a.value.map((s) => JSON.stringify(s)).join(', ')}]`;
    case 'tensor': return tensorLiteral(a.value);
    case 'tensors': return `[${a.value.map(tensorLiteral).join(', ')}]`;
    case 'ref': return `@${a.value}`;
    case 'graph': case 'graphs': return '…';
    default: return '?';
  }
}

export function renderTextView(model: ModelInfo): TextView {
  const w = new Writer();
  const opsets = Object.entries(model.opsets).map(([d, v]) => `${JSON.stringify(d)} : ${v}`).join(', ');
  const header = [`ir_version: ${model.irVersion}`, `opset_import: [${opsets}]`];
  if (model.producerName) header.push(`producer_name: ${JSON.stringify(model.producerName)}`);
  if (model.producerVersion) header.push(`producer_version: ${JSON.stringify(model.producerVersion)}`);
  const headerLine = w.push(0, `<${header.join(', ')}>`);
  w.graph(model.graph, 0);
  for (const f of model.functions) {
    w.push(0, '');
    w.func(f);
  }
  return {
    text: w.lines.join('\n') + '\n',
    headerLine,
    nodeLines: w.nodeLines,
    tensorLines: w.tensorLines,
    lineNodes: w.lineNodes,
    lineTensors: w.lineTensors,
    lineCount: w.lines.length,
  };
}

/** Value name → the node that produces it, built on first use (only tensor targets need it). */
const producerCache = new WeakMap<TextView, Map<string, NodeInfo>>();
function producers(view: TextView): Map<string, NodeInfo> {
  let p = producerCache.get(view);
  if (!p) {
    p = new Map();
    for (const n of view.nodeLines.keys()) for (const o of n.outputs) if (o && !p.has(o)) p.set(o, n);
    producerCache.set(view, p);
  }
  return p;
}

/** The line a target sits on: a node's line, a tensor's declaration or producer, else the header. */
export function lineOf(view: TextView, target: ViewTarget | undefined): number {
  if (!target || target.kind === 'graph') return view.headerLine;
  if (target.kind === 'node') return view.nodeLines.get(target.node) ?? view.headerLine;
  const declared = view.tensorLines.get(target.name);
  if (declared !== undefined) return declared;
  const producer = producers(view).get(target.name);
  return producer ? view.nodeLines.get(producer) ?? view.headerLine : view.headerLine;
}
