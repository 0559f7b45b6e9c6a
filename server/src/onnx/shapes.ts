/**
 * Shape and type inference over a ModelInfo, pure and without weights: every value's element type and
 * shape, with the model's symbolic dims resolved to numbers, and the small constants that shape
 * arithmetic computes (Shape → Gather → Concat → Reshape, Range, ConstantOfShape...) evaluated so that
 * Reshape/Expand/Slice/Resize targets are known.
 *
 * Symbolic dims of the graph inputs are resolved in this order (the result says which value it used):
 *  1. the value given for that name in `dims` (settings, `inference-lens.json`, `--dims`);
 *  2. a dim written as an expression of others (`past_sequence_length + sequence_length`): computed from them;
 *  3. the defaults of dims.ts: batch-like names → 1, KV-cache past lengths → 0, sequence-like names →
 *     128 (DEFAULT_SEQUENCE), else by position (first dim 1, last two of a rank-4 input 224, else 1).
 * Unnamed dims are reported, and set, as `<input>[<axis>]`. A scalar integer input named in `dims`, or
 * a sample rate (`sr`) defaulting to 16000, is a known value, so `If (sr == 16000)` folds.
 * Before the defaults of 3., dims the model's own metadata_props give (hints.ts: `imgsz`, `sample_rate`,
 * `batch`); `dimSources` says where each value came from.
 * When a default makes a node's shape degenerate, inferShapes searches a bounded list of lengths.
 *
 * Nodes are visited in execution order (order.ts), not file order. An `If` whose condition folds takes
 * its outputs from the branch that runs; the other is inferred quietly (no degenerate shapes or unknown
 * ops reported from it: it may be invalid at these dims).
 *
 * An op with no inference rule is recorded (`unknownOps`, as `domain.Op`) and its outputs get unknown
 * shapes; inference goes on with the rest of the graph.
 */
import { allGraphs, DataType, Dim, GraphInfo, ModelInfo, NodeInfo, TensorInfo } from './model';
import { ConstTensor, constElements, decodeTensor, isIntegerType, MAX_CONST_ELEMENTS } from './constants';
import { orderedNodes } from './order';
import { defaultDim, dimExpression, evalDimExpression, FITTING_LENGTHS, isBatchLike } from './dims';
import { InferContext, inferenceFor, Out } from './opShapes';
import { dimSources, imageAxes, metadataDims } from './hints';
import {
  attrInt, attrInts, attrFloats, attrString, attrTensor, broadcastAll, mergeTypes, normAxis, product, sane, Shape, shapeRange,
  sliceLen, sliceValues,
} from './shapeMath';

export { broadcastAll, einsumLetters, einsumShape } from './shapeMath';
export { SUPPORTED_UNARY } from './opShapes';

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
  /** `If` nodes whose condition is known at analysis time: the branch that runs, and why. */
  branches: Map<NodeInfo, BranchChoice>;
  /** Nodes whose shapes are degenerate at the dims used (after the search for fitting defaults). */
  degenerate: Degenerate[];
  /** Where each dim used came from (hints.ts dimSources): set, metadata_props, fitted, expression, default. */
  dimSources?: Record<string, string>;
  /** Dims whose default was replaced to fit the model, and why (dim name → sentence). */
  dimNotes: Record<string, string>;
}

/** A node whose shape makes no sense at the dims used. */
export interface Degenerate {
  node: NodeInfo;
  message: string;
}

export interface BranchChoice {
  branch: 'then_branch' | 'else_branch';
  reason: string;
}

/** Scalar integer inputs whose value is conventional: a sample rate (Silero VAD, audio front-ends). */
const SAMPLE_RATE = /^(sr|sample_?rate|sampling_?rate)$/i;
export const DEFAULT_SAMPLE_RATE = 16000;

export { DEFAULT_BATCH, DEFAULT_SEQUENCE, DEFAULT_SPATIAL, defaultDim } from './dims';

const CONV_LIKE = new Set(['Conv', 'ConvInteger', 'QLinearConv', 'FusedConv', 'MaxPool', 'AveragePool', 'LpPool']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Mod', 'Equal', 'Less', 'Greater',
  'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Where']);

