/**
 * Model summary: the figures an engineer wants first (parameters, weight bytes by type, op mix,
 * opsets, signature). Pure: ModelInfo in, plain data out.
 */
import { allGraphs, dataTypeName, Dim, ModelInfo, TensorInfo, ValueInfo } from './model';
import type { ComputeSummary } from './cost';
import type { GenerationFigures } from './generation';
import { EncoderDecoderPair, pairLine } from './encoderDecoder';

export interface IoSummary {
  name: string;
  type: string;
  shape: Dim[] | null;
}

/** The figures of summarize() plus, once computed (see cost.ts), the model's compute at the configured dims. */
export interface ModelSummary extends Partial<ComputeSummary> {
  /** Elements stored in initializers and Constant values, every data type, subgraphs included. */
  params: number;
  /** Bytes of those elements once decoded, per data type name (float32 → 'float'). */
  weightBytesByType: Record<string, number>;
  weightBytes: number;
  nodes: number;
  opCounts: Record<string, number>;
  /** domain ('ai.onnx' for the default) → version */
  opsets: Record<string, number>;
  inputs: IoSummary[];
  outputs: IoSummary[];
  irVersion: number;
  producer: string;
  fileSize: number;
  externalData: boolean;
  /** A decoder with a KV cache: its prefill and decode figures (onnx/generation.ts). */
  generation?: GenerationFigures;
  /** One half of an encoder-decoder export: the other files beside it (onnx/encoderDecoder.ts). */
  encoderDecoder?: EncoderDecoderPair;
}

/** Weight-like tensors: initializers and the values of Constant nodes, in every subgraph. */
export function* weightTensors(model: ModelInfo): Generator<{ tensor: TensorInfo; constant: boolean }> {
  for (const g of allGraphs(model.graph)) {
    for (const t of g.initializers) yield { tensor: t, constant: false };
    for (const n of g.nodes) {
      if (n.opType !== 'Constant' || n.domain !== '') continue;
      for (const a of n.attributes.values()) if (a.kind === 'tensor') yield { tensor: a.value, constant: true };
    }
  }
}

/** Elements held by a Constant node's non-tensor value attributes (value_float, value_ints, ...). */
function constantScalarElements(model: ModelInfo): number {
  let n = 0;
  for (const g of allGraphs(model.graph)) {
    for (const node of g.nodes) {
      if (node.opType !== 'Constant' || node.domain !== '') continue;
      for (const a of node.attributes.values()) {
        if (a.kind === 'float' || a.kind === 'int' || a.kind === 'string') n += 1;
        else if (a.kind === 'floats' || a.kind === 'ints' || a.kind === 'strings') n += a.value.length;
      }
    }
  }
  return n;
}

export function summarize(model: ModelInfo): ModelSummary {
  let params = constantScalarElements(model);
  const byType: Record<string, number> = {};
  let weightBytes = 0;
  let external = false;
  for (const { tensor } of weightTensors(model)) {
    const elements = Number.isNaN(tensor.elements) ? 0 : tensor.elements;
    params += elements;
    const type = dataTypeName(tensor.dataType);
    byType[type] = (byType[type] ?? 0) + tensor.byteLength;
    weightBytes += tensor.byteLength;
    if (tensor.location?.external) external = true;
  }
  const opCounts: Record<string, number> = {};
  let nodes = 0;
  for (const g of allGraphs(model.graph)) {
    for (const n of g.nodes) {
      const key = n.domain ? `${n.domain}.${n.opType}` : n.opType;
      opCounts[key] = (opCounts[key] ?? 0) + 1;
      nodes++;
    }
  }
  const opsets: Record<string, number> = {};
  for (const [d, v] of Object.entries(model.opsets)) opsets[d || 'ai.onnx'] = v;
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  return {
    params, weightBytesByType: byType, weightBytes, nodes, opCounts: sortByValue(opCounts), opsets,
    // Inputs that are also initializers are overridable weights (IR < 4 style), not real inputs.
    inputs: model.graph.inputs.filter((i) => !initNames.has(i.name)).map(io),
    outputs: model.graph.outputs.map(io),
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    fileSize: model.fileSize,
    externalData: external,
  };
}

function io(v: ValueInfo): IoSummary {
  return { name: v.name, type: dataTypeName(v.elemType), shape: v.shape };
}

