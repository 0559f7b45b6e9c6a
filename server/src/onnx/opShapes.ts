/**
 * Shape and type inference per op, as ONNX's operator schemas carry theirs: one small function per
 * op family, registered in a table keyed by domain and op type. Adding an op is one `rule(...)` entry
 * (and its test in shapes.test.ts). A function gets the node, its first input's type and shape, and
 * the inference context (other values, folded constants, the opset, and the walks for subgraphs);
 * it returns its outputs' types and shapes, `undefined` or null where unknown.
 *
 * Domains: the default ('') for every rule; the com.microsoft forms (and com.ms.internal.nhwc) share
 * them except the broadcast family. The first registration of a (domain, op) wins, so the families
 * registered first (elementwise) take precedence over the per-op entries below, as they always have.
 */
import { DataType, NodeInfo, TensorInfo } from './model';
import type { ConstTensor } from './constants';
import type { ValueType } from './shapes';
import {
  attrInt, attrInts, attrString, attrTensor, broadcastAll, constantAttr, convShape, convTransposeShape, einsumShape,
  matmulShape, normAxis, poolShape, product, reshape, Shape, shapeRange, swapLast, unknownRank,
} from './shapeMath';

export type Out = Array<ValueType | undefined>;

/** What an inference function may ask of the walk (implemented by shapes.ts's Inferrer). */
export interface InferContext {
  values: Map<string, ValueType>;
  constants: Map<string, ConstTensor>;
  get(name: string | undefined): ValueType | undefined;
  shape(name: string | undefined): Shape | null;
  const(name: string | undefined): ConstTensor | undefined;
  opset(domain: string): number;
  setWeight(t: TensorInfo, name?: string): void;
  slice(n: NodeInfo, xs: Shape | null): Shape | null;
  reduce(n: NodeInfo, xs: Shape | null): Shape | null;
  resize(n: NodeInfo, xs: Shape | null): Shape | null;
  rnn(n: NodeInfo, xs: Shape | null, et: number): Out;
  ifNode(n: NodeInfo): Out;
  loop(n: NodeInfo): Out;
  scan(n: NodeInfo): Out;
}

/** A node as an inference function sees it. */
export interface OpArgs {
  n: NodeInfo;
  /** the first input's type and shape */
  x: ValueType | undefined;
  xs: Shape | null;
  et: number;
  /** a com.microsoft (or NHWC) node */
  ms: boolean;
  op: string;
  /** every output with the first input's type and shape */
  same(): Out;
}

export type InferFn = (a: OpArgs, ctx: InferContext) => Out;

const MS = 'com.microsoft';
const NHWC = 'com.ms.internal.nhwc';
const ALL = ['', MS, NHWC];
const TABLE = new Map<string, InferFn>();

function rule(ops: Iterable<string>, fn: InferFn, domains: string[] = ALL): void {
  for (const d of domains) for (const op of ops) {
    const key = `${d}|${op}`;
    if (!TABLE.has(key)) TABLE.set(key, fn);
  }
}

/** The inference function of an op, or undefined when there is none (the op is reported unknown). */
export function inferenceFor(domain: string, op: string): InferFn | undefined {
  return TABLE.get(`${domain}|${op}`);
}

// ---- Elementwise families ------------------------------------------------------------------------

