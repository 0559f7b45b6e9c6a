/**
 * Static int8 in QDQ form for CNNs: QuantizeLinear → DequantizeLinear pairs on the activations
 * around Conv/Gemm/MatMul (and the ops between them ONNX Runtime fuses: Add, Relu, Clip, pools,
 * Concat), weights as per-channel symmetric int8 behind a DequantizeLinear, biases as int32 with
 * scale = input scale × weight scale. ONNX Runtime fuses DQ → Conv → Q into QLinearConv (u8s8).
 * Activation ranges come from calibration (calibrate.ts).
 */
import { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { node as buildNode } from '../onnx/builder';
import { attrInt, lazyGroup, nameFactory, WGraph, WModel } from './graph';
import { activationParams, f32Bytes, quantizePerRowSymmetric, transpose } from './math';
import { tensorFloats } from './tensorData';
import { nodeId, RewriteReport } from './weights';

const WEIGHT_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
const PASS_OPS = new Set(['Add', 'Relu', 'Clip', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Concat']);

export interface QdqOptions {
  exclude?: string[];
  ranges: Record<string, { min: number; max: number }>;
}

function isQuantizable(n: onnx.INodeProto, floatInits: Map<string, { dims: number[] }>, exclude: Set<string>): boolean {
  if ((n.domain ?? '') !== '' || exclude.has(nodeId(n))) return false;
  const op = n.opType ?? '';
  if (PASS_OPS.has(op)) return true;
  if (!WEIGHT_OPS.has(op)) return false;
  const w = floatInits.get(n.input?.[1] ?? '');
  if (!w) return false;
  if (op === 'Conv') return w.dims.length === 4 || w.dims.length === 3;
  if (op === 'Gemm') return w.dims.length === 2 && attrInt(n, 'transA', 0) === 0;
  return w.dims.length === 2;
}

/** The float activations QDQ would quantize: what calibration must measure. */
export function activationsToCalibrate(g: WGraph, exclude: string[] = []): string[] {
  const floatInits = new Map(g.inits.filter((i) => i.dataType === DataType.FLOAT).map((i) => [i.name, i]));
  const ex = new Set(exclude);
  const out = new Set<string>();
  for (const n of g.nodes) {
    if (!isQuantizable(n, floatInits, ex)) continue;
    const acts = WEIGHT_OPS.has(n.opType ?? '') ? [n.input![0]] : (n.input ?? []).filter((x) => x && !floatInits.has(x) && !(n.opType === 'Clip'));
    if (n.opType === 'Clip') acts.push(n.input![0]);
    for (const x of acts) if (x && !floatInits.has(x)) out.add(x);
    for (const y of n.output ?? []) if (y) out.add(y);
  }
  return [...out];
}

export function rewriteQdq(m: WModel, o: QdqOptions): RewriteReport {
  const g = m.graph;
  const report: RewriteReport = { converted: [], skipped: [], notes: [] };
  const floatInits = new Map(g.inits.filter((i) => i.dataType === DataType.FLOAT).map((i) => [i.name, i]));
  const ex = new Set(o.exclude ?? []);
  const fresh = nameFactory(g);
  const graphInputs = new Set(g.inputs.map((v) => v.name!));
  const params = new Map<string, { scale: number; zeroPoint: number; scaleName: string; zpName: string; dq: string }>();
  const pending: onnx.INodeProto[] = [];
  const qdqFor = (x: string): string | undefined => {
    const got = params.get(x);
    if (got) return got.dq;
    const r = o.ranges[x];
    if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) return undefined;
    const p = activationParams(r.min, r.max);
    const scaleName = fresh(`${x}_scale`), zpName = fresh(`${x}_zero_point`), q = fresh(`${x}_QuantizeLinear`), dq = fresh(`${x}_DequantizeLinear`);
    g.inits.push({ name: scaleName, dataType: DataType.FLOAT, dims: [], produce: () => f32Bytes(Float32Array.of(p.scale)) });
    g.inits.push({ name: zpName, dataType: DataType.UINT8, dims: [], produce: () => Buffer.of(p.zeroPoint) });
    pending.push(
      buildNode('QuantizeLinear', [x, scaleName, zpName], [q], {}, { name: fresh(`${x}_Q`) }),
      buildNode('DequantizeLinear', [q, scaleName, zpName], [dq], {}, { name: fresh(`${x}_DQ`) }),
    );
    params.set(x, { ...p, scaleName, zpName, dq });
    return dq;
  };
  const replaced = new Set<string>();
  const out: onnx.INodeProto[] = [];
  // Graph inputs get their Q/DQ first; every other activation right after the node producing it.
  const produced = new Set<string>(graphInputs);
  const flush = (): void => { out.push(...pending.splice(0)); };
  const quantizedNodes = new Set<number>();
  g.nodes.forEach((n, i) => { if (isQuantizable(n, floatInits, ex)) quantizedNodes.add(i); });
  // First pass: decide the QDQ'd inputs of each quantizable node (created lazily in order).
  g.nodes.forEach((n, i) => {
    if (quantizedNodes.has(i)) {
      const op = n.opType!;
      const inputs = [...(n.input ?? [])];
      const actIdx = WEIGHT_OPS.has(op) ? [0] : op === 'Clip' ? [0] : inputs.map((_, k) => k).filter((k) => inputs[k] && !floatInits.has(inputs[k]));
      let ok = true;
      const newInputs = [...inputs];
      for (const k of actIdx) {
        const dq = qdqFor(inputs[k]);
        if (!dq) { ok = false; break; }
        newInputs[k] = dq;
      }
      if (ok && WEIGHT_OPS.has(op)) ok = quantizeWeights(n, newInputs, params.get(inputs[0])!.scale);
      if (!ok) {
        report.skipped.push({ node: nodeId(n), reason: 'no calibrated range for its input' });
      } else {
        flush();
        n.input = newInputs;
        if (WEIGHT_OPS.has(op)) report.converted.push({ node: nodeId(n), from: op, to: `${op}(QDQ int8)` });
      }
    }
    flush();
    out.push(n);
    for (const y of n.output ?? []) produced.add(y);
  });
  g.nodes = out;

  function quantizeWeights(n: onnx.INodeProto, inputs: string[], inputScale: number): boolean {
    const op = n.opType!;
    const w = floatInits.get(inputs[1])!;
    // Per output channel: Conv weight [M, C, kh, kw] axis 0; Gemm transB [N, K] axis 0; MatMul/Gemm [K, N] axis 1.
    const transB = op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
    const axis = op === 'Conv' || transB ? 0 : 1;
    const channels = w.dims[axis];
    const wq = fresh(`${w.name}_quantized`), ws = fresh(`${w.name}_scale`), wz = fresh(`${w.name}_zero_point`), wdq = fresh(`${w.name}_DequantizeLinear`);
    const src = w.source!;
    let scalesCache: Float32Array | undefined;
    const [codes, scales] = lazyGroup(2, () => {
      let f = tensorFloats(src);
      if (axis === 1) f = transpose(f, w.dims[0], w.dims[1]);
      const r = quantizePerRowSymmetric(f, channels);
      scalesCache = r.scales;
      let c = r.codes;
      if (axis === 1) { // back to [K, N]
        const t = Buffer.alloc(c.length);
        const K = w.dims[0], N = w.dims[1];
        for (let nn = 0; nn < N; nn++) for (let k = 0; k < K; k++) t[k * N + nn] = c[nn * K + k];
        c = t;
      }
      return [c, f32Bytes(r.scales)];
    });
    g.inits.push(
      { name: wq, dataType: DataType.INT8, dims: [...w.dims], produce: codes },
      { name: ws, dataType: DataType.FLOAT, dims: [channels], produce: scales },
      { name: wz, dataType: DataType.INT8, dims: [channels], produce: () => Buffer.alloc(channels) },
    );
    pending.push(buildNode('DequantizeLinear', [wq, ws, wz], [wdq], { axis }, { name: fresh(`${w.name}_DQ`) }));
    inputs[1] = wdq;
    replaced.add(w.name);
    const biasName = inputs[2];
    const bias = biasName ? floatInits.get(biasName) : undefined;
    if (bias && bias.dims.length === 1 && bias.dims[0] === channels) {
      const bq = fresh(`${bias.name}_quantized`), bs = fresh(`${bias.name}_scale`), bdq = fresh(`${bias.name}_DequantizeLinear`);
      const bsrc = bias.source!;
      // Needs the weight scales: computed when the bias is written, after the weight (written first).
      const weightScales = (): Float32Array => {
        if (!scalesCache) { let f = tensorFloats(src); if (axis === 1) f = transpose(f, w.dims[0], w.dims[1]); scalesCache = quantizePerRowSymmetric(f, channels).scales; }
        return scalesCache;
      };
      const [bqData, bsData] = lazyGroup(2, () => {
        const ws2 = weightScales();
        const b = tensorFloats(bsrc);
        const s = Float32Array.from(ws2, (x) => x * inputScale);
        const q = Buffer.alloc(channels * 4);
        for (let c = 0; c < channels; c++) q.writeInt32LE(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[c] / s[c]))), c * 4);
        return [q, f32Bytes(s)];
      });
      g.inits.push(
        { name: bq, dataType: DataType.INT32, dims: [channels], produce: bqData },
        { name: bs, dataType: DataType.FLOAT, dims: [channels], produce: bsData },
      );
      pending.push(buildNode('DequantizeLinear', [bq, bs], [bdq], { axis: 0 }, { name: fresh(`${bias.name}_DQ`) }));
      inputs[2] = bdq;
      replaced.add(bias.name);
    }
    return true;
  }

  // Originals that no node reads any more are dropped.
  const stillRead = new Set<string>();
  for (const n of g.nodes) for (const x of n.input ?? []) stillRead.add(x);
  for (const v of g.outputs) stillRead.add(v.name!);
  g.inits = g.inits.filter((i) => !replaced.has(i.name) || stillRead.has(i.name));
  m.opsets[''] = Math.max(m.opsets[''] ?? 0, 13);
  report.notes.push(`${params.size} activations quantized to uint8 (asymmetric, calibrated), weights int8 per channel (symmetric), biases int32`);
  return report;
}
