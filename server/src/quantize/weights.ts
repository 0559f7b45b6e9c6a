/**
 * Weight rewrites: dynamic int8 (MatMul/Gemm → com.microsoft.DynamicQuantizeMatMul, embedding
 * Gather → Gather over int8 codes + DequantizeLinear) and weight-only int4 (MatMul/Gemm →
 * com.microsoft.MatMulNBits). Each quantized weight is computed from its float source only when the
 * writer reaches it, so one weight at a time is in memory.
 */
import { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { node as buildNode } from '../onnx/builder';
import { attrFloat, attrInt, consumers, lazyGroup, nameFactory, WGraph, WInit, WModel } from './graph';
import { f32Bytes, quantizeInt4, quantizeInt4KN, quantizeInt8, transpose } from './math';
import { tensorFloats } from './tensorData';

export const MS_DOMAIN = 'com.microsoft';

export interface RewriteReport {
  /** Node identifiers (name, or op_output) that were converted, with the new op. */
  converted: Array<{ node: string; from: string; to: string; weight?: string }>;
  skipped: Array<{ node: string; reason: string }>;
  notes: string[];
}

export interface WeightSelection {
  /** Node names or weight (initializer) names to leave in float. */
  exclude?: string[];
  /** Weights with fewer elements stay float (default 16384): their bytes are negligible and the last small layers carry the most error per byte. */
  minWeightElements?: number;
}

export function nodeId(n: onnx.INodeProto): string {
  return n.name || `${n.opType}_${n.output?.[0] ?? ''}`;
}

/** A MatMul/Gemm/Gather whose weight is a float initializer, with what the rewrite needs. */
interface Candidate {
  index: number;
  kind: 'matmul' | 'gemm' | 'gather';
  weight: WInit;
  /** Weight as [K, N] for matmul kinds (after transB), [rows, cols] for gather. */
  k: number;
  n: number;
  transB: boolean;
  bias?: string;
}

/** Finds weight-bearing nodes and the reasons others were left alone. */
export function findCandidates(g: WGraph, sel: WeightSelection, kinds: Array<Candidate['kind']>, report: RewriteReport): Candidate[] {
  const inits = new Map(g.inits.map((i) => [i.name, i]));
  const exclude = new Set(sel.exclude ?? []);
  const minElems = sel.minWeightElements ?? 16384;
  const outerRefs = subgraphReferences(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const out: Candidate[] = [];
  g.nodes.forEach((n, index) => {
    if ((n.domain ?? '') !== '') return;
    const id = nodeId(n);
    const kind = n.opType === 'MatMul' ? 'matmul' : n.opType === 'Gemm' ? 'gemm' : n.opType === 'Gather' ? 'gather' : undefined;
    if (!kind || !kinds.includes(kind)) return;
    const wName = kind === 'gather' ? n.input?.[0] : n.input?.[1];
    const w = wName ? inits.get(wName) : undefined;
    if (!w) return; // activations × activations (attention scores): nothing to quantize
    const skip = (reason: string): void => { report.skipped.push({ node: id, reason }); };
    if (exclude.has(id) || exclude.has(w.name)) return skip('excluded by setting');
    if (w.dataType !== DataType.FLOAT) return skip(`weight is ${DataType[w.dataType]?.toLowerCase()}, not float32`);
    if (w.dims.length !== 2) return skip(`weight has rank ${w.dims.length}, not 2`);
    const elems = w.dims[0] * w.dims[1];
    if (elems < minElems) return skip(`weight has ${elems} elements (< ${minElems}): too small to pay`);
    if (outerRefs.has(w.name) || graphOutputs.has(w.name)) return skip('weight is also used by a subgraph or is a graph output');
    if (kind === 'gather') {
      if (attrInt(n, 'axis', 0) !== 0) return skip('Gather on an axis other than 0');
      out.push({ index, kind, weight: w, k: w.dims[0], n: w.dims[1], transB: false });
      return;
    }
    if (kind === 'gemm') {
      if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) return skip('Gemm with transA, alpha or beta');
      const transB = attrInt(n, 'transB', 0) === 1;
      const [k, nn] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
      const c = n.input?.[2];
      if (c) {
        const bias = inits.get(c);
        if (!bias || bias.dims.length !== 1 || bias.dims[0] !== nn || bias.dataType !== DataType.FLOAT) return skip('Gemm bias is not a float vector [N]');
      }
      out.push({ index, kind, weight: w, k, n: nn, transB, bias: c || undefined });
      return;
    }
    out.push({ index, kind, weight: w, k: w.dims[0], n: w.dims[1], transB: false });
  });
  // A weight shared by nodes of different kinds (tied embedding and LM head) is left float.
  const cons = consumers(g);
  const byWeight = new Map<string, Candidate[]>();
  for (const c of out) byWeight.set(c.weight.name, [...(byWeight.get(c.weight.name) ?? []), c]);
  return out.filter((c) => {
    const group = byWeight.get(c.weight.name)!;
    const ok = (cons.get(c.weight.name)?.length ?? 0) === group.length && group.every((x) => x.kind === group[0].kind && x.transB === group[0].transB);
    if (!ok) report.skipped.push({ node: nodeId(g.nodes[c.index]), reason: `weight '${c.weight.name}' is shared with nodes that cannot use the same quantized form` });
    return ok;
  });
}

/** Names that nodes inside If/Loop/Scan bodies read from the enclosing graph. */
function subgraphReferences(g: WGraph): Set<string> {
  const refs = new Set<string>();
  const visit = (nodes: onnx.INodeProto[]): void => {
    for (const n of nodes) for (const a of n.attribute ?? []) {
      for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) {
        for (const sn of sg.node ?? []) for (const x of sn.input ?? []) refs.add(x);
        visit(sg.node ?? []);
      }
    }
  };
  visit(g.nodes);
  return refs;
}