class Inferrer implements InferContext {
  values = new Map<string, ValueType>();
  constants = new Map<string, ConstTensor>();
  weights = new Map<string, TensorInfo>();
  unknown = new Set<string>();
  dimsUsed: Record<string, number> = {};
  branches = new Map<NodeInfo, BranchChoice>();
  degenerate: Degenerate[] = [];
  /** For constants computed from assumed input values (sr): those inputs' names. */
  assumedFrom = new Map<string, Set<string>>();
  /** > 0 inside an `If` branch that does not run: its shapes are kept, its oddities are not reported. */
  notRunning = 0;

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
    // A scalar integer input named in dims (or a sample rate) is a known value: If conditions on it fold.
    if (isIntegerType(elemType) && (shape.length === 0 || (shape.length === 1 && shape[0] === 1))) {
      const v = this.dims[name] ?? (SAMPLE_RATE.test(name) ? DEFAULT_SAMPLE_RATE : undefined);
      if (v !== undefined) {
        this.dimsUsed[name] = v;
        this.constants.set(name, { elemType, dims: shape as number[], data: [v] });
        this.assumedFrom.set(name, new Set([name]));
      }
    }
    const resolve = (key: string, param: string | null, axis: number): number => {
      const terms = param === null ? undefined : dimExpression(param);
      // An expression of other dims (`past + seq`) follows them, so the two inputs stay consistent.
      const v = this.dims[key] ?? this.dimsUsed[key] ??
        (terms ? evalDimExpression(terms, (t) => resolve(t, t, axis)) : defaultDim(param, axis, shape.length));
      this.dimsUsed[key] = v;
      return v;
    };
    const out = shape.map((d, axis) => {
      if (typeof d === 'number' && d >= 0) return d;
      return typeof d === 'string' ? resolve(d, d, axis) : resolve(`${name}[${axis}]`, null, axis);
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
    for (const n of orderedNodes(g)) this.node(n); // producers first, whatever the file's order
  }

  node(n: NodeInfo): void {
    let outs: Out;
    try {
      outs = this.infer(n);
    } catch {
      outs = []; // a malformed attribute or input in a corrupt model: unknown shapes, keep going
    }
    this.checkDegenerate(n, outs);
    n.outputs.forEach((name, i) => {
      if (!name) return;
      const v = outs[i];
      this.values.set(name, v ? { elemType: v.elemType, shape: sane(v.shape) } : { elemType: 0, shape: null });
    });
    if (n.domain === '' || n.domain === 'ai.onnx') {
      try {
        this.fold(n);
      } catch { /* not foldable */ }
      const out = n.outputs[0];
      if (out && this.constants.has(out)) {
        const from = new Set(n.inputs.flatMap((i) => [...(this.assumedFrom.get(i) ?? [])]));
        if (from.size) this.assumedFrom.set(out, from);
      }
    }
  }

  /**
   * A negative or fractional output dim (or a zero one from a convolution or pooling window) from
   * inputs with no zero dim means the dims used do not fit the model (a window shorter than a
   * convolution kernel, a Reshape that does not divide).
   */
  checkDegenerate(n: NodeInfo, outs: Out): void {
    if (this.notRunning) return; // a branch that does not run may well not fit the dims that make the other run
    // Empty tensors are legitimate elsewhere (an empty roi, a past of length 0): zero only counts for windows.
    const min = CONV_LIKE.has(n.opType) ? 1 : 0;
    const bad = outs.findIndex((o) => o?.shape?.some((d) => typeof d === 'number' && !(Number.isSafeInteger(d) && d >= min)));
    const inputs = n.inputs.filter(Boolean).map((i) => this.shape(i));
    if (bad < 0) { this.checkBroadcast(n, inputs); this.checkContraction(n, inputs); return; }
    if (!inputs.length || inputs.some((s) => s?.some((d) => d === 0))) return;
    const first = inputs[0];
    const w = this.shape(n.inputs[1]);
    const kernel = attrInts(n, 'kernel_shape') ?? w?.slice(2);
    const why = CONV_LIKE.has(n.opType) && first && kernel
      ? `its kernel [${kernel.join(', ')}] is larger than its input [${first.slice(2).join(', ')}] (padded by ${JSON.stringify(attrInts(n, 'pads') ?? 0)})`
      : `its output would be [${(outs[bad]!.shape ?? []).map((d) => (d === null ? '?' : String(d))).join(', ')}] from inputs ${inputs.map((s) => (s ? `[${s.map((d) => d ?? '?').join(', ')}]` : '?')).join(', ')}`;
    this.degenerate.push({ node: n, message: `${n.opType}${n.name ? ` '${n.name}'` : ''}: ${why}` });
  }

  /**
   * Elementwise inputs whose dims differ on an axis where neither is 1 do not broadcast: two dims that
   * must be equal were given different values (a mask of 128 against past + seq = 256). The runtime
   * would refuse the inputs; say so before it runs.
   */
  checkBroadcast(n: NodeInfo, inputs: Array<Shape | null>): void {
    if (n.domain !== '' || !ELEMENTWISE.has(n.opType) || inputs.length < 2 || inputs.some((s) => !s)) return;
    const rank = Math.max(...inputs.map((s) => s!.length));
    for (let k = 1; k <= rank; k++) {
      const dims = new Set(inputs.map((s) => s![s!.length - k]).filter((d): d is number => typeof d === 'number' && d !== 1));
      if (dims.size < 2) continue;
      const shapes = inputs.map((s) => `[${s!.map((d) => d ?? '?').join(', ')}]`).join(' and ');
      this.degenerate.push({
        node: n,
        message: `${n.opType}${n.name ? ` '${n.name}'` : ''}: inputs ${shapes} do not broadcast (axis ${rank - k}: ${[...dims].join(' vs ')}): two dims that must be equal have different values`,
      });
      return;
    }
  }

  /**
   * A MatMul or Gemm whose two contracted dims differ (a Flatten of a 224 × 224 feature map into a weight
   * trained on 28 × 28): the weight's shape fixes a dim upstream, and the dims used do not give it.
   */
  checkContraction(n: NodeInfo, inputs: Array<Shape | null>): void {
    if (n.domain !== '' || (n.opType !== 'MatMul' && n.opType !== 'Gemm')) return;
    const [a, b] = inputs;
    if (!a || !b || !a.length || !b.length) return;
    const gemm = n.opType === 'Gemm';
    const ka = gemm ? a[attrInt(n, 'transA', 0) ? 0 : 1] : a[a.length - 1];
    const kb = gemm ? b[attrInt(n, 'transB', 0) ? 1 : 0] : b[b.length >= 2 ? b.length - 2 : 0];
    if (typeof ka !== 'number' || typeof kb !== 'number' || ka === kb) return;
    this.degenerate.push({
      node: n,
      message: `${n.opType}${n.name ? ` '${n.name}'` : ''}: its inputs [${a.map((d) => d ?? '?').join(', ')}] and [${b.map((d) => d ?? '?').join(', ')}] contract ${ka} against ${kb}: the second fixes a dim upstream that the dims used do not give`,
    });
  }

  unknownOp(n: NodeInfo): Out {
    if (!this.notRunning) this.unknown.add(n.domain ? `${n.domain}.${n.opType}` : n.opType);
    return [];
  }

  /** Inference for one node: its outputs' types and shapes, from the op's entry in opShapes.ts. */
  infer(n: NodeInfo): Out {
    const fn = inferenceFor(n.domain, n.opType);
    if (!fn) return this.unknownOp(n);
    const x = this.get(n.inputs[0]);
    const xs = this.shape(n.inputs[0]);
    const et = x?.elemType ?? 0;
    const same = (): Out => n.outputs.map(() => (x ? { elemType: et, shape: xs } : undefined));
    const ms = n.domain === 'com.microsoft' || n.domain === 'com.ms.internal.nhwc';
    return fn({ n, x, xs, et, ms, op: n.opType, same }, this);
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
    const keys = ['then_branch', 'else_branch'] as const;
    for (const key of keys) {
      const a = n.attributes.get(key);
      if (a?.kind === 'graph') branches.push(a.value);
    }
    const cond = this.const(n.inputs[0]);
    if (cond && cond.data.length === 1 && branches.length === 2) {
      // The branch that runs gives the outputs. The other is inferred too (its nodes get shapes in the
      // text view), quietly: it may not even be valid at these dims.
      const taken = cond.data[0] ? 0 : 1;
      const from = [...(this.assumedFrom.get(n.inputs[0]) ?? [])].map((k) => `${k}=${this.dimsUsed[k]}`);
      if (!this.notRunning) {
        this.branches.set(n, {
          branch: keys[taken],
          reason: `condition '${n.inputs[0]}' is ${taken === 0 ? 'true' : 'false'} ${from.length ? `given ${from.join(', ')}` : 'at the dims used'}`,
        });
      }
      const g = branches[taken];
      this.graph(g, false);
      this.notRunning++;
      try {
        this.graph(branches[1 - taken], false);
      } finally {
        this.notRunning--;
      }
      return g.outputs.map((o) => this.get(o.name) ?? { elemType: o.elemType, shape: o.shape });
    }
    for (const g of branches) this.graph(g, false);
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
        const old = this.opset('') < 10;
        const starts = old ? attrInts(n, 'starts') : this.const(n.inputs[1])?.data;
        const ends = old ? attrInts(n, 'ends') : this.const(n.inputs[2])?.data;
        if (!starts || !ends) return;
        const axes = (old ? attrInts(n, 'axes') : this.const(n.inputs[3])?.data) ?? starts.map((_, i) => i);
        const steps = old ? undefined : this.const(n.inputs[4])?.data;
        // Index lists per axis (all of it where not sliced), then the cartesian product: torch's pad
        // reversal (Slice with step -1 on a [2, 2] table) is shape arithmetic too.
        const picks = a.dims.map((d) => sliceValues(null, 0, d, 1, d));
        const ks = axes.map((ax) => normAxis(ax, a.dims.length));
        if (ks.some((k) => Number.isNaN(k))) return; // an axis outside the rank (a corrupt model): not foldable
        ks.forEach((k, i) => { picks[k] = sliceValues(null, starts[i], ends[i], steps?.[i] ?? 1, a.dims[k]); });
        set(pickConst(a, picks));
        break;
      }
      case 'Transpose': {
        const perm = attrInts(n, 'perm') ?? a.dims.map((_, i) => a.dims.length - 1 - i);
        set(transposeConst(a, perm));
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

/** The elements of `a` at the given indices along each axis (row-major). */
function pickConst(a: ConstTensor, picks: number[][]): ConstTensor | undefined {
  const dims = picks.map((p) => p.length);
  if (constElements(dims) > MAX_CONST_ELEMENTS) return undefined;
  const strides = a.dims.map((_, i) => constElements(a.dims.slice(i + 1)));
  let offsets = [0];
  picks.forEach((p, ax) => { offsets = offsets.flatMap((o) => p.map((ix) => o + ix * strides[ax])); });
  return { elemType: a.elemType, dims, data: offsets.map((o) => a.data[o]) };
}

function transposeConst(a: ConstTensor, perm: number[]): ConstTensor | undefined {
  if (perm.length !== a.dims.length || new Set(perm).size !== perm.length || perm.some((p) => !(p >= 0 && p < perm.length))) return undefined;
  const dims = perm.map((p) => a.dims[p]);
  const strides = a.dims.map((_, i) => constElements(a.dims.slice(i + 1)));
  const data: number[] = [];
  const idx = new Array(dims.length).fill(0);
  for (let k = 0; k < constElements(dims); k++) {
    data.push(a.data[idx.reduce((o, v, j) => o + v * strides[perm[j]], 0)]);
    for (let j = dims.length - 1; j >= 0 && ++idx[j] === dims[j]; j--) idx[j] = 0;
  }
  return { elemType: a.elemType, dims, data };
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

/**
 * Infers every value's type and shape, subgraphs included, at the given dims. When a default (not a
 * given dim) makes some node's shape degenerate, each defaulted non-batch dim in turn is tried at a
 * bounded list of lengths (dims.ts FITTING_LENGTHS) and the first that fits is used and noted.
 */
export function inferShapes(model: ModelInfo, dims: Record<string, number> = {}): ShapeInference {
  // Values the model's own metadata_props give come before any default (the user's dims before both).
  const hints = metadataDims(model);
  const start = { ...hints.dims, ...dims };
  const done = (inf: ShapeInference): ShapeInference => ({ ...inf, dimSources: dimSources(inf.dimsUsed, dims, hints, inf.dimNotes) });
  const first = run(model, start);
  if (!first.degenerate.length) return done(first);
  const free = Object.keys(first.dimsUsed).filter((k) => start[k] === undefined && !isBatchLike(k) && !k.endsWith('[0]') &&
    !dimExpression(k) && first.values.get(k) === undefined && first.dimsUsed[k] > 0);
  // An image input's height and width together, at common square sizes: a classifier head's weight fixes
  // them (its Flatten → Gemm contracts channels × H × W).
  for (const [kh, kw] of imagePairs(model, free)) {
    for (const size of IMAGE_SIZES) {
      if (size === first.dimsUsed[kh] && size === first.dimsUsed[kw]) continue;
      const tried = run(model, { ...start, [kh]: size, [kw]: size });
      if (tried.degenerate.length) continue;
      tried.dimNotes[kh] = tried.dimNotes[kw] = `the default ${kh}=${first.dimsUsed[kh]}, ${kw}=${first.dimsUsed[kw]} does not fit the model ` +
        `(${first.degenerate[0].message}); ${size} × ${size} is the first of ${IMAGE_SIZES.join(', ')} that does`;
      return done(tried);
    }
  }
  // One dim at a time, in input order: a state's batch axis must not grow with the audio window.
  let tries = 0;
  for (const k of free) {
    for (const len of FITTING_LENGTHS) {
      if (len <= first.dimsUsed[k] || ++tries > MAX_FITTING_TRIES) continue;
      const tried = run(model, { ...start, [k]: len });
      if (tried.degenerate.length) continue;
      tried.dimNotes[k] = `the default ${k}=${first.dimsUsed[k]} does not fit the model (${first.degenerate[0].message}); ` +
        `${k}=${len} is the first of ${FITTING_LENGTHS.join(', ')} that does`;
      return done(tried);
    }
  }
  return done(first);
}

/** Square image sizes tried when the default 224 × 224 does not fit (MNIST, CIFAR, ... YOLO). Bounded: one inference each. */
const IMAGE_SIZES = [28, 32, 64, 96, 128, 160, 192, 256, 299, 320, 384, 512, 640];

/** The (height, width) dim keys of rank-4 image inputs (a channel count of 1–4 on axis 1 or 3) among `free`. */
function imagePairs(model: ModelInfo, free: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const i of model.graph.inputs) {
    const s = i.shape;
    const axes = s ? imageAxes(s) : undefined;
    if (!s || !axes) continue;
    const [kh, kw] = axes.map((ax) => (typeof s[ax] === 'string' ? s[ax] as string : `${i.name}[${ax}]`));
    if (kh !== kw && free.includes(kh) && free.includes(kw)) out.push([kh, kw]);
  }
  return out;
}

/** Bounds the search for fitting lengths (each try is one shape inference). */
const MAX_FITTING_TRIES = 12;

function run(model: ModelInfo, dims: Record<string, number>): ShapeInference {
  const inf = new Inferrer(model, dims);
  inf.graph(model.graph, true);
  return {
    values: inf.values, constants: inf.constants, unknownOps: [...inf.unknown].sort(), dimsUsed: inf.dimsUsed, weights: inf.weights,
    branches: inf.branches, degenerate: inf.degenerate, dimNotes: {},
  };
}

/** Every node of the model's graphs (main graph first, then subgraphs), for callers that count. */
export function countNodes(model: ModelInfo): number {
  let n = 0;
  for (const g of allGraphs(model.graph)) n += g.nodes.length;
  return n;
}
