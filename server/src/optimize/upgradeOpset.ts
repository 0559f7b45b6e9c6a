/**
 * ONNX010's fix: the default-domain opset raised to 17 (and the IR version to 8), where the rules
 * are simple. Each op either kept its meaning from the model's opset to 17 (only new types or new
 * attributes whose defaults behave as before: the version number changes, nothing else), or moved
 * attributes to inputs (Squeeze/Unsqueeze/ReduceSum axes and Split's split at 13, Clip's min/max
 * and Pad's pads/value at 11, Slice's starts/ends/axes and TopK's k at 10: the values become
 * Constant nodes), or changed in a way converted only when the old and new meaning agree (Softmax,
 * LogSoftmax and Hardmax over the last axis; Dropout whose mask nothing reads is an Identity at
 * inference). Anything else (Upsample, Resize-10, RoiAlign, Scan-8, OneHot (negative indices wrap
 * from 11), ConvTranspose with SAME_* padding before 11, an op not listed, an opset below 7) refuses
 * the whole upgrade, naming the ops: onnx.version_converter has adapters for those.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { tensor } from '../onnx/builder';
import type { Pass, PassContext, PassResult } from './pass';
import { attr, intOf, subgraphsOf } from './rewire';

export const TARGET_OPSET = 17;
const MIN_SOURCE_OPSET = 7;

/** Ops whose meaning did not change between opset 7 and 17 for models valid at the older version. */
const UNCHANGED = new Set(`Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BitShift Cast CastLike Ceil Celu
Compress Concat ConcatFromSequence Constant ConstantOfShape Conv ConvInteger Cos Cosh CumSum DepthToSpace
DequantizeLinear Det Div DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU Gather GatherElements
GatherND Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample HardSigmoid HardSwish Identity If
InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization LeakyRelu Less LessOrEqual Log Loop LpNormalization LpPool MatMul
MatMulInteger Max MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization Min Mod Mul Neg NonMaxSuppression NonZero Not Or PRelu Pow
QLinearConv QLinearMatMul QuantizeLinear RNN Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp
ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare Relu Reshape ReverseSequence Round ScatterElements ScatterND Selu
SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert SequenceLength Shape Shrink Sigmoid Sign Sin Sinh Size
Softplus Softsign SpaceToDepth SplitToSequence Sqrt Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Trilu Unique Where Xor`.split(/\s+/));

interface Ctx { ranks: PassContext['ranks']; types: PassContext['types']; from: number; readers: Set<string> }

/** Nodes to put before `n` (Constants) and the node that replaces it, or why it cannot be converted. */
type Conversion = { before: onnx.INodeProto[]; node: onnx.INodeProto } | string;

const changedAt = (c: Ctx, version: number): boolean => c.from < version && version <= TARGET_OPSET;

/** Constant nodes holding `values` (int64 or float32), read as extra inputs. */
function constant(n: onnx.INodeProto, what: string, dataType: number, values: number[], scalar = false): onnx.INodeProto {
  const name = `${n.output![0]}_${what}`;
  const data = dataType === DataType.INT64 ? BigInt64Array.from(values.map(BigInt)) : Float32Array.from(values);
  return { opType: 'Constant', domain: '', name, input: [], output: [name], attribute: [{ name: 'value', type: 4, t: tensor(name, dataType, scalar ? [] : [values.length], data) }] };
}

const without = (n: onnx.INodeProto, ...names: string[]): onnx.IAttributeProto[] => (n.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));

/** Attributes that became inputs: each given attribute (absent: an empty input) in input order. */
function toInputs(n: onnx.INodeProto, inputs: Array<{ attr: string; dataType: number; scalar?: boolean; values?: number[] }>): Conversion {
  const before: onnx.INodeProto[] = [];
  const extra: string[] = [];
  for (const i of inputs) {
    const a = attr(n, i.attr);
    const values = i.values ?? (a ? (a.ints ?? []).map(Number) : undefined);
    if (!values) { extra.push(''); continue; }
    const c = constant(n, i.attr, i.dataType, values, i.scalar);
    before.push(c);
    extra.push(c.output![0]);
  }
  while (extra.length && !extra[extra.length - 1]) extra.pop();
  return { before, node: { ...n, input: [...n.input!, ...extra], attribute: without(n, ...inputs.map((i) => i.attr)) } };
}

