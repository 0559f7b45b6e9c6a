/**
 * float32 → float16 conversion. Element types are propagated through the graph with a small rule
 * table; every node whose op is known and not blocked computes in fp16, blocked or unknown ops stay
 * fp32, and a Cast is inserted on every edge where the two sides disagree (one per value and
 * direction, shared by its consumers). keep_io_types leaves the model's inputs and outputs float32.
 */
import { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { node as buildNode } from '../onnx/builder';
import { lazyGroup, nameFactory, WModel } from './graph';
import { halfFromBits, halfToFloat } from './tensorData';
import { tensorFloats } from './tensorData';
import { nodeId, RewriteReport } from './weights';

/**
 * Stay fp32: ops with no fp16 kernel on ONNX Runtime's CPU or whose float inputs must stay
 * float32 by the spec (Resize scales, Range bounds), reductions that overflow or lose precision
 * in fp16 (CumSum), index-producing ops whose ties change (TopK, NonMaxSuppression), random ops,
 * and control flow (their bodies read outer values as float32).
 */
export const DEFAULT_FP16_BLOCK_LIST = [
  'Resize', 'Upsample', 'Range', 'CumSum', 'TopK', 'NonMaxSuppression', 'RoiAlign', 'RandomNormal', 'RandomUniform',
  'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'EyeLike', 'If', 'Loop', 'Scan', 'DequantizeLinear',
  'QuantizeLinear', 'DynamicQuantizeLinear', 'STFT', 'DFT',
];

const F = DataType.FLOAT, H = DataType.FLOAT16, I64 = DataType.INT64, B = DataType.BOOL;

/** Ops whose outputs all have the type of their first input. */
const SAME_AS_FIRST = new Set(('Abs Acos Acosh Add Asin Asinh Atan Atanh AveragePool BatchNormalization Ceil Celu Clip Concat Conv ' +
  'ConvTranspose Cos Cosh DepthToSpace Div Dropout Elu Erf Exp Expand Flatten Floor Gather GatherElements GatherND Gelu Gemm ' +
  'GlobalAveragePool GlobalMaxPool GroupNormalization HardSigmoid HardSwish Identity InstanceNormalization LayerNormalization ' +
  'LeakyRelu Log LogSoftmax LpNormalization LRN MatMul Max Mean Min Mish Mod Mul Neg Pad Pow PRelu Reciprocal ReduceL1 ReduceL2 ' +
  'ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Round ' +
  'ScatterElements ScatterND Selu Shrink Sigmoid Sign Sin Sinh Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze ' +
  'Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Trilu Unsqueeze LSTM GRU RNN Einsum ' +
  'Resize Upsample Range CumSum RoiAlign').split(' '));
const TO_INT64 = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const TO_BOOL = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

function attr(n: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

/** Output element types of a node from its input types; undefined where the rule table does not know. */
function outputTypes(n: onnx.INodeProto, inType: (i: number) => number | undefined): Array<number | undefined> {
  const op = n.opType ?? '';
  const outs = n.output ?? [];
  if ((n.domain ?? '') !== '') return outs.map(() => undefined);
  if (op === 'Cast') return [Number(attr(n, 'to')?.i ?? 0)];
  if (op === 'CastLike') return [inType(1)];
  if (op === 'Constant') {
    const a = n.attribute?.[0];
    if (!a) return [undefined];
    if (a.t) return [a.t.dataType ?? undefined];
    if (a.name === 'value_float' || a.name === 'value_floats') return [F];
    if (a.name === 'value_int' || a.name === 'value_ints') return [I64];
    return [undefined];
  }
  if (op === 'ConstantOfShape') return [attr(n, 'value')?.t?.dataType ?? F];
  if (TO_INT64.has(op)) return outs.map(() => I64);
  if (TO_BOOL.has(op)) return outs.map(() => B);
  if (op === 'TopK') return [inType(0), I64];
  if (op === 'MaxPool') return [inType(0), I64];
  if (op === 'Where') return [inType(1)];
  if (op === 'DequantizeLinear') return [inType(1)];
  if (op === 'QuantizeLinear') return [inType(2) ?? DataType.UINT8];
  if (SAME_AS_FIRST.has(op)) return outs.map(() => inType(0));
  return outs.map(() => undefined);
}

export interface Fp16Options {
  keepIoTypes?: boolean;
  /** Op types that stay fp32 (default DEFAULT_FP16_BLOCK_LIST); node names in `exclude` too. */
  opBlockList?: string[];
  exclude?: string[];
}

export function rewriteFp16(m: WModel, o: Fp16Options): RewriteReport {
  const g = m.graph;
  const report: RewriteReport = { converted: [], skipped: [], notes: [] };
  const keepIo = o.keepIoTypes ?? true;
  const block = new Set(o.opBlockList ?? DEFAULT_FP16_BLOCK_LIST);
  const exclude = new Set(o.exclude ?? []);
  const fresh = nameFactory(g);

  // 1. Original element types.
  const orig = new Map<string, number>();
  for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) { const t = v.type?.tensorType?.elemType; if (v.name && t) orig.set(v.name, t); }
  for (const i of g.inits) orig.set(i.name, i.dataType);
  const outerRefs = new Set<string>();
  const collectRefs = (nodes: onnx.INodeProto[]): void => {
    for (const n of nodes) for (const a of n.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) {
      for (const sn of sg.node ?? []) for (const x of sn.input ?? []) outerRefs.add(x);
      collectRefs(sg.node ?? []);
    }
  };
  collectRefs(g.nodes);
  for (const n of g.nodes) {
    const ts = outputTypes(n, (i) => orig.get(n.input?.[i] ?? ''));
    (n.output ?? []).forEach((x, k) => { const t = ts[k] ?? orig.get(x); if (t !== undefined) orig.set(x, t); });
  }

  // 2. Which nodes compute in fp16.
  const converted = g.nodes.map((n) => {
    const id = nodeId(n);
    const known = (n.domain ?? '') === '' && (n.output ?? []).every((x) => orig.has(x));
    const touchesFloat = [...(n.input ?? []), ...(n.output ?? [])].some((x) => orig.get(x) === F);
    if (!touchesFloat) return false;
    if (!known) { report.skipped.push({ node: id, reason: `${n.domain ? n.domain + '.' : ''}${n.opType}: output types unknown to the converter, kept fp32` }); return false; }
    if (block.has(n.opType ?? '')) { report.skipped.push({ node: id, reason: `${n.opType} is on the fp16 block list` }); return false; }
    if (exclude.has(id)) { report.skipped.push({ node: id, reason: 'excluded by setting' }); return false; }
    if ((n.output ?? []).some((x) => outerRefs.has(x) && orig.get(x) === F)) { report.skipped.push({ node: id, reason: 'its output is read inside a subgraph (kept fp32)' }); return false; }
    return true;
  });

  // 3. Representation of each float value in the new graph.
  const repr = new Map<string, number>();
  for (const v of g.inputs) if (orig.get(v.name!) === F) {
    if (keepIo || outerRefs.has(v.name!)) repr.set(v.name!, F);
    else { repr.set(v.name!, H); v.type!.tensorType!.elemType = H; }
  }
  const consumerConverted = new Map<string, boolean>();
  g.nodes.forEach((n, i) => { if (converted[i]) for (const x of n.input ?? []) consumerConverted.set(x, true); });
  let initBytesBefore = 0, initBytesAfter = 0;
  for (const init of g.inits) {
    if (init.dataType !== F) continue;
    if (!consumerConverted.get(init.name) || outerRefs.has(init.name)) { repr.set(init.name, F); continue; }
    repr.set(init.name, H);
    const src = init.source;
    const count = init.dims.reduce((a, b) => a * b, 1);
    initBytesBefore += count * 4; initBytesAfter += count * 2;
    init.dataType = H;
    init.source = undefined;
    const [get] = lazyGroup(1, () => [halfBytes(tensorFloats(src!))]);
    init.produce = get;
  }
  g.nodes.forEach((n, i) => {
    if (!converted[i]) { for (const x of n.output ?? []) if (orig.get(x) === F) repr.set(x, F); return; }
    for (const x of n.output ?? []) if (orig.get(x) === F) repr.set(x, H);
    retypeAttributes(n);
    report.converted.push({ node: nodeId(n), from: n.opType!, to: `${n.opType}(fp16)` });
  });

  // 4. Casts where producer and consumer disagree.
  const casts = new Map<string, string>();
  const out: onnx.INodeProto[] = [];
  const castTo = (x: string, to: number, before: onnx.INodeProto[]): string => {
    const key = `${x}->${to}`;
    let name = casts.get(key);
    if (!name) {
      name = fresh(`${x}_${to === H ? 'fp16' : 'fp32'}`);
      casts.set(key, name);
      before.push(buildNode('Cast', [x], [name], { to }, { name: fresh(`Cast_${name}`) }));
    }
    return name;
  };
  g.nodes.forEach((n, i) => {
    n.input = (n.input ?? []).map((x) => {
      if (!x || orig.get(x) !== F) return x;
      const need = converted[i] ? H : F;
      const have = repr.get(x) ?? F;
      return have === need ? x : castTo(x, need, out);
    });
    out.push(n);
  });
  // Graph outputs: float32 again when keep_io_types; otherwise they take the converted type.
  for (const v of g.outputs) {
    if (orig.get(v.name!) !== F || repr.get(v.name!) !== H) continue;
    if (!keepIo) { v.type!.tensorType!.elemType = H; continue; }
    const inner = fresh(`${v.name}_fp16`);
    for (const n of out) {
      n.output = (n.output ?? []).map((x) => (x === v.name ? inner : x));
      n.input = (n.input ?? []).map((x) => (x === v.name ? inner : x));
    }
    out.push(buildNode('Cast', [inner], [v.name!], { to: F }, { name: fresh(`Cast_${v.name}_fp32`) }));
    repr.set(inner, H);
  }
  g.nodes = out;
  for (const v of g.valueInfo) if (repr.get(v.name!) === H && v.type?.tensorType) v.type.tensorType.elemType = H;
  report.notes.push(`${report.converted.length} nodes compute in fp16, ${casts.size + (keepIo ? g.outputs.length : 0)} casts at most at fp32 boundaries; weights ${fmtMB(initBytesBefore)} → ${fmtMB(initBytesAfter)}`);
  report.notes.push('fp16 halves size and memory traffic; on a CPU without native fp16 arithmetic ONNX Runtime computes many fp16 ops through casts, so expect no speed-up there (it pays on GPUs).');
  return report;
}

function fmtMB(b: number): string { return `${(b / 2 ** 20).toFixed(1)} MB`; }

export function halfBytes(f: Float32Array): Buffer {
  const out = Buffer.alloc(f.length * 2);
  const bits = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const h = new Uint16Array(out.buffer, out.byteOffset, f.length);
  for (let i = 0; i < f.length; i++) h[i] = halfFromBits(bits[i]);
  return out;
}

/** Attributes that carry a float32 type or value: Cast's `to`, Constant/ConstantOfShape tensors. */
function retypeAttributes(n: onnx.INodeProto): void {
  if (n.opType === 'ConstantOfShape' && !attr(n, 'value')) {
    // The default value is a float32 zero: make it an explicit fp16 zero.
    (n.attribute ??= []).push({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dataType: H, dims: [1], rawData: Buffer.alloc(2) } });
  }
  for (const a of n.attribute ?? []) {
    if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === F) a.i = H;
    if (a.t && a.t.dataType === F) a.t = halfTensor(a.t);
    if (n.opType === 'Constant' && (a.name === 'value_float' || a.name === 'value_floats')) {
      const vals = a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []);
      const t: onnx.ITensorProto = { dataType: H, dims: a.name === 'value_float' ? [] : [vals.length], rawData: halfBytes(Float32Array.from(vals)) };
      a.name = 'value'; a.type = onnx.AttributeProto.AttributeType.TENSOR; a.t = t; a.f = undefined; a.floats = [];
    }
  }
}

function halfTensor(t: onnx.ITensorProto): onnx.ITensorProto {
  let f: Float32Array;
  if (t.rawData && t.rawData.length) {
    const b = Buffer.from(t.rawData);
    f = new Float32Array(b.length / 4);
    Buffer.from(f.buffer).set(b);
  } else f = Float32Array.from(t.floatData ?? []);
  return { ...t, dataType: H, floatData: [], rawData: halfBytes(f) };
}

export { halfToFloat };