function sortByValue(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export function formatShape(shape: Dim[] | null): string {
  if (!shape) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Markdown for hovers and the summary view. */
export function summaryMarkdown(name: string, s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`**${name}** — ${formatCount(s.params)} parameters, ${formatBytes(s.weightBytes)} of weights, ${s.nodes} nodes`);
  lines.push('');
  const types = Object.entries(s.weightBytesByType).filter(([, b]) => b > 0).map(([t, b]) => `${t} ${formatBytes(b)}`);
  if (types.length) lines.push(`- Weights by type: ${types.join(', ')}${s.externalData ? ' (external data)' : ''}`);
  if (s.macs !== undefined) lines.push(computeLine(s));
  if (s.encoderDecoder) lines.push(`- ${pairLine(s.encoderDecoder)}`);
  if (s.generation) lines.push(...generationLines(s.generation));
  lines.push(`- Opsets: ${Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ') || 'none'} · IR ${s.irVersion}${s.producer ? ` · ${s.producer}` : ''}`);
  lines.push(`- Inputs: ${s.inputs.map((i) => `\`${i.name}\` ${i.type}${formatShape(i.shape)}`).join(', ') || 'none'}`);
  lines.push(`- Outputs: ${s.outputs.map((i) => `\`${i.name}\` ${i.type}${formatShape(i.shape)}`).join(', ') || 'none'}`);
  const ops = Object.entries(s.opCounts);
  const top = ops.slice(0, 12).map(([op, n]) => `${op} ×${n}`).join(', ');
  lines.push(`- Ops: ${top}${ops.length > 12 ? `, … (${ops.length} types)` : ''}`);
  return lines.join('\n');
}

/** `- Compute: 0.30 GMACs (0.61 GFLOPs) per inference at batch=1 · peak activations 9.2 MiB`. */
export function computeLine(s: Partial<ComputeSummary>): string {
  const dims = Object.entries(s.dims ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  const unknown = s.unknownOps?.length ? ` · no inference for ${s.unknownOps.join(', ')}` : '';
  return `- Compute: ${computeFigures(s)} per inference${dims ? ` at ${dims}` : ''}` +
    ` · peak activations ${formatBytes(s.peakActivationBytes ?? 0)}${unknown}` +
    (s.incomplete ? `\n- Incomplete: ${s.incomplete.reason}` : '');
}

/** `1.20 GMACs (2.41 GFLOPs)`, or `≥ 1.20 GMACs (≥ 2.41 GFLOPs; 37 nodes unknown)` when shapes are missing. */
export function computeFigures(s: Partial<ComputeSummary>): string {
  const ge = s.incomplete ? '≥ ' : '';
  const n = s.incomplete?.nodes ?? 0;
  const missing = !s.incomplete ? '' : n ? `; ${n} node${n === 1 ? '' : 's'} unknown` : '; Loop trip count unknown';
  return `${ge}${formatCount(s.macs ?? 0)}MACs (${ge}${formatCount(s.flops ?? 0)}FLOPs${missing})`;
}

/** The two phases of a decoder, for hovers and the model view. */
export function generationLines(g: GenerationFigures): string[] {
  const s = g.settings;
  const heads = Number.isFinite(g.heads) ? `${g.heads} heads` : 'heads unknown';
  return [
    `- Decoder: ${g.layers} layers, ${heads}, ${g.kvHeads} KV heads × ${g.headDim}, vocabulary ${Number.isFinite(g.vocab) ? g.vocab : '?'}` +
      ` · KV cache ${formatBytes(g.kvCacheBytesPerToken)}/token, ${formatBytes(g.kvCacheBytes)} at ${s.contextLength} tokens × batch ${s.batch}`,
    `- Prefill (${g.prefill.tokens} tokens): ${formatCount(g.prefill.macs)}MACs, ${formatBytes(g.prefill.bytes)} read · ${g.prefill.flopsPerByte.toFixed(1)} FLOP/byte`,
    `- Decode (per token at ${g.decode.pastTokens} past): ${formatCount(g.decode.macsPerToken)}MACs, ${formatBytes(g.decode.bytesPerToken)} read · ` +
      `${g.decode.flopsPerByte.toFixed(2)} FLOP/byte${g.incomplete ? ` · lower bound: ${g.incomplete}` : ''}`,
    ...(g.cross ? [`- Cross-attention cache: ${formatBytes(g.cross.kvBytesPerEncoderToken)}/encoder token, ${formatBytes(g.cross.kvCacheBytes)} at ` +
      `${g.cross.encoderTokens} encoder tokens × batch ${s.batch} (in the KV cache and read at every step; the prefill counts the decoder only)`] : []),
  ];
}