const UNARY = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'Elu', 'Erf',
  'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'InstanceNormalization', 'LeakyRelu', 'Log',
  'LogSoftmax', 'LpNormalization', 'LRN', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Reciprocal', 'Round',
  'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh',
  'ThresholdedRelu', 'Not', 'BitwiseNot', 'GroupNormalization', 'Swish',
]);
const MS_UNARY = new Set(['FastGelu', 'BiasGelu', 'Gelu', 'QuickGelu', 'BiasAdd', 'BiasSoftmax', 'Relu', 'Sigmoid', 'Tanh']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Mod', 'BitShift', 'PRelu', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

/** The ops inference understands (for documentation and tests). */
export const SUPPORTED_UNARY = UNARY;

const unary: InferFn = ({ n, xs, et }) => [{ elemType: et, shape: xs }, ...n.outputs.slice(1).map(() => ({ elemType: et, shape: xs }))];
rule(UNARY, unary);
rule(MS_UNARY, unary, [MS, NHWC]);
rule(['IsNaN', 'IsInf'], ({ xs }) => [{ elemType: DataType.BOOL, shape: xs }]);
rule(BROADCAST, ({ n, et }, ctx) => [{ elemType: et, shape: broadcastAll(n.inputs.filter(Boolean).map((i) => ctx.shape(i))) }], ['']);
rule(COMPARE, ({ n, xs }, ctx) => [{ elemType: DataType.BOOL, shape: broadcastAll([xs, ctx.shape(n.inputs[1])]) }]);

// ---- Every other op, one entry per family --------------------------------------------------------

rule(['Constant'], ({ n }, ctx) => {
  const t = attrTensor(n, 'value');
  if (t) { ctx.setWeight(t, n.outputs[0]); return [ctx.values.get(n.outputs[0])]; }
  const c = constantAttr(n);
  if (c) { ctx.constants.set(n.outputs[0], c); return [{ elemType: c.elemType, shape: c.dims }]; }
  return [undefined];
});
rule(['Identity', 'Dropout', 'Relu', 'Softmax'], ({ xs, et }) => {
  return [{ elemType: et, shape: xs }, { elemType: DataType.BOOL, shape: xs }];
});
rule(['Cast'], ({ n, xs, et }) => [{ elemType: attrInt(n, 'to', et), shape: xs }]);
rule(['CastLike'], ({ n, xs, et }, ctx) => [{ elemType: ctx.get(n.inputs[1])?.elemType ?? et, shape: xs }]);
rule(['Where'], ({ n }, ctx) => [{ elemType: ctx.get(n.inputs[1])?.elemType ?? 0, shape: broadcastAll(n.inputs.map((i) => ctx.shape(i))) }]);
rule(['Shape'], ({ n, xs }) => {
  if (!xs) return [{ elemType: DataType.INT64, shape: [null] }];
  const [s, e] = shapeRange(n, xs.length);
  return [{ elemType: DataType.INT64, shape: [Math.max(0, e - s)] }];
});
rule(['Size'], (_a) => [{ elemType: DataType.INT64, shape: [] }]);
rule(['ConstantOfShape'], ({ n, xs }, ctx) => {
  const c = ctx.const(n.inputs[0]);
  const v = attrTensor(n, 'value');
  return [{ elemType: v?.dataType ?? DataType.FLOAT, shape: c ? c.data.slice() : unknownRank(xs?.[0]) }];
});
rule(['Range'], ({ n, et }, ctx) => {
  const [s, l, d] = [0, 1, 2].map((i) => ctx.const(n.inputs[i])?.data[0]);
  const len = s !== undefined && l !== undefined && d ? Math.max(0, Math.ceil((l - s) / d)) : null;
  return [{ elemType: et, shape: [len] }];
});
rule(['Gather'], ({ n, xs, et }, ctx) => {
  const is = ctx.shape(n.inputs[1]);
  if (!xs || !is) return [{ elemType: et, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
  return [{ elemType: et, shape: [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)] }];
});
rule(['GatherElements'], ({ n, et }, ctx) => [{ elemType: et, shape: ctx.shape(n.inputs[1]) }]);
rule(['GatherND'], ({ n, xs, et }, ctx) => {
  const is = ctx.shape(n.inputs[1]);
  const b = attrInt(n, 'batch_dims', 0);
  if (!xs || !is || is[is.length - 1] === null) return [{ elemType: et, shape: null }];
  const last = is[is.length - 1] as number;
  return [{ elemType: et, shape: [...is.slice(0, -1), ...xs.slice(b + last)] }];
});
rule(['ScatterND', 'ScatterElements', 'Scatter'], ({ xs, et }) => [{ elemType: et, shape: xs }]);
rule(['Concat'], ({ n, et }, ctx) => {
  const shapes = n.inputs.filter(Boolean).map((i) => ctx.shape(i));
  const known = shapes.find((s) => s);
  if (!known || shapes.some((s) => !s)) return [{ elemType: et, shape: known ? known.map(() => null) : null }];
  const axis = normAxis(attrInt(n, 'axis', 0), known.length);
  const out = known.slice();
  out[axis] = shapes.reduce<number | null>((sum, s) => (sum === null || s![axis] === null ? null : sum + (s![axis] as number)), 0);
  for (let i = 0; i < out.length; i++) if (i !== axis && out[i] === null) out[i] = shapes.find((s) => s![i] !== null)?.[i] ?? null;
  return [{ elemType: et, shape: out }];
});
rule(['Split'], ({ n, xs, et }, ctx) => {
  if (!xs) return n.outputs.map(() => ({ elemType: et, shape: null }));
  const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
  const total = xs[axis];
  const sizes = ctx.const(n.inputs[1])?.data ?? attrInts(n, 'split');
  return n.outputs.map((_, i) => {
    const s = xs.slice();
    if (sizes && sizes.length === n.outputs.length) s[axis] = sizes[i];
    else if (total !== null) { const per = Math.ceil(total / n.outputs.length); s[axis] = Math.min(per, Math.max(0, total - per * i)); }
    else s[axis] = null;
    return { elemType: et, shape: s };
  });
});
rule(['Slice'], ({ n, xs, et }, ctx) => [{ elemType: et, shape: ctx.slice(n, xs) }]);
rule(['Reshape'], ({ n, xs, et }, ctx) => {
  const target = ctx.const(n.inputs[1])?.data ?? attrInts(n, 'shape');
  if (!target) return [{ elemType: et, shape: unknownRank(ctx.shape(n.inputs[1])?.[0]) }];
  return [{ elemType: et, shape: reshape(xs, target, attrInt(n, 'allowzero', 0) === 1) }];
});
rule(['Flatten'], ({ n, xs, et }) => {
  if (!xs) return [{ elemType: et, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', 1), xs.length + 1);
  return [{ elemType: et, shape: [product(xs.slice(0, axis)), product(xs.slice(axis))] }];
});
rule(['Squeeze'], ({ n, xs, et }, ctx) => {
  if (!xs) return [{ elemType: et, shape: null }];
  const axes = (ctx.opset('') >= 13 ? ctx.const(n.inputs[1])?.data : attrInts(n, 'axes'))?.map((a) => normAxis(a, xs.length));
  if (!axes && n.inputs[1] && ctx.opset('') >= 13) return [{ elemType: et, shape: null }];
  return [{ elemType: et, shape: xs.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }];
});
rule(['Unsqueeze'], ({ n, xs, et }, ctx) => {
  const axesRaw = ctx.opset('') >= 13 ? ctx.const(n.inputs[1])?.data : attrInts(n, 'axes');
  if (!xs || !axesRaw) return [{ elemType: et, shape: null }];
  const rank = xs.length + axesRaw.length;
  const axes = axesRaw.map((a) => normAxis(a, rank));
  const out: Shape = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : xs[j++] ?? null);
  return [{ elemType: et, shape: out }];
});
rule(['Transpose'], ({ n, xs, et }) => {
  if (!xs) return [{ elemType: et, shape: null }];
  const perm = attrInts(n, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
  return [{ elemType: et, shape: perm.map((p) => xs[p] ?? null) }];
});
rule(['Expand'], ({ n, xs, et }, ctx) => {
  const target = ctx.const(n.inputs[1])?.data;
  return [{ elemType: et, shape: target ? broadcastAll([xs, target]) : null }];
});
rule(['Tile'], ({ n, xs, et }, ctx) => {
  const reps = ctx.const(n.inputs[1])?.data;
  return [{ elemType: et, shape: xs && reps ? xs.map((d, i) => (d === null ? null : d * (reps[i] ?? 1))) : xs?.map(() => null) ?? null }];
});
rule(['Pad'], ({ n, xs, et }, ctx) => {
  const pads = ctx.opset('') >= 11 ? ctx.const(n.inputs[1])?.data : attrInts(n, 'pads');
  if (!xs || !pads) return [{ elemType: et, shape: xs ? xs.map(() => null) : null }];
  const axes = ctx.const(n.inputs[3])?.data?.map((a) => normAxis(a, xs.length)) ?? xs.map((_, i) => i);
  const out = xs.slice();
  axes.forEach((a, i) => { if (out[a] !== null) out[a] = (out[a] as number) + pads[i] + pads[i + axes.length]; });
  return [{ elemType: et, shape: out }];
});
rule(['MatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'FusedMatMul'], ({ n, xs, et, op }, ctx) => {
  const type = op === 'MatMulInteger' ? DataType.INT32 : op === 'MatMul' || op === 'FusedMatMul' ? et : DataType.FLOAT;
  let b = ctx.shape(n.inputs[1]);
  let a = xs;
  if (op === 'FusedMatMul') {
    if (a && attrInt(n, 'transA', 0)) a = swapLast(a);
    if (b && attrInt(n, 'transB', 0)) b = swapLast(b);
  }
  return [{ elemType: type, shape: matmulShape(a, b) }];
});
rule(['QLinearMatMul'], ({ n, xs, et }, ctx) => [{ elemType: ctx.get(n.inputs[7])?.elemType ?? et, shape: matmulShape(xs, ctx.shape(n.inputs[3])) }]);
rule(['MatMulNBits'], ({ n, xs, et }) => {
  const N = attrInt(n, 'N', 0);
  return [{ elemType: et, shape: xs ? [...xs.slice(0, -1), N || null] : null }];
});
rule(['Gemm'], ({ n, xs, et }, ctx) => {
  const b = ctx.shape(n.inputs[1]);
  if (!xs || !b || xs.length !== 2 || b.length !== 2) return [{ elemType: et, shape: null }];
  const M = attrInt(n, 'transA', 0) ? xs[1] : xs[0];
  const N = attrInt(n, 'transB', 0) ? b[0] : b[1];
  return [{ elemType: et, shape: [M, N] }];
});
rule(['QGemm'], ({ n, xs }, ctx) => {
  const b = ctx.shape(n.inputs[3]);
  if (!xs || !b) return [{ elemType: DataType.FLOAT, shape: null }];
  const M = attrInt(n, 'transA', 0) ? xs[1] : xs[0];
  const N = attrInt(n, 'transB', 0) ? b[0] : b[1];
  return [{ elemType: n.inputs[7] ? ctx.get(n.inputs[7])?.elemType ?? DataType.FLOAT : DataType.FLOAT, shape: [M, N] }];
});
rule(['Einsum'], ({ n, et }, ctx) => [{ elemType: et, shape: einsumShape(attrString(n, 'equation', ''), n.inputs.map((i) => ctx.shape(i))) }]);
rule(['Conv', 'ConvInteger', 'FusedConv', 'NhwcConv'], ({ n, xs, et, op }, ctx) => {
  return [{ elemType: op === 'ConvInteger' ? DataType.INT32 : et, shape: convShape(n, xs, ctx.shape(n.inputs[1]), op === 'NhwcConv' || attrInt(n, 'channels_last', 0) === 1) }];
});
rule(['QLinearConv'], ({ n, xs, et }, ctx) => {
  return [{ elemType: ctx.get(n.inputs[7])?.elemType ?? et, shape: convShape(n, xs, ctx.shape(n.inputs[3]), attrInt(n, 'channels_last', 0) === 1) }];
});
rule(['ConvTranspose'], ({ n, xs, et }, ctx) => [{ elemType: et, shape: convTransposeShape(n, xs, ctx.shape(n.inputs[1])) }]);
rule(['MaxPool', 'AveragePool', 'LpPool', 'QLinearAveragePool'], ({ n, xs, et, op }, ctx) => {
  const s = poolShape(n, xs, attrInt(n, 'channels_last', 0) === 1);
  const type = op === 'QLinearAveragePool' ? ctx.get(n.inputs[4])?.elemType ?? et : et;
  return [{ elemType: type, shape: s }, { elemType: DataType.INT64, shape: s }];
});
rule(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'], ({ xs, et }) => {
  return [{ elemType: et, shape: xs ? xs.map((d, i) => (i < 2 ? d : 1)) : null }];
});
rule(['QLinearGlobalAveragePool'], ({ n, xs, et }, ctx) => {
  const last = attrInt(n, 'channels_last', 0) === 1;
  return [{ elemType: ctx.get(n.inputs[4])?.elemType ?? et, shape: xs ? xs.map((d, i) => (i === 0 || (last ? i === xs.length - 1 : i === 1) ? d : 1)) : null }];
});
rule(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'], ({ n, xs, et }, ctx) => {
  return [{ elemType: et, shape: ctx.reduce(n, xs) }];
});
rule(['ArgMax', 'ArgMin'], ({ n, xs }) => {
  if (!xs) return [{ elemType: DataType.INT64, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
  const keep = attrInt(n, 'keepdims', 1) === 1;
  return [{ elemType: DataType.INT64, shape: keep ? xs.map((d, i) => (i === axis ? 1 : d)) : xs.filter((_, i) => i !== axis) }];
});
rule(['LayerNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization'], ({ n, xs, et, ms, op }) => {
  const axis = xs ? normAxis(attrInt(n, 'axis', -1), xs.length) : 0;
  const stat = xs ? xs.map((d, i) => (i < axis ? d : 1)) : null;
  const statType = ms ? DataType.FLOAT : attrInt(n, 'stash_type', 1);
  if (op.startsWith('Skip')) return [{ elemType: et, shape: xs }, { elemType: statType, shape: stat }, { elemType: statType, shape: stat }, { elemType: et, shape: xs }];
  return [{ elemType: et, shape: xs }, { elemType: statType, shape: stat }, { elemType: statType, shape: stat }];
});
rule(['BatchNormalization'], ({ xs, et }) => {
  const c = xs ? [xs[1] ?? null] : null;
  return [{ elemType: et, shape: xs }, { elemType: et, shape: c }, { elemType: et, shape: c }, { elemType: et, shape: c }, { elemType: et, shape: c }];
});
rule(['Resize', 'Upsample'], ({ n, xs, et }, ctx) => [{ elemType: et, shape: ctx.resize(n, xs) }]);
rule(['LSTM', 'GRU', 'RNN'], ({ n, xs, et }, ctx) => ctx.rnn(n, xs, et));
rule(['QuantizeLinear'], ({ n, xs }, ctx) => {
  const zp = ctx.get(n.inputs[2]);
  return [{ elemType: zp?.elemType || attrInt(n, 'output_dtype', 0) || DataType.UINT8, shape: xs }];
});
rule(['DequantizeLinear'], ({ n, xs }, ctx) => [{ elemType: ctx.get(n.inputs[1])?.elemType ?? DataType.FLOAT, shape: xs }]);
rule(['DynamicQuantizeLinear'], ({ xs }) => [{ elemType: DataType.UINT8, shape: xs }, { elemType: DataType.FLOAT, shape: [] }, { elemType: DataType.UINT8, shape: [] }]);
rule(['QLinearAdd', 'QLinearMul'], ({ n, xs, et }, ctx) => {
  return [{ elemType: et, shape: broadcastAll([xs, ctx.shape(n.inputs[3])]) }];
});
rule(['QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax'], ({ xs, et }) => [{ elemType: et, shape: xs }]);
rule(['QLinearConcat'], ({ n, x }, ctx) => {
  const shapes: Array<Shape | null> = [];
  for (let i = 2; i < n.inputs.length; i += 3) shapes.push(ctx.shape(n.inputs[i]));
  const first = shapes.find((s) => s);
  if (!first || shapes.some((s) => !s)) return [{ elemType: ctx.get(n.inputs[2])?.elemType ?? 0, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', 0), first.length);
  const out = first.slice();
  out[axis] = shapes.reduce<number | null>((s, x) => (s === null || x![axis] === null ? null : s + (x![axis] as number)), 0);
  return [{ elemType: ctx.get(n.inputs[2])?.elemType ?? 0, shape: out }];
});
rule(['TopK'], ({ n, xs, et }, ctx) => {
  const k = ctx.const(n.inputs[1])?.data[0] ?? attrInt(n, 'k', -1);
  if (!xs) return [{ elemType: et, shape: null }, { elemType: DataType.INT64, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', -1), xs.length);
  const s = xs.map((d, i) => (i === axis ? (k >= 0 ? k : null) : d));
  return [{ elemType: et, shape: s }, { elemType: DataType.INT64, shape: s }];
});
rule(['NonZero'], ({ xs }) => [{ elemType: DataType.INT64, shape: xs ? [xs.length, null] : null }]);
rule(['NonMaxSuppression'], (_a) => [{ elemType: DataType.INT64, shape: [null, 3] }]);
rule(['Compress'], ({ n, xs, et }) => [{ elemType: et, shape: xs ? (n.attributes.has('axis') ? xs.map((d, i) => (i === normAxis(attrInt(n, 'axis', 0), xs.length) ? null : d)) : [null]) : null }]);
rule(['OneHot'], ({ n, xs }, ctx) => {
  const depth = ctx.const(n.inputs[1])?.data[0] ?? null;
  if (!xs) return [{ elemType: ctx.get(n.inputs[2])?.elemType ?? 0, shape: null }];
  const axis = normAxis(attrInt(n, 'axis', -1), xs.length + 1);
  const out = xs.slice();
  out.splice(axis, 0, depth);
  return [{ elemType: ctx.get(n.inputs[2])?.elemType ?? 0, shape: out }];
});
rule(['DepthToSpace', 'SpaceToDepth'], ({ n, xs, et, op }) => {
  const b = attrInt(n, 'blocksize', 1);
  if (!xs || xs.length !== 4) return [{ elemType: et, shape: null }];
  const f = (d: number | null, k: number): number | null => (d === null ? null : k > 0 ? d * k : d / -k);
  return [{ elemType: et, shape: op === 'DepthToSpace' ? [xs[0], f(xs[1], -b * b), f(xs[2], b), f(xs[3], b)] : [xs[0], f(xs[1], b * b), f(xs[2], -b), f(xs[3], -b)] }];
});
rule(['EyeLike'], ({ n, xs, et }) => [{ elemType: attrInt(n, 'dtype', et), shape: xs }]);
rule(['RandomNormalLike', 'RandomUniformLike'], ({ n, xs, et }) => [{ elemType: attrInt(n, 'dtype', et), shape: xs }]);
rule(['RandomNormal', 'RandomUniform'], ({ n }) => [{ elemType: attrInt(n, 'dtype', DataType.FLOAT), shape: attrInts(n, 'shape') ?? null }]);
rule(['If'], ({ n }, ctx) => ctx.ifNode(n));
rule(['Loop'], ({ n }, ctx) => ctx.loop(n));
rule(['Scan'], ({ n }, ctx) => ctx.scan(n));
rule(['Attention'], ({ n, xs, et, ms }, ctx) => {
  if (ms) {
    const hidden = ctx.shape(n.inputs[1])?.[1] ?? null;
    const qkv = attrInts(n, 'qkv_hidden_sizes');
    const v = qkv ? qkv[2] : hidden === null ? null : hidden / 3;
    return [{ elemType: et, shape: xs ? [xs[0], xs[1], v] : null }, { elemType: et, shape: null }];
  }
  return [{ elemType: et, shape: xs && ctx.shape(n.inputs[2]) ? [...xs.slice(0, -1), ctx.shape(n.inputs[2])!.slice(-1)[0]] : xs }];
});
rule(['MultiHeadAttention', 'GroupQueryAttention'], ({ xs, et }) => {
  return [{ elemType: et, shape: xs }, { elemType: et, shape: null }, { elemType: et, shape: null }];
});
rule(['EmbedLayerNormalization'], ({ n, xs }, ctx) => {
  const hidden = ctx.shape(n.inputs[2])?.[1] ?? null;
  return [{ elemType: DataType.FLOAT, shape: xs ? [xs[0], xs[1], hidden] : null }, { elemType: DataType.INT32, shape: xs ? [xs[0]] : null }];
});
rule(['RotaryEmbedding'], ({ xs, et }) => [{ elemType: et, shape: xs }]);
rule(['Trilu', 'CumSum', 'ReverseSequence'], ({ same }) => same());