function removeInits(g: WGraph, names: Set<string>): void {
  g.inits = g.inits.filter((i) => !names.has(i.name));
}

/** Float [K, N] view of a candidate's weight (transposing a Gemm's transB weight). */
function weightKN(c: Candidate): Float32Array {
  const w = tensorFloats(c.weight.source ?? fail(c.weight.name));
  return c.transB ? transpose(w, c.n, c.k) : w;
}

function fail(name: string): never { throw new Error(`weight '${name}' has no source data`); }

export interface Int8Options extends WeightSelection {
  perChannel?: boolean;
  /** int8 weights (symmetric, default) or uint8 (asymmetric). */
  signedWeights?: boolean;
  reduceRange?: boolean;
  /** Quantize embedding tables (Gather over a weight) too; default true. */
  embeddings?: boolean;
}

export function rewriteInt8Dynamic(m: WModel, o: Int8Options): RewriteReport {
  const g = m.graph;
  const report: RewriteReport = { converted: [], skipped: [], notes: [] };
  const kinds: Array<Candidate['kind']> = o.embeddings === false ? ['matmul', 'gemm'] : ['matmul', 'gemm', 'gather'];
  const cands = findCandidates(g, o, kinds, report);
  const fresh = nameFactory(g);
  const signed = o.signedWeights ?? true;
  const qType = signed ? DataType.INT8 : DataType.UINT8;
  const done = new Map<string, { q: string; scale: string; zp: string }>();
  const replaced = new Set<string>();
  const newNodes = new Map<number, onnx.INodeProto[]>();
  for (const c of cands) {
    const n = g.nodes[c.index];
    const isGather = c.kind === 'gather';
    let t = done.get(c.weight.name);
    if (!t) {
      // Embeddings use one scale: rows are gathered, so a per-column scale would need the same gather.
      const axis = !isGather && o.perChannel ? 1 : null;
      const groups = axis === 1 ? c.n : 1;
      t = { q: fresh(`${c.weight.name}_quantized`), scale: fresh(`${c.weight.name}_scale`), zp: fresh(`${c.weight.name}_zero_point`) };
      const [q, s, z] = lazyGroup(3, () => {
        const w = isGather ? tensorFloats(c.weight.source ?? fail(c.weight.name)) : weightKN(c);
        const r = quantizeInt8(w, c.k, c.n, axis, signed, !isGather && !!o.reduceRange);
        return [r.codes, f32Bytes(r.scales), r.zeroPoints];
      });
      const sDims = axis === 1 ? [groups] : [];
      g.inits.push(
        { name: t.q, dataType: qType, dims: [c.k, c.n], produce: q },
        { name: t.scale, dataType: DataType.FLOAT, dims: sDims, produce: s },
        { name: t.zp, dataType: qType, dims: sDims, produce: z },
      );
      done.set(c.weight.name, t);
      replaced.add(c.weight.name);
    }
    const id = nodeId(n);
    if (isGather) {
      const codes = fresh(`${n.output![0]}_quantized`);
      newNodes.set(c.index, [
        { ...n, input: [t.q, n.input![1]], output: [codes] },
        buildNode('DequantizeLinear', [codes, t.scale, t.zp], [n.output![0]], {}, { name: fresh(`${id}_dequantize`) }),
      ]);
      report.converted.push({ node: id, from: 'Gather', to: 'Gather(int8)+DequantizeLinear', weight: c.weight.name });
    } else {
      const inputs = [n.input![0], t.q, t.scale, t.zp];
      if (c.bias) inputs.push(c.bias);
      newNodes.set(c.index, [buildNode('DynamicQuantizeMatMul', inputs, [n.output![0]], {}, { name: n.name || fresh(`${id}_quant`), domain: MS_DOMAIN })]);
      report.converted.push({ node: id, from: n.opType!, to: 'DynamicQuantizeMatMul', weight: c.weight.name });
    }
  }
  g.nodes = g.nodes.flatMap((n, i) => newNodes.get(i) ?? [n]);
  removeInits(g, replaced);
  if (cands.length) m.opsets[MS_DOMAIN] = Math.max(m.opsets[MS_DOMAIN] ?? 0, 1);
  if ((m.opsets[''] ?? 0) < 13 && cands.some((c) => c.kind === 'gather')) m.opsets[''] = 13;
  return report;
}