function convert(n: onnx.INodeProto, c: Ctx): Conversion {
  const op = n.opType ?? '';
  const same: Conversion = { before: [], node: n };
  const floatInput = c.types.get(n.input![0]) === DataType.FLOAT;
  switch (op) {
    case 'Squeeze': case 'Unsqueeze': case 'ReduceSum':
      return changedAt(c, 13) && attr(n, 'axes') ? toInputs(n, [{ attr: 'axes', dataType: DataType.INT64 }]) : same;
    case 'Split':
      return changedAt(c, 13) && attr(n, 'split') ? toInputs(n, [{ attr: 'split', dataType: DataType.INT64 }]) : same;
    case 'Clip':
      if (!changedAt(c, 11)) return same;
      if (!floatInput) return 'Clip-6 on a non-float32 input';
      return toInputs(n, [
        { attr: 'min', dataType: DataType.FLOAT, scalar: true, values: [attr(n, 'min')?.f ?? -3.4028234663852886e38] },
        { attr: 'max', dataType: DataType.FLOAT, scalar: true, values: [attr(n, 'max')?.f ?? 3.4028234663852886e38] },
      ]);
    case 'Pad': {
      if (!changedAt(c, 11)) return same;
      if (!floatInput) return 'Pad-2 on a non-float32 input';
      return toInputs(n, [{ attr: 'pads', dataType: DataType.INT64 }, { attr: 'value', dataType: DataType.FLOAT, scalar: true, values: [attr(n, 'value')?.f ?? 0] }]);
    }
    case 'Slice':
      return changedAt(c, 10) ? toInputs(n, [{ attr: 'starts', dataType: DataType.INT64 }, { attr: 'ends', dataType: DataType.INT64 }, { attr: 'axes', dataType: DataType.INT64 }]) : same;
    case 'TopK':
      return changedAt(c, 10) ? toInputs(n, [{ attr: 'k', dataType: DataType.INT64, values: [intOf(n, 'k') ?? 0] }]) : same;
    case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
      if (!changedAt(c, 13)) return same;
      // Before 13 the input was flattened to 2-D at `axis` (default 1); from 13 only `axis` is normalised. Same over the last axis.
      const rank = c.ranks.get(n.input![0]);
      const axis = intOf(n, 'axis') ?? 1;
      if (rank === undefined || (axis < 0 ? axis + rank : axis) !== rank - 1) return `${op} over other than the last axis (its meaning changed at opset 13)`;
      return { before: [], node: { ...n, attribute: [...without(n, 'axis'), { name: 'axis', type: 2, i: -1 }] } };
    }
    case 'Dropout':
      if (!changedAt(c, 12)) return same;
      if ((n.output ?? []).slice(1).some((o) => o && c.readers.has(o))) return 'Dropout whose mask is read';
      return { before: [], node: { opType: 'Identity', domain: '', name: n.name, input: [n.input![0]], output: [n.output![0]], attribute: [] } };
    case 'BatchNormalization':
      if ((n.output ?? []).slice(1).some((o) => o) || intOf(n, 'spatial') === 0) return 'BatchNormalization in training mode or with spatial=0';
      return { before: [], node: { ...n, attribute: without(n, 'spatial', 'is_test') } };
    case 'Resize':
      if (c.from < 11) return 'Resize-10 (its coordinate mapping changed at 11)';
      return Buffer.from(attr(n, 'coordinate_transformation_mode')?.s ?? []).toString() === 'tf_half_pixel_for_nn' ? 'Resize with tf_half_pixel_for_nn (removed at 13)' : same;
    case 'ConvTranspose': {
      // Opset 11 reworded how SAME_UPPER/SAME_LOWER split the padding; explicit pads mean the same.
      const pad = attr(n, 'auto_pad')?.s;
      return changedAt(c, 11) && pad && !['NOTSET', 'VALID'].includes(Buffer.from(pad).toString()) ? 'ConvTranspose with auto_pad SAME_* (redefined at 11)' : same;
    }
    case 'Scan':
      return c.from < 9 ? 'Scan-8 (its inputs changed at 9)' : same;
    default:
      return UNCHANGED.has(op) ? same : `${op} (no simple conversion here)`;
  }
}

