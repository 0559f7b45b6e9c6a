/**
 * Shape and type inference over a ModelInfo, pure and without weights: every value's element type and
 * shape, with the model's symbolic dims resolved to numbers, and the small constants that shape
 * arithmetic computes (Shape → Gather → Concat → Reshape, Range, ConstantOfShape...) evaluated so that
 * Reshape/Expand/Slice/Resize targets are known.
 *
 * Symbolic dims of the graph inputs are resolved in this order (the result says which value it used):
 *  1. the value given for that name in `dims` (settings, `inference-lens.json`, `--dims`);
 *  2. a batch-like name (`batch`, `batch_size`, `bs`, `N`, `B`...) → 1;
 *  3. a sequence-like name (`seq`, `sequence`, `seq_len`, `length`, `tokens`, `time`, `T`...) → 128
 *     (DEFAULT_SEQUENCE), a typical request length for transformer and audio models;
 *  4. any other name, or an unnamed dim: the first dim of an input → 1 (batch), the last two dims of a
 *     rank-4 input → 224 (DEFAULT_SPATIAL, an image's height/width), otherwise → 1.
 * Unnamed dims are reported as `<input>[<axis>]`.
 *
 * An op with no inference rule is recorded (`unknownOps`, as `domain.Op`) and its outputs get unknown
 * shapes; inference goes on with the rest of the graph.
 */
import { allGraphs, DataType, Dim, GraphInfo, ModelInfo, NodeInfo, TensorInfo } from './model';
import { ConstTensor, constElements, decodeTensor, isIntegerType, MAX_CONST_ELEMENTS } from './constants';

export type { ConstTensor } from './constants';

export interface ValueType {
  elemType: number;
  /** null when not even the rank is known; a null dim is unknown. After resolution dims are numbers. */
  shape: Dim[] | null;
}

export interface ShapeInference {
  values: Map<string, ValueType>;
  /** Values known at analysis time (small tensors only). */
  constants: Map<string, ConstTensor>;
  /** Op types without inference, `domain.Op` for non-default domains, each once. */
  unknownOps: string[];
  /** Every symbolic (or unnamed) input dim and the value it resolved to. */
  dimsUsed: Record<string, number>;
  /** Values that come from initializers or Constant nodes (weights), by name. */
  weights: Map<string, TensorInfo>;
}

export const DEFAULT_BATCH = 1;
export const DEFAULT_SEQUENCE = 128;
export const DEFAULT_SPATIAL = 224;

const BATCH_LIKE = /^(n|b|bs|batch|batch_?size|batches|num_?batch(es)?)$|batch/i;
const SEQUENCE_LIKE = /^(t|s|l)$|seq|sequence|length|len$|^len|token|time|step|frames|samples/i;

/** The value an unset symbolic dim defaults to (see the module comment for the rule). */
export function defaultDim(name: string | null, axis: number, rank: number): number {
  if (name && BATCH_LIKE.test(name)) return DEFAULT_BATCH;
  if (name && SEQUENCE_LIKE.test(name)) return DEFAULT_SEQUENCE;
  if (axis === 0) return DEFAULT_BATCH;
  if (rank === 4 && axis >= 2) return DEFAULT_SPATIAL;
  return 1;
}

type Shape = Array<number | null>;
type Out = Array<ValueType | undefined>;

class Inferrer {
  values = new Map<string, ValueType>();
  constants = new Map<string, ConstTensor>();
  weights = new Map<string, TensorInfo>();
  unknown = new Set<string>();
  dimsUsed: Record<string, number> = {};

  constructor(readonly model: ModelInfo, readonly dims: Record<string, number>) {}

  opset(domain: string): number {
    return this.model.opsets[domain] ?? (domain === '' ? 1 : 1);
  }

  get(name: string | undefined): ValueType | undefined {
    return name ? this.values.get(name) : undefined;
  }

  shape(name: string | undefined): Shape | null {
    const v = this.get(name);
    return v?.shape ? (v.shape as Shape) : null;
  }

  const(name: string | undefined): ConstTensor | undefined {
    return name ? this.constants.get(name) : undefined;
  }

  setWeight(t: TensorInfo, name = t.name): void {
    this.weights.set(name, t);
    this.values.set(name, { elemType: t.dataType, shape: Number.isNaN(t.elements) ? null : [...t.dims] });
    const c = decodeTensor(t);
    if (c) this.constants.set(name, c);
  }

  resolveInput(name: string, elemType: number, shape: Dim[] | null): void {
    if (!shape) { this.values.set(name, { elemType, shape: null }); return; }
    const out = shape.map((d, axis) => {
      if (typeof d === 'number' && d >= 0) return d;
      const key = typeof d === 'string' ? d : `${name}[${axis}]`;
      const v = this.dims[key] ?? this.dimsUsed[key] ?? defaultDim(typeof d === 'string' ? d : null, axis, shape.length);
      this.dimsUsed[key] = v;
      return v;
    });
    this.values.set(name, { elemType, shape: out });
  }

  graph(g: GraphInfo, top: boolean): void {
    for (const t of g.initializers) this.setWeight(t);
    for (const i of g.inputs) {
      if (this.weights.has(i.name) && top) continue;
      if (!top && this.values.has(i.name)) continue; // bound by the caller (Loop/Scan bodies)
      this.resolveInput(i.name, i.elemType, i.shape);
    }
    for (const n of g.nodes) this.node(n);
  }

  node(n: NodeInfo): void {
    let outs: Out;
    try {
      outs = this.infer(n);
    } catch {
      outs = []; // a malformed attribute or input in a corrupt model: unknown shapes, keep going
    }
    n.outputs.forEach((name, i) => {
      if (!name) return;
      const v = outs[i];
      this.values.set(name, v ? { elemType: v.elemType, shape: sane(v.shape) } : { elemType: 0, shape: null });
    });
    if (n.domain === '' || n.domain === 'ai.onnx') {
      try {
        this.fold(n);
      } catch { /* not foldable */ }
    }
  }

  unknownOp(n: NodeInfo): Out {
    this.unknown.add(n.domain ? `${n.domain}.${n.opType}` : n.opType);
    return [];
  }