export interface Int4Options extends WeightSelection {
  blockSize?: 32 | 64 | 128;
  symmetric?: boolean;
  /**
   * MatMulNBits compute type: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8. Default 4: activations are
   * quantized to int8 per block and multiplied with integer dot products (VNNI/AVX2): fastest on
   * CPU, at a small extra error on top of the 4-bit weights; 1 keeps fp32 activations (slower, closest to float).
   */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
}

export function rewriteInt4(m: WModel, o: Int4Options): RewriteReport {
  const g = m.graph;
  const report: RewriteReport = { converted: [], skipped: [], notes: [] };
  const blockSize = o.blockSize ?? 32;
  const symmetric = o.symmetric ?? true;
  const accuracyLevel = o.accuracyLevel ?? 4;
  const cands = findCandidates(g, { minWeightElements: 16384, ...o }, ['matmul', 'gemm'], report)
    .filter((c) => {
      if (c.k < 16) { report.skipped.push({ node: nodeId(g.nodes[c.index]), reason: `K=${c.k} is too small for 4-bit blocks` }); return false; }
      return true;
    });
  const fresh = nameFactory(g);
  const done = new Map<string, { q: string; scale: string; zp?: string }>();
  const replaced = new Set<string>();
  const newNodes = new Map<number, onnx.INodeProto[]>();
  for (const c of cands) {
    const n = g.nodes[c.index];
    const id = nodeId(n);
    let t = done.get(c.weight.name);
    if (!t) {
      const kBlocks = Math.ceil(c.k / blockSize);
      t = { q: fresh(`${c.weight.name}_Q4`), scale: fresh(`${c.weight.name}_scales`), zp: symmetric ? undefined : fresh(`${c.weight.name}_zero_points`) };
      const members = symmetric ? 2 : 3;
      const parts = lazyGroup(members, () => {
        // MatMulNBits wants B as [N, K] blocks: a Gemm with transB stores it so, a MatMul as [K, N].
        const w = tensorFloats(c.weight.source ?? fail(c.weight.name));
        const r = c.transB ? quantizeInt4(w, c.n, c.k, blockSize, symmetric) : quantizeInt4KN(w, c.k, c.n, blockSize, symmetric);
        return r.zeroPoints ? [r.packed, f32Bytes(r.scales), r.zeroPoints] : [r.packed, f32Bytes(r.scales)];
      });
      g.inits.push({ name: t.q, dataType: DataType.UINT8, dims: [c.n, kBlocks, blockSize / 2], produce: parts[0] });
      g.inits.push({ name: t.scale, dataType: DataType.FLOAT, dims: [c.n * kBlocks], produce: parts[1] });
      if (t.zp) g.inits.push({ name: t.zp, dataType: DataType.UINT8, dims: [c.n * Math.ceil(kBlocks / 2)], produce: parts[2] });
      done.set(c.weight.name, t);
      replaced.add(c.weight.name);
    }
    const inputs = [n.input![0], t.q, t.scale, ...(t.zp ? [t.zp] : [])];
    const attrs = { K: c.k, N: c.n, bits: 4, block_size: blockSize, accuracy_level: accuracyLevel };
    if (c.bias) {
      const mm = fresh(`${n.output![0]}_matmul`);
      newNodes.set(c.index, [
        buildNode('MatMulNBits', inputs, [mm], attrs, { name: n.name || fresh(`${id}_q4`), domain: MS_DOMAIN }),
        buildNode('Add', [mm, c.bias], [n.output![0]], {}, { name: fresh(`${id}_bias`) }),
      ]);
    } else {
      newNodes.set(c.index, [buildNode('MatMulNBits', inputs, [n.output![0]], attrs, { name: n.name || fresh(`${id}_q4`), domain: MS_DOMAIN })]);
    }
    report.converted.push({ node: id, from: n.opType!, to: 'MatMulNBits', weight: c.weight.name });
  }
  g.nodes = g.nodes.flatMap((n, i) => newNodes.get(i) ?? [n]);
  removeInits(g, replaced);
  if (cands.length) m.opsets[MS_DOMAIN] = Math.max(m.opsets[MS_DOMAIN] ?? 0, 1);
  report.notes.push(`int4 blocks of ${blockSize} along K, ${symmetric ? 'symmetric (implicit zero point 8)' : 'with 4-bit zero points'}, accuracy_level ${accuracyLevel}${accuracyLevel === 4 ? ' (int8 activations: fastest on CPU, slightly less accurate)' : ''}`);
  return report;
}