/** Converts the default-domain nodes of one graph (and its subgraphs) in place; returns the refusals. */
function convertGraph(nodes: onnx.INodeProto[], c: Ctx, refused: Set<string>): onnx.INodeProto[] {
  const out: onnx.INodeProto[] = [];
  for (const n of nodes) {
    for (const sg of subgraphsOf(n)) sg.node = convertGraph(sg.node ?? [], c, refused);
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') { out.push(n); continue; }
    const r = convert(n, c);
    if (typeof r === 'string') { refused.add(r); out.push(n); continue; }
    out.push(...r.before, r.node);
  }
  return out;
}

/** Every value some node reads, subgraphs included (a Dropout mask read anywhere keeps the Dropout). */
function readValues(nodes: onnx.INodeProto[], into = new Set<string>()): Set<string> {
  for (const n of nodes) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const sg of subgraphsOf(n)) { readValues(sg.node ?? [], into); for (const o of sg.output ?? []) if (o.name) into.add(o.name); }
  }
  return into;
}

function run(ctx: PassContext): PassResult {
  const m = ctx.model;
  const from = m.opsets[''] ?? m.opsets['ai.onnx'];
  if (from === undefined || from >= TARGET_OPSET) {
    // Only the IR version is old: opset 17's IR (8) reads every older IR file the same.
    if (m.irVersion >= 7) return { changed: 0, notes: [] };
    const ir = m.irVersion;
    m.irVersion = 8;
    return { changed: 1, notes: [`IR version ${ir} → 8`] };
  }
  if (from < MIN_SOURCE_OPSET) throw new Error(`opset ${from} is older than ${MIN_SOURCE_OPSET} (ops took broadcast attributes then): convert it with onnx.version_converter.convert_version(model, ${TARGET_OPSET})`);
  const refused = new Set<string>();
  // Model-local functions import their own opsets; their bodies are not converted here.
  if (m.functions.length) refused.add(`model-local functions (${m.functions.map((f) => f.name).join(', ')})`);
  const readers = readValues(m.graph.nodes);
  for (const o of m.graph.outputs) if (o.name) readers.add(o.name);
  const nodes = convertGraph(m.graph.nodes, { ranks: ctx.ranks, types: ctx.types, from, readers }, refused);
  if (refused.size) {
    throw new Error(`opset ${from} → ${TARGET_OPSET} refused, nothing written: ${[...refused].sort().join('; ')}. ` +
      `Convert it with onnx.version_converter.convert_version(model, ${TARGET_OPSET}), whose adapters cover these`);
  }
  const converted = nodes.length - m.graph.nodes.length;
  m.graph.nodes = nodes;
  delete m.opsets['ai.onnx'];
  m.opsets[''] = TARGET_OPSET;
  m.irVersion = Math.max(m.irVersion, 8);
  return { changed: 1, notes: [`default-domain opset ${from} → ${TARGET_OPSET}, IR ${m.irVersion}${converted ? ` (${converted} attribute${converted > 1 ? 's' : ''} moved to Constant inputs)` : ''}`] };
}

export const UPGRADE_OPSET: Pass = { rule: 'ONNX010', title: `Upgrade to opset ${TARGET_OPSET}`, default: false, run };