  /** Inference for one node: its outputs' types and shapes. */
  infer(n: NodeInfo): Out {
    const x = this.get(n.inputs[0]);
    const xs = this.shape(n.inputs[0]);
    const et = x?.elemType ?? 0;
    const same = (): Out => n.outputs.map(() => (x ? { elemType: et, shape: xs } : undefined));
    const ms = n.domain === 'com.microsoft' || n.domain === 'com.ms.internal.nhwc';
    if (n.domain !== '' && !ms) return this.unknownOp(n);
    const op = n.opType;

    if (UNARY.has(op) || (ms && MS_UNARY.has(op))) return [{ elemType: et, shape: xs }, ...n.outputs.slice(1).map(() => ({ elemType: et, shape: xs }))];
    if (BOOL_UNARY.has(op)) return [{ elemType: DataType.BOOL, shape: xs }];
    if (BROADCAST.has(op) && !ms) {
      const shapes = n.inputs.filter(Boolean).map((i) => this.shape(i));
      return [{ elemType: et, shape: broadcastAll(shapes) }];
    }
    if (COMPARE.has(op)) return [{ elemType: DataType.BOOL, shape: broadcastAll([xs, this.shape(n.inputs[1])]) }];

    switch (op) {
      case 'Constant': {
        const t = attrTensor(n, 'value');
        if (t) { this.setWeight(t, n.outputs[0]); return [this.values.get(n.outputs[0])]; }
        const c = constantAttr(n);
        if (c) { this.constants.set(n.outputs[0], c); return [{ elemType: c.elemType, shape: c.dims }]; }
        return [undefined];
      }
      case 'Identity': case 'Dropout': case 'Relu': case 'Softmax':
        return [{ elemType: et, shape: xs }, { elemType: DataType.BOOL, shape: xs }];
      case 'Cast': return [{ elemType: attrInt(n, 'to', et), shape: xs }];
      case 'CastLike': return [{ elemType: this.get(n.inputs[1])?.elemType ?? et, shape: xs }];
      case 'Where': return [{ elemType: this.get(n.inputs[1])?.elemType ?? 0, shape: broadcastAll(n.inputs.map((i) => this.shape(i))) }];
      case 'Shape': {
        if (!xs) return [{ elemType: DataType.INT64, shape: [null] }];
        const [s, e] = shapeRange(n, xs.length);
        return [{ elemType: DataType.INT64, shape: [Math.max(0, e - s)] }];
      }
      case 'Size': return [{ elemType: DataType.INT64, shape: [] }];
      case 'ConstantOfShape': {
        const c = this.const(n.inputs[0]);
        const v = attrTensor(n, 'value');
        return [{ elemType: v?.dataType ?? DataType.FLOAT, shape: c ? c.data.slice() : unknownRank(xs?.[0]) }];
      }
      case 'Range': {
        const [s, l, d] = [0, 1, 2].map((i) => this.const(n.inputs[i])?.data[0]);
        const len = s !== undefined && l !== undefined && d ? Math.max(0, Math.ceil((l - s) / d)) : null;
        return [{ elemType: et, shape: [len] }];
      }
      case 'Gather': {
        const is = this.shape(n.inputs[1]);
        if (!xs || !is) return [{ elemType: et, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
        return [{ elemType: et, shape: [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)] }];
      }
      case 'GatherElements': return [{ elemType: et, shape: this.shape(n.inputs[1]) }];
      case 'GatherND': {
        const is = this.shape(n.inputs[1]);
        const b = attrInt(n, 'batch_dims', 0);
        if (!xs || !is || is[is.length - 1] === null) return [{ elemType: et, shape: null }];
        const last = is[is.length - 1] as number;
        return [{ elemType: et, shape: [...is.slice(0, -1), ...xs.slice(b + last)] }];
      }
      case 'ScatterND': case 'ScatterElements': case 'Scatter': return [{ elemType: et, shape: xs }];
      case 'Concat': {
        const shapes = n.inputs.filter(Boolean).map((i) => this.shape(i));
        const known = shapes.find((s) => s);
        if (!known || shapes.some((s) => !s)) return [{ elemType: et, shape: known ? known.map(() => null) : null }];
        const axis = normAxis(attrInt(n, 'axis', 0), known.length);
        const out = known.slice();
        out[axis] = shapes.reduce<number | null>((sum, s) => (sum === null || s![axis] === null ? null : sum + (s![axis] as number)), 0);
        for (let i = 0; i < out.length; i++) if (i !== axis && out[i] === null) out[i] = shapes.find((s) => s![i] !== null)?.[i] ?? null;
        return [{ elemType: et, shape: out }];
      }
      case 'Split': {
        if (!xs) return n.outputs.map(() => ({ elemType: et, shape: null }));
        const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
        const total = xs[axis];
        const sizes = this.const(n.inputs[1])?.data ?? attrInts(n, 'split');
        return n.outputs.map((_, i) => {
          const s = xs.slice();
          if (sizes && sizes.length === n.outputs.length) s[axis] = sizes[i];
          else if (total !== null) { const per = Math.ceil(total / n.outputs.length); s[axis] = Math.min(per, Math.max(0, total - per * i)); }
          else s[axis] = null;
          return { elemType: et, shape: s };
        });
      }
      case 'Slice': return [{ elemType: et, shape: this.slice(n, xs) }];
      case 'Reshape': {
        const target = this.const(n.inputs[1])?.data ?? attrInts(n, 'shape');
        if (!target) return [{ elemType: et, shape: unknownRank(this.shape(n.inputs[1])?.[0]) }];
        return [{ elemType: et, shape: reshape(xs, target, attrInt(n, 'allowzero', 0) === 1) }];
      }
      case 'Flatten': {
        if (!xs) return [{ elemType: et, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', 1), xs.length + 1);
        return [{ elemType: et, shape: [product(xs.slice(0, axis)), product(xs.slice(axis))] }];
      }
      case 'Squeeze': {
        if (!xs) return [{ elemType: et, shape: null }];
        const axes = (this.opset('') >= 13 ? this.const(n.inputs[1])?.data : attrInts(n, 'axes'))?.map((a) => normAxis(a, xs.length));
        if (!axes && n.inputs[1] && this.opset('') >= 13) return [{ elemType: et, shape: null }];
        return [{ elemType: et, shape: xs.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }];
      }
      case 'Unsqueeze': {
        const axesRaw = this.opset('') >= 13 ? this.const(n.inputs[1])?.data : attrInts(n, 'axes');
        if (!xs || !axesRaw) return [{ elemType: et, shape: null }];
        const rank = xs.length + axesRaw.length;
        const axes = axesRaw.map((a) => normAxis(a, rank));
        const out: Shape = [];
        let j = 0;
        for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : xs[j++] ?? null);
        return [{ elemType: et, shape: out }];
      }
      case 'Transpose': {
        if (!xs) return [{ elemType: et, shape: null }];
        const perm = attrInts(n, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
        return [{ elemType: et, shape: perm.map((p) => xs[p] ?? null) }];
      }
      case 'Expand': {
        const target = this.const(n.inputs[1])?.data;
        return [{ elemType: et, shape: target ? broadcastAll([xs, target]) : null }];
      }
      case 'Tile': {
        const reps = this.const(n.inputs[1])?.data;
        return [{ elemType: et, shape: xs && reps ? xs.map((d, i) => (d === null ? null : d * (reps[i] ?? 1))) : xs?.map(() => null) ?? null }];
      }
      case 'Pad': {
        const pads = this.opset('') >= 11 ? this.const(n.inputs[1])?.data : attrInts(n, 'pads');
        if (!xs || !pads) return [{ elemType: et, shape: xs ? xs.map(() => null) : null }];
        const axes = this.const(n.inputs[3])?.data?.map((a) => normAxis(a, xs.length)) ?? xs.map((_, i) => i);
        const out = xs.slice();
        axes.forEach((a, i) => { if (out[a] !== null) out[a] = (out[a] as number) + pads[i] + pads[i + axes.length]; });
        return [{ elemType: et, shape: out }];
      }
      case 'MatMul': case 'MatMulInteger': case 'MatMulIntegerToFloat': case 'DynamicQuantizeMatMul': case 'FusedMatMul': {
        const type = op === 'MatMulInteger' ? DataType.INT32 : op === 'MatMul' || op === 'FusedMatMul' ? et : DataType.FLOAT;
        let b = this.shape(n.inputs[1]);
        let a = xs;
        if (op === 'FusedMatMul') {
          if (a && attrInt(n, 'transA', 0)) a = swapLast(a);
          if (b && attrInt(n, 'transB', 0)) b = swapLast(b);
        }
        return [{ elemType: type, shape: matmulShape(a, b) }];
      }
      case 'QLinearMatMul': return [{ elemType: this.get(n.inputs[7])?.elemType ?? et, shape: matmulShape(xs, this.shape(n.inputs[3])) }];
      case 'MatMulNBits': {
        const N = attrInt(n, 'N', 0);
        return [{ elemType: et, shape: xs ? [...xs.slice(0, -1), N || null] : null }];
      }
      case 'Gemm': {
        const b = this.shape(n.inputs[1]);
        if (!xs || !b || xs.length !== 2 || b.length !== 2) return [{ elemType: et, shape: null }];
        const M = attrInt(n, 'transA', 0) ? xs[1] : xs[0];
        const N = attrInt(n, 'transB', 0) ? b[0] : b[1];
        return [{ elemType: et, shape: [M, N] }];
      }
      case 'QGemm': {
        const b = this.shape(n.inputs[3]);
        if (!xs || !b) return [{ elemType: DataType.FLOAT, shape: null }];
        const M = attrInt(n, 'transA', 0) ? xs[1] : xs[0];
        const N = attrInt(n, 'transB', 0) ? b[0] : b[1];
        return [{ elemType: n.inputs[7] ? this.get(n.inputs[7])?.elemType ?? DataType.FLOAT : DataType.FLOAT, shape: [M, N] }];
      }
      case 'Einsum': return [{ elemType: et, shape: einsumShape(attrString(n, 'equation', ''), n.inputs.map((i) => this.shape(i))) }];
      case 'Conv': case 'ConvInteger': case 'FusedConv': case 'NhwcConv':
        return [{ elemType: op === 'ConvInteger' ? DataType.INT32 : et, shape: convShape(n, xs, this.shape(n.inputs[1]), op === 'NhwcConv' || attrInt(n, 'channels_last', 0) === 1) }];
      case 'QLinearConv':
        return [{ elemType: this.get(n.inputs[7])?.elemType ?? et, shape: convShape(n, xs, this.shape(n.inputs[3]), attrInt(n, 'channels_last', 0) === 1) }];
      case 'ConvTranspose': return [{ elemType: et, shape: convTransposeShape(n, xs, this.shape(n.inputs[1])) }];
      case 'MaxPool': case 'AveragePool': case 'LpPool': case 'QLinearAveragePool': {
        const s = poolShape(n, xs, attrInt(n, 'channels_last', 0) === 1);
        const type = op === 'QLinearAveragePool' ? this.get(n.inputs[4])?.elemType ?? et : et;
        return [{ elemType: type, shape: s }, { elemType: DataType.INT64, shape: s }];
      }
      case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
        return [{ elemType: et, shape: xs ? xs.map((d, i) => (i < 2 ? d : 1)) : null }];
      case 'QLinearGlobalAveragePool': {
        const last = attrInt(n, 'channels_last', 0) === 1;
        return [{ elemType: this.get(n.inputs[4])?.elemType ?? et, shape: xs ? xs.map((d, i) => (i === 0 || (last ? i === xs.length - 1 : i === 1) ? d : 1)) : null }];
      }
      case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL1':
      case 'ReduceL2': case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceSumSquare':
        return [{ elemType: et, shape: this.reduce(n, xs) }];
      case 'ArgMax': case 'ArgMin': {
        if (!xs) return [{ elemType: DataType.INT64, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
        const keep = attrInt(n, 'keepdims', 1) === 1;
        return [{ elemType: DataType.INT64, shape: keep ? xs.map((d, i) => (i === axis ? 1 : d)) : xs.filter((_, i) => i !== axis) }];
      }
      case 'LayerNormalization': case 'SimplifiedLayerNormalization': case 'SkipLayerNormalization': case 'SkipSimplifiedLayerNormalization': {
        const axis = xs ? normAxis(attrInt(n, 'axis', -1), xs.length) : 0;
        const stat = xs ? xs.map((d, i) => (i < axis ? d : 1)) : null;
        const statType = ms ? DataType.FLOAT : attrInt(n, 'stash_type', 1);
        if (op.startsWith('Skip')) return [{ elemType: et, shape: xs }, { elemType: statType, shape: stat }, { elemType: statType, shape: stat }, { elemType: et, shape: xs }];
        return [{ elemType: et, shape: xs }, { elemType: statType, shape: stat }, { elemType: statType, shape: stat }];
      }
      case 'BatchNormalization': {
        const c = xs ? [xs[1] ?? null] : null;
        return [{ elemType: et, shape: xs }, { elemType: et, shape: c }, { elemType: et, shape: c }, { elemType: et, shape: c }, { elemType: et, shape: c }];
      }
      case 'Resize': case 'Upsample': return [{ elemType: et, shape: this.resize(n, xs) }];
      case 'LSTM': case 'GRU': case 'RNN': return this.rnn(n, xs, et);
      case 'QuantizeLinear': {
        const zp = this.get(n.inputs[2]);
        return [{ elemType: zp?.elemType || attrInt(n, 'output_dtype', 0) || DataType.UINT8, shape: xs }];
      }
      case 'DequantizeLinear': return [{ elemType: this.get(n.inputs[1])?.elemType ?? DataType.FLOAT, shape: xs }];
      case 'DynamicQuantizeLinear': return [{ elemType: DataType.UINT8, shape: xs }, { elemType: DataType.FLOAT, shape: [] }, { elemType: DataType.UINT8, shape: [] }];
      case 'QLinearAdd': case 'QLinearMul':
        return [{ elemType: et, shape: broadcastAll([xs, this.shape(n.inputs[3])]) }];
      case 'QLinearSigmoid': case 'QLinearLeakyRelu': case 'QLinearSoftmax': return [{ elemType: et, shape: xs }];
      case 'QLinearConcat': {
        const shapes: Array<Shape | null> = [];
        for (let i = 2; i < n.inputs.length; i += 3) shapes.push(this.shape(n.inputs[i]));
        const first = shapes.find((s) => s);
        if (!first || shapes.some((s) => !s)) return [{ elemType: this.get(n.inputs[2])?.elemType ?? 0, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', 0), first.length);
        const out = first.slice();
        out[axis] = shapes.reduce<number | null>((s, x) => (s === null || x![axis] === null ? null : s + (x![axis] as number)), 0);
        return [{ elemType: this.get(n.inputs[2])?.elemType ?? 0, shape: out }];
      }
      case 'TopK': {
        const k = this.const(n.inputs[1])?.data[0] ?? attrInt(n, 'k', -1);
        if (!xs) return [{ elemType: et, shape: null }, { elemType: DataType.INT64, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', -1), xs.length);
        const s = xs.map((d, i) => (i === axis ? (k >= 0 ? k : null) : d));
        return [{ elemType: et, shape: s }, { elemType: DataType.INT64, shape: s }];
      }
      case 'NonZero': return [{ elemType: DataType.INT64, shape: xs ? [xs.length, null] : null }];
      case 'NonMaxSuppression': return [{ elemType: DataType.INT64, shape: [null, 3] }];
      case 'Compress': return [{ elemType: et, shape: xs ? (n.attributes.has('axis') ? xs.map((d, i) => (i === normAxis(attrInt(n, 'axis', 0), xs.length) ? null : d)) : [null]) : null }];
      case 'OneHot': {
        const depth = this.const(n.inputs[1])?.data[0] ?? null;
        if (!xs) return [{ elemType: this.get(n.inputs[2])?.elemType ?? 0, shape: null }];
        const axis = normAxis(attrInt(n, 'axis', -1), xs.length + 1);
        const out = xs.slice();
        out.splice(axis, 0, depth);
        return [{ elemType: this.get(n.inputs[2])?.elemType ?? 0, shape: out }];
      }
      case 'DepthToSpace': case 'SpaceToDepth': {
        const b = attrInt(n, 'blocksize', 1);
        if (!xs || xs.length !== 4) return [{ elemType: et, shape: null }];
        const f = (d: number | null, k: number): number | null => (d === null ? null : k > 0 ? d * k : d / -k);
        return [{ elemType: et, shape: op === 'DepthToSpace' ? [xs[0], f(xs[1], -b * b), f(xs[2], b), f(xs[3], b)] : [xs[0], f(xs[1], b * b), f(xs[2], -b), f(xs[3], -b)] }];
      }
      case 'EyeLike': return [{ elemType: attrInt(n, 'dtype', et), shape: xs }];
      case 'RandomNormalLike': case 'RandomUniformLike': return [{ elemType: attrInt(n, 'dtype', et), shape: xs }];
      case 'RandomNormal': case 'RandomUniform': return [{ elemType: attrInt(n, 'dtype', DataType.FLOAT), shape: attrInts(n, 'shape') ?? null }];
      case 'If': return this.ifNode(n);
      case 'Loop': return this.loop(n);
      case 'Scan': return this.scan(n);
      case 'Attention': {
        if (ms) {
          const hidden = this.shape(n.inputs[1])?.[1] ?? null;
          const qkv = attrInts(n, 'qkv_hidden_sizes');
          const v = qkv ? qkv[2] : hidden === null ? null : hidden / 3;
          return [{ elemType: et, shape: xs ? [xs[0], xs[1], v] : null }, { elemType: et, shape: null }];
        }
        return [{ elemType: et, shape: xs && this.shape(n.inputs[2]) ? [...xs.slice(0, -1), this.shape(n.inputs[2])!.slice(-1)[0]] : xs }];
      }
      case 'MultiHeadAttention': case 'GroupQueryAttention':
        return [{ elemType: et, shape: xs }, { elemType: et, shape: null }, { elemType: et, shape: null }];
      case 'EmbedLayerNormalization': {
        const hidden = this.shape(n.inputs[2])?.[1] ?? null;
        return [{ elemType: DataType.FLOAT, shape: xs ? [xs[0], xs[1], hidden] : null }, { elemType: DataType.INT32, shape: xs ? [xs[0]] : null }];
      }
      case 'RotaryEmbedding': return [{ elemType: et, shape: xs }];
      case 'Trilu': case 'CumSum': case 'ReverseSequence': return same();
      default: return this.unknownOp(n);
    }
  }

  slice(n: NodeInfo, xs: Shape | null): Shape | null {
    if (!xs) return null;
    const old = this.opset('') < 10;
    const starts = old ? attrInts(n, 'starts') : this.const(n.inputs[1])?.data;
    const ends = old ? attrInts(n, 'ends') : this.const(n.inputs[2])?.data;
    if (!starts || !ends) return xs.map(() => null);
    const axes = (old ? attrInts(n, 'axes') : this.const(n.inputs[3])?.data) ?? starts.map((_, i) => i);
    const steps = old ? undefined : this.const(n.inputs[4])?.data;
    const out = xs.slice();
    axes.forEach((a, i) => {
      const ax = normAxis(a, xs.length);
      const d = xs[ax];
      out[ax] = d === null ? null : sliceLen(d, starts[i], ends[i], steps?.[i] ?? 1);
    });
    return out;
  }

  reduce(n: NodeInfo, xs: Shape | null): Shape | null {
    if (!xs) return null;
    const axesAsInput = this.opset('') >= 18 || (n.opType === 'ReduceSum' && this.opset('') >= 13);
    const keep = attrInt(n, 'keepdims', 1) === 1;
    let axes = axesAsInput ? this.const(n.inputs[1])?.data : attrInts(n, 'axes');
    if (axesAsInput && n.inputs[1] && !axes) return keep ? xs.map(() => null) : null;
    if (!axes || axes.length === 0) {
      if (attrInt(n, 'noop_with_empty_axes', 0) === 1) return xs;
      axes = xs.map((_, i) => i);
    }
    const ax = axes.map((a) => normAxis(a, xs.length));
    return keep ? xs.map((d, i) => (ax.includes(i) ? 1 : d)) : xs.filter((_, i) => !ax.includes(i));
  }

  resize(n: NodeInfo, xs: Shape | null): Shape | null {
    if (!xs) return null;
    let scales: number[] | undefined, sizes: number[] | undefined;
    if (n.opType === 'Upsample' || this.opset('') < 11) scales = this.const(n.inputs[1])?.data ?? attrFloats(n, 'scales');
    else {
      scales = this.const(n.inputs[2])?.data;
      sizes = this.const(n.inputs[3])?.data;
      if (scales && scales.length === 0) scales = undefined;
    }
    const axes = attrInts(n, 'axes')?.map((a) => normAxis(a, xs.length)) ?? xs.map((_, i) => i);
    const out = xs.slice();
    if (sizes && sizes.length) axes.forEach((a, i) => { out[a] = sizes![i] ?? out[a]; });
    else if (scales && scales.length) axes.forEach((a, i) => { const d = xs[a]; out[a] = d === null ? null : Math.floor(d * (scales![i] ?? 1)); });
    else return xs.map(() => null);
    return out;
  }

  rnn(n: NodeInfo, xs: Shape | null, et: number): Out {
    const gates = n.opType === 'LSTM' ? 4 : n.opType === 'GRU' ? 3 : 1;
    const w = this.shape(n.inputs[1]);
    const hidden = attrInt(n, 'hidden_size', 0) || (w && w[1] !== null ? (w[1] as number) / gates : null);
    const dirs = attrString(n, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
    const batchFirst = attrInt(n, 'layout', 0) === 1;
    if (!xs || xs.length !== 3) return n.outputs.map(() => ({ elemType: et, shape: null }));
    const [seq, batch] = batchFirst ? [xs[1], xs[0]] : [xs[0], xs[1]];
    const y: Shape = batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
    const h: Shape = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
    return [{ elemType: et, shape: y }, { elemType: et, shape: h }, { elemType: et, shape: h }];
  }

  ifNode(n: NodeInfo): Out {
    const branches: GraphInfo[] = [];
    for (const key of ['then_branch', 'else_branch']) {
      const a = n.attributes.get(key);
      if (a?.kind === 'graph') { this.graph(a.value, false); branches.push(a.value); }
    }
    const cond = this.const(n.inputs[0]);
    if (cond && branches.length === 2) {
      const g = branches[cond.data[0] ? 0 : 1];
      return g.outputs.map((o) => this.get(o.name) ?? { elemType: o.elemType, shape: o.shape });
    }
    return n.outputs.map((_, i) => {
      const vs = branches.map((g) => (g.outputs[i] ? this.get(g.outputs[i].name) : undefined));
      return mergeTypes(vs);
    });
  }

  loop(n: NodeInfo): Out {
    const a = n.attributes.get('body');
    if (a?.kind !== 'graph') return [];
    const body = a.value;
    const carried = n.inputs.slice(2);
    body.inputs.forEach((inp, i) => {
      const t = i === 0 ? { elemType: DataType.INT64, shape: [] } : i === 1 ? { elemType: DataType.BOOL, shape: [] } : this.get(carried[i - 2]);
      this.values.set(inp.name, t ?? { elemType: inp.elemType, shape: inp.shape });
    });
    this.graph(body, false);
    const trip = this.const(n.inputs[0])?.data[0] ?? null;
    return n.outputs.map((_, i) => {
      const o = body.outputs[i + 1];
      const v = o ? this.get(o.name) : undefined;
      if (i < carried.length) return v;
      return v ? { elemType: v.elemType, shape: v.shape ? [trip, ...v.shape] : null } : undefined;
    });
  }

  scan(n: NodeInfo): Out {
    const a = n.attributes.get('body');
    if (a?.kind !== 'graph') return [];
    const body = a.value;
    const nScan = attrInt(n, 'num_scan_inputs', 0);
    const nState = n.inputs.length - nScan;
    let len: number | null = null;
    body.inputs.forEach((inp, i) => {
      const v = this.get(n.inputs[i]);
      if (i < nState || !v?.shape) { this.values.set(inp.name, v ?? { elemType: inp.elemType, shape: inp.shape }); return; }
      len = (v.shape[0] as number | null) ?? null;
      this.values.set(inp.name, { elemType: v.elemType, shape: v.shape.slice(1) });
    });
    this.graph(body, false);
    return n.outputs.map((_, i) => {
      const v = body.outputs[i] ? this.get(body.outputs[i].name) : undefined;
      if (i < nState || !v) return v;
      return { elemType: v.elemType, shape: v.shape ? [len, ...v.shape] : null };
    });
  }

  /** Evaluates small constant computations (shape arithmetic) when every input is known. */
  fold(n: NodeInfo): void {
    const out = n.outputs[0];
    if (!out || this.constants.has(out)) return;
    const op = n.opType;
    const c = (i: number) => this.const(n.inputs[i]);
    const set = (v: ConstTensor | undefined) => {
      if (v && v.data.length <= MAX_CONST_ELEMENTS && v.data.length === constElements(v.dims)) this.constants.set(out, v);
    };
    if (op === 'Shape') {
      const xs = this.shape(n.inputs[0]);
      if (!xs || xs.some((d) => typeof d !== 'number')) return;
      const [s, e] = shapeRange(n, xs.length);
      const data = (xs as number[]).slice(s, e);
      set({ elemType: DataType.INT64, dims: [data.length], data });
      return;
    }
    if (op === 'Size') {
      const xs = this.shape(n.inputs[0]);
      if (xs && xs.every((d) => typeof d === 'number')) set({ elemType: DataType.INT64, dims: [], data: [product(xs) as number] });
      return;
    }
    if (op === 'ConstantOfShape') {
      const s = c(0);
      const v = attrTensor(n, 'value');
      const vc = v ? decodeTensor(v) : undefined;
      if (!s || constElements(s.data) > MAX_CONST_ELEMENTS) return;
      set({ elemType: v?.dataType ?? DataType.FLOAT, dims: s.data.slice(), data: new Array(constElements(s.data)).fill(vc?.data[0] ?? 0) });
      return;
    }
    const ins = n.inputs.filter(Boolean).map((i) => this.const(i));
    if (op !== 'Range' && (ins.length === 0 || ins.some((x) => !x))) return;
    const a = ins[0]!;
    switch (op) {
      case 'Identity': set(a); break;
      case 'Cast': {
        const to = attrInt(n, 'to', a.elemType);
        set({ elemType: to, dims: a.dims, data: isIntegerType(to) ? a.data.map((v) => (to === DataType.BOOL ? (v ? 1 : 0) : Math.trunc(v))) : a.data.slice() });
        break;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Max': case 'Min': case 'Mod':
      case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual': case 'And': case 'Or':
        set(binaryConst(op, a, ins[1]!)); break;
      case 'Neg': set({ ...a, data: a.data.map((v) => -v) }); break;
      case 'Abs': set({ ...a, data: a.data.map(Math.abs) }); break;
      case 'Sqrt': set({ ...a, data: a.data.map(Math.sqrt) }); break;
      case 'Floor': set({ ...a, data: a.data.map(Math.floor) }); break;
      case 'Ceil': set({ ...a, data: a.data.map(Math.ceil) }); break;
      case 'Not': set({ ...a, data: a.data.map((v) => (v ? 0 : 1)) }); break;
      case 'Where': {
        const [cnd, x, y] = ins as ConstTensor[];
        const shape = broadcastAll([cnd.dims, x.dims, y.dims]) as number[];
        const data = indexBroadcast(shape, [cnd, x, y], (vals) => (vals[0] ? vals[1] : vals[2]));
        set({ elemType: x.elemType, dims: shape, data });
        break;
      }
      case 'Gather': {
        const idx = ins[1]!;
        const axis = normAxis(attrInt(n, 'axis', 0), a.dims.length);
        const outer = constElements(a.dims.slice(0, axis));
        const inner = constElements(a.dims.slice(axis + 1));
        const dimA = a.dims[axis];
        if (outer * idx.data.length * inner > MAX_CONST_ELEMENTS) return;
        const data: number[] = [];
        for (let o = 0; o < outer; o++) for (const ix of idx.data) {
          const j = ix < 0 ? ix + dimA : ix;
          for (let k = 0; k < inner; k++) data.push(a.data[(o * dimA + j) * inner + k]);
        }
        set({ elemType: a.elemType, dims: [...a.dims.slice(0, axis), ...idx.dims, ...a.dims.slice(axis + 1)], data });
        break;
      }
      case 'Concat': {
        const parts = ins as ConstTensor[];
        if (parts.some((p) => p.dims.length !== 1 && p.dims.length !== a.dims.length)) return;
        if (a.dims.length > 1 && normAxis(attrInt(n, 'axis', 0), a.dims.length) !== 0) return;
        const data = parts.flatMap((p) => p.data);
        const dims = a.dims.slice();
        dims[0] = parts.reduce((s, p) => s + (p.dims[0] ?? 1), 0);
        set({ elemType: a.elemType, dims: a.dims.length ? dims : [data.length], data });
        break;
      }
      case 'Unsqueeze': case 'Squeeze': case 'Reshape': case 'Flatten': {
        const s = this.values.get(out)?.shape;
        if (s && s.every((d) => typeof d === 'number')) set({ elemType: a.elemType, dims: s as number[], data: a.data });
        break;
      }
      case 'Slice': {
        if (a.dims.length !== 1) return;
        const old = this.opset('') < 10;
        const st = old ? attrInts(n, 'starts')?.[0] : ins[1]?.data[0];
        const en = old ? attrInts(n, 'ends')?.[0] : ins[2]?.data[0];
        const step = old ? 1 : (ins[4]?.data[0] ?? 1);
        if (st === undefined || en === undefined) return;
        const data = sliceValues(a.data, st, en, step);
        set({ elemType: a.elemType, dims: [data.length], data });
        break;
      }
      case 'Range': {
        const [s, l, d] = [0, 1, 2].map((i) => this.const(n.inputs[i])?.data[0]);
        if (s === undefined || l === undefined || !d) return;
        const len = Math.max(0, Math.ceil((l - s) / d));
        if (len > MAX_CONST_ELEMENTS) return;
        set({ elemType: this.get(n.inputs[0])?.elemType ?? DataType.INT64, dims: [len], data: Array.from({ length: len }, (_, i) => s + i * d) });
        break;
      }
      case 'ReduceProd': case 'ReduceSum':
        if (a.dims.length <= 1 && attrInt(n, 'keepdims', 1) === 0) set({ elemType: a.elemType, dims: [], data: [a.data.reduce((p, v) => (op === 'ReduceProd' ? p * v : p + v), op === 'ReduceProd' ? 1 : 0)] });
        break;
      default: break;
    }
  }
}

const UNARY = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'Elu', 'Erf',
  'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'InstanceNormalization', 'LeakyRelu', 'Log',
  'LogSoftmax', 'LpNormalization', 'LRN', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Reciprocal', 'Round',
  'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh',
  'ThresholdedRelu', 'Not', 'BitwiseNot', 'GroupNormalization', 'Swish',
]);
const MS_UNARY = new Set(['FastGelu', 'BiasGelu', 'Gelu', 'QuickGelu', 'BiasAdd', 'BiasSoftmax', 'Relu', 'Sigmoid', 'Tanh']);
const BOOL_UNARY = new Set(['IsNaN', 'IsInf']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Mod', 'BitShift', 'PRelu', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

/** The ops inference understands (for documentation and tests). */
export const SUPPORTED_UNARY = UNARY;

function attrInt(n: NodeInfo, name: string, dflt: number): number {
  const a = n.attributes.get(name);
  return a?.kind === 'int' ? a.value : dflt;
}
function attrInts(n: NodeInfo, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'ints' ? a.value : undefined;
}
function attrFloats(n: NodeInfo, name: string): number[] | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'floats' ? a.value : undefined;
}
function attrString(n: NodeInfo, name: string, dflt: string): string {
  const a = n.attributes.get(name);
  return a?.kind === 'string' ? a.value : dflt;
}
function attrTensor(n: NodeInfo, name: string): TensorInfo | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'tensor' ? a.value : undefined;
}

/** Constant's non-tensor forms: value_int(s), value_float(s). */
function constantAttr(n: NodeInfo): ConstTensor | undefined {
  for (const [k, a] of n.attributes) {
    if (k === 'value_int' && a.kind === 'int') return { elemType: DataType.INT64, dims: [], data: [a.value] };
    if (k === 'value_float' && a.kind === 'float') return { elemType: DataType.FLOAT, dims: [], data: [a.value] };
    if (k === 'value_ints' && a.kind === 'ints') return { elemType: DataType.INT64, dims: [a.value.length], data: a.value.slice() };
    if (k === 'value_floats' && a.kind === 'floats') return { elemType: DataType.FLOAT, dims: [a.value.length], data: a.value.slice() };
  }
  return undefined;
}

/** Dims that are not sizes (negative, fractional, NaN, from a corrupt or inconsistent model) become unknown. */
function sane(shape: Dim[] | null): Dim[] | null {
  if (!shape) return null;
  if (shape.length > 64) return null;
  return shape.map((d) => (typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0) ? null : d));
}

/** A shape of `rank` unknown dims (a 1-D shape tensor of known length); null for absurd ranks. */
function unknownRank(rank: number | null | undefined): Shape | null {
  return typeof rank === 'number' && rank >= 0 && rank <= 64 ? new Array(rank).fill(null) : null;
}

/**
 * An axis in [0, rank), or NaN for one outside [-rank, rank): a corrupt axis (2^31) must name no
 * dimension. Writing `out[2 ** 31 - 1]` would grow the shape to 2^31 entries and hang every loop over it.
 */
function normAxis(a: number, rank: number): number {
  const ax = a < 0 ? a + rank : a;
  return Number.isInteger(ax) && ax >= 0 && ax < rank ? ax : NaN;
}

function product(s: Shape): number | null {
  let p = 1;
  for (const d of s) { if (d === null) return null; p *= d; }
  return p;
}

function swapLast(s: Shape): Shape {
  if (s.length < 2) return s;
  const o = s.slice();
  [o[o.length - 2], o[o.length - 1]] = [o[o.length - 1], o[o.length - 2]];
  return o;
}

function shapeRange(n: NodeInfo, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(attrInt(n, 'start', 0)), clamp(attrInt(n, 'end', rank))];
}

/** Numpy-style broadcasting; an unknown dim against 1 stays unknown, against k becomes k. */
export function broadcastAll(shapes: Array<Shape | null | undefined>): Shape | null {
  if (shapes.some((s) => !s)) return null;
  const rank = Math.max(0, ...shapes.map((s) => s!.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: number | null = 1;
    let unknown = false;
    for (const s of shapes) {
      const x = s![s!.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (x === null) { unknown = true; continue; }
      d = d === 1 ? x : Math.max(d as number, x);
    }
    out.push(unknown && d === 1 ? null : d);
  }
  return out;
}

function matmulShape(a: Shape | null, b: Shape | null): Shape | null {
  if (!a || !b || !a.length || !b.length) return null;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastAll([a2.slice(0, -2), b2.slice(0, -2)]) ?? [];
  const out: Shape = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

function reshape(xs: Shape | null, target: number[], allowZero: boolean): Shape {
  const out: Shape = target.map((d, i) => (d === 0 && !allowZero ? xs?.[i] ?? null : d));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const total = xs ? product(xs) : null;
    const rest = product(out.filter((_, i) => i !== neg));
    out[neg] = total !== null && rest ? total / rest : null;
  }
  return out;
}

/** Length of a Python-style slice of a dim of size d, computed (a corrupt dim of 1e15 must not loop). */
function sliceLen(d: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) { s = clamp(s, 0, d); e = clamp(e, 0, d); return Math.max(0, Math.ceil((e - s) / step)); }
  if (step < 0) { s = clamp(s, -1, d - 1); e = clamp(e, -1, d - 1); return Math.max(0, Math.ceil((s - e) / -step)); }
  return 0;
}

/** Python-style slice of `data` (or of indices 0..len-1 when data is null). */
function sliceValues(data: number[] | null, start: number, end: number, step: number, len = data?.length ?? 0): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + len : start;
  let e = end < 0 ? end + len : end;
  const out: number[] = [];
  if (step > 0) {
    s = clamp(s, 0, len); e = clamp(e, 0, len);
    for (let i = s; i < e; i += step) out.push(data ? data[i] : i);
  } else if (step < 0) {
    s = clamp(s, -1, len - 1); e = clamp(e, -1, len - 1);
    for (let i = s; i > e; i += step) out.push(data ? data[i] : i);
  }
  return out;
}

function convSpatial(n: NodeInfo, inDims: Shape, kernel: Shape): Shape {
  const k = inDims.length;
  const strides = attrInts(n, 'strides') ?? new Array(k).fill(1);
  const dil = attrInts(n, 'dilations') ?? new Array(k).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array(2 * k).fill(0);
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  return inDims.map((d, i) => {
    const kk = kernel[i];
    if (d === null || kk === null) return null;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    const eff = (kk - 1) * dil[i] + 1;
    const p = auto === 'VALID' ? 0 : pads[i] + pads[i + k];
    const v = (d + p - eff) / strides[i];
    return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  });
}

function convShape(n: NodeInfo, xs: Shape | null, ws: Shape | null, channelsLast: boolean): Shape | null {
  if (!xs || !ws) return null;
  const kernel = attrInts(n, 'kernel_shape') ?? ws.slice(2);
  if (channelsLast) return [xs[0], ...convSpatial(n, xs.slice(1, -1), kernel), ws[0]];
  return [xs[0], ws[0], ...convSpatial(n, xs.slice(2), kernel)];
}

function convTransposeShape(n: NodeInfo, xs: Shape | null, ws: Shape | null): Shape | null {
  if (!xs || !ws) return null;
  const group = attrInt(n, 'group', 1);
  const outC = ws[1] === null ? null : (ws[1] as number) * group;
  const explicit = attrInts(n, 'output_shape');
  const spatial = xs.slice(2);
  const k = spatial.length;
  if (explicit) return [xs[0], outC, ...explicit.slice(-k)];
  const kernel = attrInts(n, 'kernel_shape') ?? ws.slice(2);
  const strides = attrInts(n, 'strides') ?? new Array(k).fill(1);
  const dil = attrInts(n, 'dilations') ?? new Array(k).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array(2 * k).fill(0);
  const outPad = attrInts(n, 'output_padding') ?? new Array(k).fill(0);
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  return [xs[0], outC, ...spatial.map((d, i) => {
    const kk = kernel[i];
    if (d === null || kk === null) return null;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return d * strides[i];
    return strides[i] * (d - 1) + outPad[i] + (kk - 1) * dil[i] + 1 - pads[i] - pads[i + k];
  })];
}

function poolShape(n: NodeInfo, xs: Shape | null, channelsLast: boolean): Shape | null {
  if (!xs) return null;
  const kernel = attrInts(n, 'kernel_shape');
  if (!kernel) return xs.map(() => null);
  if (channelsLast) return [xs[0], ...convSpatial(n, xs.slice(1, -1), kernel), xs[xs.length - 1]];
  return [xs[0], xs[1], ...convSpatial(n, xs.slice(2), kernel)];
}

/** Einsum output shape from its equation (explicit `->` or the implicit alphabetical form). */
export function einsumShape(eq: string, shapes: Array<Shape | null>): Shape | null {
  const letters = einsumLetters(eq, shapes);
  if (!letters) return null;
  return letters.output.map((l) => letters.sizes.get(l) ?? null);
}

export function einsumLetters(eq: string, shapes: Array<Shape | null>): { sizes: Map<string, number | null>; output: string[] } | undefined {
  const [lhs, rhs] = eq.replace(/\s/g, '').split('->');
  const terms = lhs.split(',');
  const sizes = new Map<string, number | null>();
  const counts = new Map<string, number>();
  let ellipsis: Shape = [];
  for (let t = 0; t < terms.length; t++) {
    const s = shapes[t];
    if (!s) return undefined;
    const term = terms[t];
    const [pre, post] = term.includes('...') ? term.split('...') : [term, ''];
    const nEll = s.length - pre.length - post.length;
    if (term.includes('...')) ellipsis = broadcastAll([ellipsis, s.slice(pre.length, pre.length + nEll)]) ?? [];
    const named = [...pre.split('').map((l, i) => [l, s[i]] as const), ...post.split('').map((l, i) => [l, s[pre.length + nEll + i]] as const)];
    for (const [l, d] of named) {
      counts.set(l, (counts.get(l) ?? 0) + 1);
      const prev = sizes.get(l);
      sizes.set(l, prev === undefined || prev === 1 || prev === null ? d ?? null : prev);
    }
  }
  let output: string[];
  if (rhs !== undefined) output = rhs.replace('...', '').split('');
  else output = [...counts.entries()].filter(([, c]) => c === 1).map(([l]) => l).sort();
  const ellKeys = ellipsis.map((_, i) => `…${i}`);
  ellipsis.forEach((d, i) => sizes.set(ellKeys[i], d));
  if (rhs === undefined || rhs.includes('...')) {
    const at = rhs?.indexOf('...') ?? 0;
    output.splice(at, 0, ...ellKeys);
  }
  return { sizes, output };
}

function mergeTypes(vs: Array<ValueType | undefined>): ValueType | undefined {
  const known = vs.filter((v): v is ValueType => !!v);
  if (!known.length) return undefined;
  const first = known[0];
  if (known.some((v) => !v.shape || v.shape.length !== first.shape?.length)) return { elemType: first.elemType, shape: null };
  return { elemType: first.elemType, shape: first.shape!.map((d, i) => (known.every((v) => v.shape![i] === d) ? d : null)) };
}

function binaryConst(op: string, a: ConstTensor, b: ConstTensor): ConstTensor | undefined {
  const shape = broadcastAll([a.dims, b.dims]) as number[] | null;
  if (!shape || shape.some((d) => d === null)) return undefined;
  const int = isIntegerType(a.elemType);
  const bool = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or'].includes(op);
  const f = (x: number, y: number): number => {
    switch (op) {
      case 'Add': return x + y;
      case 'Sub': return x - y;
      case 'Mul': return x * y;
      case 'Div': return int ? Math.trunc(x / y) : x / y;
      case 'Pow': return x ** y;
      case 'Max': return Math.max(x, y);
      case 'Min': return Math.min(x, y);
      case 'Mod': return x % y;
      case 'Equal': return x === y ? 1 : 0;
      case 'Less': return x < y ? 1 : 0;
      case 'Greater': return x > y ? 1 : 0;
      case 'LessOrEqual': return x <= y ? 1 : 0;
      case 'GreaterOrEqual': return x >= y ? 1 : 0;
      case 'And': return x && y ? 1 : 0;
      default: return x || y ? 1 : 0;
    }
  };
  return { elemType: bool ? DataType.BOOL : a.elemType, dims: shape, data: indexBroadcast(shape, [a, b], (v) => f(v[0], v[1])) };
}

function indexBroadcast(shape: number[], ts: ConstTensor[], f: (vals: number[]) => number): number[] {
  const total = constElements(shape);
  if (total > MAX_CONST_ELEMENTS) return [];
  const out: number[] = [];
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < total; k++) {
    const vals = ts.map((t) => {
      let off = 0;
      const r = t.dims.length;
      for (let i = 0; i < r; i++) {
        const d = t.dims[i];
        off = off * d + (d === 1 ? 0 : idx[shape.length - r + i]);
      }
      return t.data[off];
    });
    out.push(f(vals));
    for (let i = shape.length - 1; i >= 0; i--) { if (++idx[i] < shape[i]) break; idx[i] = 0; }
  }
  return out;
}

/** Infers every value's type and shape, subgraphs included, at the given dims. */
export function inferShapes(model: ModelInfo, dims: Record<string, number> = {}): ShapeInference {
  const inf = new Inferrer(model, dims);
  inf.graph(model.graph, true);
  return { values: inf.values, constants: inf.constants, unknownOps: [...inf.unknown].sort(), dimsUsed: inf.dimsUsed, weights: inf.weights };
}

/** Every node of the model's graphs (main graph first, then subgraphs), for callers that count. */
export function countNodes(model: ModelInfo): number {
  let n = 0;
  for (const g of allGraphs(model.graph)) n += g.nodes.length;
  return n;
}
