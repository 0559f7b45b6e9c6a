/**
 * Hover text for the model view: a node's op, inputs and outputs with their types and shapes (as
 * the file declares them), attributes, and the parameters and bytes of the weights it reads.
 * Pure: model and node in, markdown out.
 */
import { allGraphs, AttributeValue, Dim, ModelInfo, NodeInfo, TensorInfo } from '../onnx/model';
import type { ModelCost, NodeCost } from '../onnx/cost';
import { formatBytes, formatCount } from '../onnx/summary';
import { tensorType } from '../onnx/textView';
import { allNodes, constantTensor, isOp } from '../rules/onnx/graph';
import { docsUrl, Finding } from '../rules/types';

interface ValueFacts {
  type: string;
  weight?: TensorInfo;
}

interface ModelFacts {
  values: Map<string, ValueFacts>;
  consumers: Map<string, NodeInfo[]>;
  totalParams: number;
}

const cache = new WeakMap<ModelInfo, ModelFacts>();

function facts(model: ModelInfo): ModelFacts {
  let f = cache.get(model);
  if (f) return f;
  const values = new Map<string, ValueFacts>();
  let totalParams = 0;
  for (const g of allGraphs(model.graph)) {
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) if (!values.has(v.name)) values.set(v.name, { type: tensorType(v.elemType, v.shape) });
    for (const t of g.initializers) {
      values.set(t.name, { type: tensorType(t.dataType, t.dims), weight: t });
      totalParams += Number.isNaN(t.elements) ? 0 : t.elements;
    }
  }
  const consumers = new Map<string, NodeInfo[]>();
  for (const { node } of allNodes(model)) {
    const t = isOp(node, 'Constant') ? constantTensor(node) : undefined;
    if (t && node.outputs[0]) {
      values.set(node.outputs[0], { type: tensorType(t.dataType, t.dims), weight: t });
      totalParams += Number.isNaN(t.elements) ? 0 : t.elements;
    }
    for (const i of node.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  }
  f = { values, consumers, totalParams };
  cache.set(model, f);
  return f;
}

function shapeOf(f: ModelFacts, name: string): string {
  return f.values.get(name)?.type ?? 'shape not in the file';
}

function attrValue(a: AttributeValue): string {
  switch (a.kind) {
    case 'graph': return `graph \`${a.value.name}\` (${a.value.nodes.length} nodes)`;
    case 'graphs': return `${a.value.length} graphs`;
    case 'tensor': return tensorType(a.value.dataType, a.value.dims as Dim[]);
    case 'tensors': return `${a.value.length} tensors`;
    case 'other': return '?';
    default: return Array.isArray(a.value) ? `[${a.value.join(', ')}]` : String(a.value);
  }
}

function findingLines(findings: Finding[]): string[] {
  return findings.length ? ['', ...findings.map((x) => `- [${x.rule}](${docsUrl(x.rule)}): ${x.message}`)] : [];
}

const costIndex = new WeakMap<ModelCost, Map<NodeInfo, NodeCost>>();

function nodeCostOf(cost: ModelCost | undefined, node: NodeInfo): NodeCost | undefined {
  if (!cost) return undefined;
  let ix = costIndex.get(cost);
  if (!ix) { ix = new Map(cost.nodes.map((c) => [c.node, c])); costIndex.set(cost, ix); }
  return ix.get(node);
}

const pct = (part: number, whole: number): string => (whole > 0 ? ` (${((100 * part) / whole).toFixed(1)}% of the model)` : '');

/** `cost` (shape inference + per-node cost at the configured dims) adds inferred shapes and compute. */
export function nodeHoverMarkdown(model: ModelInfo, node: NodeInfo, findings: Finding[] = [], cost?: ModelCost): string {
  const f = facts(model);
  const nc = nodeCostOf(cost, node);
  const domain = node.domain || 'ai.onnx';
  const opset = model.opsets[node.domain];
  const lines = [`**${node.opType}**${node.name ? ` \`${node.name}\`` : ''} · ${domain}${opset !== undefined ? ` opset ${opset}` : ''}`, ''];
  let params = 0, bytes = 0;
  lines.push('| | value | type |', '| --- | --- | --- |');
  node.inputs.forEach((i, k) => {
    if (!i) return;
    const w = f.values.get(i)?.weight;
    if (w) { params += Number.isNaN(w.elements) ? 0 : w.elements; bytes += w.byteLength; }
    lines.push(`| in ${k} | \`${i}\` | ${shapeOf(f, i)}${w ? ` · weight, ${formatBytes(w.byteLength)}${w.location?.external ? ', external' : ''}` : ''} |`);
  });
  node.outputs.forEach((o, k) => {
    if (!o) return;
    const declared = f.values.get(o)?.type;
    const inferred = nc?.outputShapes[k];
    lines.push(`| out ${k} | \`${o}\` | ${declared ?? (inferred ? `[${inferred.map((d) => d ?? '?').join(',')}] (inferred)` : 'shape not in the file')} |`);
  });
  const attrs = [...node.attributes].map(([k, a]) => `\`${k}\` = ${attrValue(a)}`);
  if (attrs.length) lines.push('', `Attributes: ${attrs.join(', ')}`);
  if (params) {
    lines.push('', `Weights: ${formatCount(params)} parameters, ${formatBytes(bytes)}${pct(params, f.totalParams)}`);
  }
  if (nc && cost && (nc.macs || nc.flops)) {
    const dims = Object.entries(cost.dimsUsed).map(([k, v]) => `${k}=${v}`).join(', ');
    lines.push('', `Compute: ${nc.macs ? `${formatCount(nc.macs)} MACs${pct(nc.macs, cost.macs)}, ` : ''}${formatCount(nc.flops)} FLOPs, ` +
      `${nc.intensity.toFixed(1)} FLOPs/byte${dims ? ` · at ${dims}` : ''}${nc.counted ? '' : ' · branch not counted in the totals'}`);
  }
  // If/Loop/Scan: which branch runs and why, or how many iterations were counted.
  const flow = nc && cost?.controlFlow.find((c) => c.op === node.opType && c.graph === nc.graph && c.node === (node.name || `node${nc.index}`));
  if (flow) lines.push('', `Control flow: ${flow.note}`);
  return [...lines, ...findingLines(findings)].join('\n');
}

export function tensorHoverMarkdown(model: ModelInfo, name: string, findings: Finding[] = []): string {
  const f = facts(model);
  const v = f.values.get(name);
  const readers = f.consumers.get(name) ?? [];
  const lines = [`\`${name}\`: ${v?.type ?? 'unknown type'}`];
  if (v?.weight) {
    const w = v.weight;
    lines.push('', `Initializer: ${formatCount(Number.isNaN(w.elements) ? 0 : w.elements)} elements, ${formatBytes(w.byteLength)}` +
      (w.location ? `, ${w.location.external ? `external (${w.location.file}, byte ${w.location.offset})` : `at byte ${w.location.offset}`}` : ''));
  }
  if (readers.length) {
    const shown = readers.slice(0, 8).map((n) => `${n.opType}${n.name ? ` \`${n.name}\`` : ''}`).join(', ');
    lines.push('', `Read by ${readers.length} node${readers.length > 1 ? 's' : ''}: ${shown}${readers.length > 8 ? ', …' : ''}`);
  }
  return [...lines, ...findingLines(findings)].join('\n');
}
