/**
 * Per-node and per-model cost at given dims: MACs, FLOPs, parameters, bytes and peak activation memory.
 *
 * Conventions (every figure says which):
 * - `macs`: multiply-accumulates of the dense contractions only: Conv, ConvTranspose, MatMul, Gemm,
 *   Einsum (with a summed index), the com.microsoft/quantized forms of these (MatMulNBits,
 *   DynamicQuantizeMatMul, MatMulInteger, QLinearMatMul, QLinearConv, ConvInteger, QGemm, FusedMatMul,
 *   FusedConv), attention (projections + QKᵀ + AV) and RNN gates (LSTM 4, GRU 3, RNN 1 gate per
 *   hidden unit: seq × batch × directions × gates·H × (input + H)). Biases are not in `macs`. This is
 *   the convention of torchvision's "GFLOPS" column, fvcore and reference.json: they count MACs.
 * - `flops`: 2 × macs for the dense ops, plus `otherFlops`: per-element counts for everything else,
 *   1 per output element for elementwise arithmetic and activations (Add, Mul, Relu, Clip, Erf, bias
 *   adds of Conv/Gemm...), 5 per element for Softmax/LogSoftmax (max, subtract, exp, sum, divide),
 *   8 per element for LayerNormalization and its fused forms (mean, variance, normalise, scale, shift),
 *   2 per element for BatchNormalization/InstanceNormalization (folded scale and shift), 1 per input
 *   element for reductions and global pooling, kernel size per output element for windowed pooling,
 *   2^(spatial dims) per output element for linear Resize (1 for nearest). Data movement (Reshape,
 *   Transpose, Gather, Concat, Slice, Cast, Shape...) costs 0 FLOPs: its cost is bytes.
 * - `params` / `weightBytes` of a node: the initializers and Constant values it reads, each counted at
 *   its first reader only (a weight shared by several nodes is counted once and listed in sharedWeights).
 * - Activation bytes are the non-weight tensors a node reads and writes; `peakActivationBytes` simulates
 *   sequential execution in graph order, freeing a tensor after its last reader (graph outputs are kept).
 * - Subgraphs: an `If` counts the branch that runs when its condition folds at the dims used (a
 *   constant, a shape comparison, or an assumed input such as `sr`; see shapes.ts), else its more
 *   expensive branch; a `Loop` its body times the trip count when that is known (else once, noted as a
 *   lower bound), a `Scan` its body times the scan length. `controlFlow` says which, per node.
 */
import { allGraphs, bitsPerElement, Dim, GraphInfo, ModelInfo, NodeInfo, TensorInfo } from './model';
import { Degenerate, einsumLetters, inferShapes, ShapeInference } from './shapes';
import { summarize, weightTensors } from './summary';
import { duplicateGroups } from './duplicates';
import { graphOrder, nodeReads } from './order';
import { ComputePrecision, densePrecision, MacsByPrecision } from './precision';

export interface NodeCost {
  node: NodeInfo;
  /** Graph path: 'main' or e.g. 'main/If_0.then_branch'. */
  graph: string;
  /** Index of the node in its graph. */
  index: number;
  opType: string;
  macs: number;
  flops: number;
  params: number;
  weightBytes: number;
  inputBytes: number;
  outputBytes: number;
  /** flops per byte moved (inputs + outputs + weights); 0 when nothing moves. */
  intensity: number;
  outputShapes: Array<Dim[] | null>;
  /** False for nodes of a subgraph branch that the totals do not count (the cheaper If branch). */
  counted: boolean;
  /** The arithmetic the dense MACs run in (precision.ts); set when macs > 0. */
  precision?: ComputePrecision;
  /**
   * A DequantizeLinear that ONNX Runtime folds into the int8 kernel it feeds (a QDQ pair): it does not run
   * and its float output is never written, so the estimate leaves out its node and bytes.
   */
  fusedQdq?: boolean;
}

/** How a control-flow node was counted (the branch taken, the trip count), for the summary and JSON. */
export interface ControlFlowNote {
  graph: string;
  node: string;
  op: string;
  note: string;
  /** True when the count below this node is a lower bound (a Loop of unknown trip count). */
  unknown: boolean;
}

export interface OpTypeCost {
  count: number;
  macs: number;
  flops: number;
  params: number;
}

export interface SharedWeight {
  /** The initializer/constant names holding the same weight. */
  names: string[];
  /** 'reused': one tensor read by several nodes; 'duplicate': identical bytes stored twice. */
  kind: 'reused' | 'duplicate';
  bytes: number;
  readers: number;
}

export interface ModelCost {
  /** Dense MACs (see the module comment); reference.json's `macs`. */
  macs: number;
  /** The same MACs by the arithmetic they run in (int8 kernels, fp16, fp32): what the estimate prices. */
  macsByPrecision: MacsByPrecision;
  /** DequantizeLinear nodes ONNX Runtime folds into int8 kernels (NodeCost.fusedQdq) and their output bytes. */
  fusedQdq: { nodes: number; bytes: number };
  /**
   * Nodes that run per inference: counted ones (the If branch taken, not the other), less Constant nodes
   * (ONNX Runtime turns them into initializers) and folded DequantizeLinear. What the per-node overhead pays.
   */
  runningNodes: number;
  /** 2 × macs + otherFlops. */
  flops: number;
  /** FLOPs outside the dense contractions (per-element counts). */
  otherFlops: number;
  params: number;
  weightBytes: number;
  /** Sum of every activation tensor (graph inputs and node outputs that are not weights). */
  activationBytes: number;
  peakActivationBytes: number;
  opTypes: Record<string, OpTypeCost>;
  unknownOps: string[];
  dimsUsed: Record<string, number>;
  sharedWeights: SharedWeight[];
  nodes: NodeCost[];
  controlFlow: ControlFlowNote[];
  /** Set when some counted nodes have no shapes (or a Loop no trip count): then macs/flops are lower bounds. */
  incomplete?: Incomplete;
  /** Nodes whose shapes are degenerate at the dims used: which dims to set instead (shapes.ts). */
  degenerate: Degenerate[];
  /** Defaults replaced so that the model's shapes make sense, with the reason. */
  dimNotes: Record<string, string>;
  /** Where each dim used came from: set, metadata_props, fitted, expression, default (hints.ts). */
  dimSources: Record<string, string>;
}

/** What a lower-bound figure leaves out: `analyze` JSON's `model.incomplete`. */
export interface Incomplete {
  /** Counted nodes with an output of unknown shape (their cost, and that of what follows, is not in the totals). */
  nodes: number;
  opTypes: string[];
  reason: string;
}

const DENSE = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Einsum', 'MatMulInteger', 'MatMulNBits', 'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat', 'QLinearMatMul', 'QLinearConv', 'ConvInteger', 'QGemm', 'FusedMatMul', 'FusedConv', 'NhwcConv',
  'LSTM', 'GRU', 'RNN', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention']);
const ZERO_FLOP = new Set(['Reshape', 'Transpose', 'Gather', 'GatherElements', 'GatherND', 'Concat', 'Split', 'Slice', 'Squeeze',
  'Unsqueeze', 'Flatten', 'Cast', 'CastLike', 'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Identity', 'Dropout', 'Expand',
  'Tile', 'Pad', 'Range', 'If', 'Loop', 'Scan', 'DepthToSpace', 'SpaceToDepth', 'ScatterND', 'ScatterElements', 'NonZero',
  'Compress', 'OneHot', 'EyeLike', 'TopK', 'QLinearConcat']);

type Shape = Dim[] | null;

function numel(s: Shape | undefined): number | null {
  if (!s) return null;
  let p = 1;
  for (const d of s) { if (typeof d !== 'number') return null; p *= d; }
  return Number.isFinite(p) ? p : null;
}

function n0(x: number | null): number {
  return x ?? 0;
}

class CostWalker {
  readonly nodes: NodeCost[] = [];
  readonly notes: ControlFlowNote[] = [];
  private readonly seenWeights = new Map<string, number>();

  constructor(readonly inf: ShapeInference) {}

  shape(name: string | undefined): Shape {
    return name ? this.inf.values.get(name)?.shape ?? null : null;
  }

  bytes(name: string): number {
    const v = this.inf.values.get(name);
    if (!v) return 0;
    const e = numel(v.shape);
    return e === null ? 0 : Math.ceil((e * bitsPerElement(v.elemType)) / 8);
  }

  isWeight(name: string): boolean {
    return this.inf.weights.has(name);
  }

  /** Costs the nodes of a graph; returns [macs, otherFlops] added when counted. */
  graph(g: GraphInfo, path: string, counted: boolean): { macs: number; other: number } {
    let macs = 0, other = 0;
    const producers = new Map<string, NodeInfo>();
    for (const n of g.nodes) for (const o of n.outputs) if (o) producers.set(o, n);
    const ctx = { producer: (name: string) => producers.get(name), elemType: (name: string) => this.inf.values.get(name)?.elemType ?? 0 };
    const costs = new Map<NodeInfo, NodeCost>();
    for (const index of graphOrder(g).order) {
      const c = this.node(g.nodes[index], path, index, counted);
      if (c.macs > 0) c.precision = densePrecision(c.node, ctx);
      costs.set(c.node, c);
      macs += c.macs;
      other += c.flops - 2 * c.macs;
    }
    markFusedQdq(g, costs);
    return { macs, other };
  }

  node(n: NodeInfo, path: string, index: number, counted: boolean): NodeCost {
    const entry: NodeCost = {
      node: n, graph: path, index, opType: n.domain ? `${n.domain}.${n.opType}` : n.opType, macs: 0, flops: 0, params: 0,
      weightBytes: 0, inputBytes: 0, outputBytes: 0, intensity: 0, outputShapes: n.outputs.map((o) => this.shape(o)), counted,
    };
    this.nodes.push(entry);
    if (n.opType === 'Constant') return entry; // its value is a weight, counted where it is read
    for (const i of n.inputs) {
      if (!i) continue;
      if (this.isWeight(i)) {
        const t = this.inf.weights.get(i)!;
        if (counted) this.seenWeights.set(i, (this.seenWeights.get(i) ?? 0) + 1);
        if (counted && this.seenWeights.get(i) === 1) {
          entry.params += Number.isNaN(t.elements) ? 0 : t.elements;
          entry.weightBytes += t.byteLength;
        }
      } else entry.inputBytes += this.bytes(i);
    }
    for (const o of n.outputs) if (o) entry.outputBytes += this.bytes(o);
    let macs = 0, other = 0;
    try {
      macs = this.denseMacs(n);
      other = this.otherFlops(n, path, index, counted);
    } catch { /* malformed attributes in a corrupt model: this node costs what we cannot know */ }
    if (!Number.isFinite(macs) || macs < 0) macs = 0;
    if (!Number.isFinite(other) || other < 0) other = 0;
    entry.macs = macs;
    entry.flops = 2 * macs + other;
    const moved = entry.inputBytes + entry.outputBytes + entry.weightBytes;
    entry.intensity = moved ? entry.flops / moved : 0;
    return entry;
  }

  note(n: NodeInfo, path: string, index: number, note: string, unknown = false): void {
    this.notes.push({ graph: path, node: n.name || `node${index}`, op: n.opType, note, unknown });
  }

  /** A Loop's iterations: its `M` input when known (a constant or folded from dims); null otherwise. */
  tripCount(n: NodeInfo): number | null {
    const m = n.inputs[0] ? this.inf.constants.get(n.inputs[0])?.data[0] : undefined;
    return m !== undefined && Number.isFinite(m) && m >= 0 ? m : null;
  }

  /** A Scan's iterations: the scanned axis of its first scan input. */
  scanLength(n: NodeInfo): number | null {
    const a = n.attributes.get('num_scan_inputs');
    const nScan = a?.kind === 'int' ? a.value : 0;
    const first = n.inputs[n.inputs.length - nScan];
    const axes = n.attributes.get('scan_input_axes');
    const axis = axes?.kind === 'ints' ? axes.value[0] ?? 0 : 0;
    const s = this.shape(first);
    const d = s ? s[axis < 0 ? axis + s.length : axis] : undefined;
    return typeof d === 'number' ? d : null;
  }

  denseMacs(n: NodeInfo): number {
    const op = n.opType;
    if (!DENSE.has(op)) return 0;
    const out = this.shape(n.outputs[0]);
    const outN = numel(out);
    const x = this.shape(n.inputs[0]);
    switch (op) {
      case 'Conv': case 'ConvInteger': case 'FusedConv': case 'NhwcConv': case 'QLinearConv': {
        const w = this.shape(n.inputs[op === 'QLinearConv' ? 3 : 1]);
        const per = numel(w?.slice(1));
        return outN !== null && per !== null ? outN * per : 0;
      }
      case 'ConvTranspose': {
        const w = this.shape(n.inputs[1]);
        const per = numel(w?.slice(1));
        const inN = numel(x);
        return inN !== null && per !== null ? inN * per : 0;
      }
      case 'MatMul': case 'MatMulInteger': case 'MatMulIntegerToFloat': case 'DynamicQuantizeMatMul': case 'FusedMatMul':
      case 'QLinearMatMul': case 'MatMulNBits': case 'Gemm': case 'QGemm': {
        // out elements × K; K is A's contracted dim.
        if (!x || outN === null) return 0;
        let K: Dim = x[x.length - 1];
        if ((op === 'Gemm' || op === 'QGemm' || op === 'FusedMatMul') && attr(n, 'transA')) K = x[0];
        if (op === 'MatMulNBits') K = attr(n, 'K') || K;
        return typeof K === 'number' ? outN * K : 0;
      }
      case 'Einsum': {
        const eq = n.attributes.get('equation');
        const l = eq?.kind === 'string' ? einsumLetters(eq.value, n.inputs.map((i) => this.shape(i) as Array<number | null>)) : undefined;
        if (!l) return 0;
        const all = [...l.sizes.values()];
        if (all.some((d) => d === null) || l.sizes.size === l.output.length) return 0; // no contraction: elementwise
        return all.reduce<number>((p, d) => p * (d as number), 1);
      }
      case 'LSTM': case 'GRU': case 'RNN': {
        const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
        const w = this.shape(n.inputs[1]); // [dirs, gates*H, I]
        const r = this.shape(n.inputs[2]); // [dirs, gates*H, H]
        if (!x || !w || !r) return 0;
        const batchFirst = attr(n, 'layout') === 1;
        const seq = batchFirst ? x[1] : x[0];
        const batch = batchFirst ? x[0] : x[1];
        const perStep = numel(w) !== null && numel(r) !== null ? numel(w)! + numel(r)! : null;
        void gates;
        return typeof seq === 'number' && typeof batch === 'number' && perStep !== null ? seq * batch * perStep : 0;
      }
      case 'Attention': {
        // com.microsoft Attention: input [B,S,D] × weights [D, 3D] plus QKᵀ and AV over all heads.
        const w = this.shape(n.inputs[1]);
        if (!x || !w || x.length !== 3) return 0;
        const [B, S, D] = x as number[];
        const out3 = numel(w) ?? 0;
        const vHidden = typeof w[1] === 'number' ? w[1] / 3 : D;
        return B * S * out3 + 2 * B * S * S * vHidden;
      }
      case 'MultiHeadAttention': case 'GroupQueryAttention': {
        const k = this.shape(n.inputs[1]);
        if (!x || x.length !== 3 || !k || k.length < 2) return 0;
        const [B, S, D] = x as number[];
        const kvLen = (k.length === 3 ? k[1] : k[2]) as number;
        return 2 * B * S * kvLen * D;
      }
      default: return 0;
    }
  }

  otherFlops(n: NodeInfo, path: string, index: number, counted: boolean): number {
    const op = n.opType;
    const outN = n0(numel(this.shape(n.outputs[0])));
    const inN = n0(numel(this.shape(n.inputs[0])));
    if (op === 'If') {
      const parts: Array<{ key: string; g: GraphInfo; cost: number }> = [];
      for (const [key, a] of n.attributes) {
        if (a.kind !== 'graph') continue;
        // Cost each branch uncounted first to pick the more expensive one, then count it.
        const probe = new CostWalker(this.inf);
        probe.graph(a.value, '', false);
        parts.push({ key, g: a.value, cost: probe.nodes.reduce((s, nc) => s + nc.flops, 0) });
      }
      const choice = this.inf.branches?.get(n);
      const known = choice && parts.find((p) => p.key === choice.branch);
      const pick = known ?? parts.reduce<typeof parts[number] | undefined>((b, p) => (!b || p.cost > b.cost ? p : b), undefined);
      if (counted && pick && parts.length > 1) {
        this.note(n, path, index, known
          ? `runs ${pick.key} (${choice!.reason}); only that branch is counted`
          : `condition unknown before a run: counted the more expensive branch (${pick.key})`);
      }
      for (const p of parts) this.graph(p.g, `${path}/${n.name || `node${index}`}.${p.key}`, counted && p === pick);
      return 0;
    }
    if (op === 'Loop' || op === 'Scan') {
      const a = n.attributes.get('body');
      if (a?.kind !== 'graph') return 0;
      const before = this.nodes.length;
      this.graph(a.value, `${path}/${n.name || `node${index}`}.body`, counted);
      const times = op === 'Loop' ? this.tripCount(n) : this.scanLength(n);
      if (times !== null) for (const nc of this.nodes.slice(before)) { nc.macs *= times; nc.flops *= times; }
      if (counted) {
        this.note(n, path, index, times !== null ? `body × ${times} iterations`
          : '× trip count unknown: the body is counted once (per-iteration cost); the total is a lower bound', times === null);
      }
      return 0;
    }
    if (DENSE.has(op)) {
      // Bias adds are elementwise work, kept out of macs.
      const hasBias = (op === 'Gemm' && n.inputs[2]) || ((op === 'Conv' || op === 'ConvTranspose') && n.inputs[2]);
      return hasBias ? outN : 0;
    }
    if (ZERO_FLOP.has(op)) return 0;
    switch (op) {
      case 'Softmax': case 'LogSoftmax': case 'QLinearSoftmax': return 5 * outN;
      case 'LayerNormalization': case 'SimplifiedLayerNormalization': case 'SkipLayerNormalization': case 'SkipSimplifiedLayerNormalization':
      case 'GroupNormalization': case 'MeanVarianceNormalization': return 8 * outN;
      case 'BatchNormalization': case 'InstanceNormalization': return 2 * outN;
      case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL1': case 'ReduceL2':
      case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceSumSquare': case 'ArgMax': case 'ArgMin':
      case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool': case 'QLinearGlobalAveragePool': return inN;
      case 'MaxPool': case 'AveragePool': case 'LpPool': case 'QLinearAveragePool': {
        const k = n.attributes.get('kernel_shape');
        return outN * (k?.kind === 'ints' ? k.value.reduce((p, d) => p * d, 1) : 1);
      }
      case 'Resize': case 'Upsample': {
        const mode = n.attributes.get('mode');
        const linear = mode?.kind === 'string' && mode.value !== 'nearest';
        const spatial = Math.max(0, (this.shape(n.outputs[0])?.length ?? 2) - 2);
        return linear ? outN * 2 ** spatial : outN;
      }
      default: return outN; // elementwise family: one per output element
    }
  }
}

/** DequantizeLinear nodes read only by int8 kernels of a QDQ pair (see NodeCost.fusedQdq). */
function markFusedQdq(g: GraphInfo, costs: Map<NodeInfo, NodeCost>): void {
  const readers = new Map<string, NodeInfo[]>();
  for (const n of g.nodes) for (const r of n.inputs) if (r) (readers.get(r) ?? readers.set(r, []).get(r)!).push(n);
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (const [n, c] of costs) {
    if (n.opType !== 'DequantizeLinear' || outputs.has(n.outputs[0])) continue;
    const rs = readers.get(n.outputs[0]) ?? [];
    if (rs.length && rs.every((r) => costs.get(r)?.precision === 'int8')) c.fusedQdq = true;
  }
}

function attr(n: NodeInfo, name: string): number {
  const a = n.attributes.get(name);
  return a?.kind === 'int' ? a.value : 0;
}

/** Peak live activation bytes when the main graph runs node by node in execution order (order.ts). */
function peakActivations(g: GraphInfo, w: CostWalker, nodeBytes: (i: number) => number): number {
  const order = graphOrder(g).order;
  const lastUse = new Map<string, number>();
  order.forEach((i, step) => { for (const u of nodeReads(g.nodes[i])) lastUse.set(u, step); });
  const keep = new Set(g.outputs.map((o) => o.name));
  let live = 0, peak = 0;
  const alive = new Map<string, number>();
  for (const i of g.inputs) {
    if (w.isWeight(i.name)) continue;
    const b = w.bytes(i.name);
    alive.set(i.name, b);
    live += b;
  }
  peak = live;
  order.forEach((idx, step) => {
    const n = g.nodes[idx];
    let out = 0;
    for (const o of n.outputs) {
      if (!o || w.isWeight(o)) continue;
      const b = w.bytes(o);
      alive.set(o, b);
      out += b;
    }
    // A subgraph's own activations live while it runs.
    peak = Math.max(peak, live + out + nodeBytes(idx));
    live += out;
    for (const name of new Set([...nodeReads(n), ...n.outputs])) {
      if (!name || keep.has(name) || !alive.has(name)) continue;
      if ((lastUse.get(name) ?? -1) <= step) { live -= alive.get(name)!; alive.delete(name); }
    }
  });
  return peak;
}

/** Weights read by more than one node (counted once), and names holding the same tensor location twice. */
function sharedWeights(walker: CostWalker, inf: ShapeInference): SharedWeight[] {
  const out: SharedWeight[] = [];
  const readers = new Map<string, number>();
  for (const nc of walker.nodes) {
    if (!nc.counted) continue;
    for (const i of new Set(nc.node.inputs)) if (i && inf.weights.has(i)) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  for (const [name, r] of readers) {
    if (r > 1) out.push({ names: [name], kind: 'reused', bytes: inf.weights.get(name)!.byteLength, readers: r });
  }
  return out;
}

/**
 * Identical weight bytes stored under different names (see duplicates.ts: sampled fingerprints
 * first, a full streamed hash only for likely duplicates).
 */
export function duplicateWeights(model: ModelInfo, minBytes = 1024): SharedWeight[] {
  return duplicateGroups([...weightTensors(model)].map((w) => w.tensor), minBytes)
    .map((same) => ({ names: same.map((t) => t.name), kind: 'duplicate' as const, bytes: same[0].byteLength, readers: same.length }));
}

/** The model's cost at `dims` (symbolic dim name → value; see shapes.ts for the defaults). */
export function modelCost(model: ModelInfo, dims: Record<string, number> = {}, inf: ShapeInference = inferShapes(model, dims)): ModelCost {
  const walker = new CostWalker(inf);
  walker.graph(model.graph, 'main', true);
  let macs = 0, otherFlops = 0;
  const macsByPrecision: MacsByPrecision = {};
  const fusedQdq = { nodes: 0, bytes: 0 };
  let runningNodes = 0;
  const opTypes: Record<string, OpTypeCost> = {};
  let activationBytes = 0;
  for (const nc of walker.nodes) {
    if (!nc.counted) continue;
    macs += nc.macs;
    if (nc.precision) macsByPrecision[nc.precision] = (macsByPrecision[nc.precision] ?? 0) + nc.macs;
    if (nc.fusedQdq) { fusedQdq.nodes++; fusedQdq.bytes += nc.outputBytes; } else if (nc.opType !== 'Constant') runningNodes++;
    otherFlops += nc.flops - 2 * nc.macs;
    const t = (opTypes[nc.opType] ??= { count: 0, macs: 0, flops: 0, params: 0 });
    t.count++;
    t.macs += nc.macs;
    t.flops += nc.flops;
    t.params += nc.params;
    for (const o of nc.node.outputs) if (o && !inf.weights.has(o)) activationBytes += walker.bytes(o);
  }
  for (const i of model.graph.inputs) if (!inf.weights.has(i.name)) activationBytes += walker.bytes(i.name);
  // Subgraph nodes' activations at the node that runs them: their peak is approximated by their total output bytes.
  const subBytes = new Map<NodeInfo, number>();
  for (const nc of walker.nodes) {
    if (nc.graph === 'main' || !nc.counted) continue;
    const owner = ownerOf(model.graph, nc.graph);
    if (owner) subBytes.set(owner, (subBytes.get(owner) ?? 0) + nc.outputBytes);
  }
  const peak = peakActivations(model.graph, walker, (i) => subBytes.get(model.graph.nodes[i]) ?? 0);
  const s = summarize(model);
  const incomplete = incompleteness(model, walker, inf);
  const sorted = Object.fromEntries(Object.entries(opTypes).sort((a, b) => b[1].macs - a[1].macs || b[1].flops - a[1].flops || a[0].localeCompare(b[0])));
  return {
    macs, macsByPrecision, fusedQdq, runningNodes, flops: 2 * macs + otherFlops, otherFlops, params: s.params, weightBytes: s.weightBytes,
    activationBytes, peakActivationBytes: peak, opTypes: sorted, unknownOps: inf.unknownOps, dimsUsed: inf.dimsUsed,
    sharedWeights: sharedWeights(walker, inf), nodes: walker.nodes, controlFlow: walker.notes, ...(incomplete && { incomplete }),
    degenerate: inf.degenerate ?? [], dimNotes: inf.dimNotes ?? {}, dimSources: inf.dimSources ?? {},
  };
}

/** The per-model figures that summaries, hovers and the CLI's JSON carry (no per-node detail). */
export interface ComputeSummary {
  /** Dense multiply-accumulates (Conv, MatMul, Gemm, Einsum, attention, RNN gates) per inference. */
  macs: number;
  /** Present when some dense MACs run in int8 or fp16: the MACs by precision (precision.ts). */
  macsByPrecision?: MacsByPrecision;
  /** 2 × macs + per-element FLOPs of every other op. */
  flops: number;
  activationBytes: number;
  peakActivationBytes: number;
  opTypes: Record<string, OpTypeCost>;
  unknownOps: string[];
  /** Symbolic dims and the values used for them. */
  dims: Record<string, number>;
  /** Present when macs/flops are lower bounds. */
  incomplete?: Incomplete;
  /** How If/Loop/Scan nodes were counted. */
  controlFlow?: Array<{ node: string; note: string }>;
  /** Defaults replaced so that shapes make sense (dim → why). */
  dimNotes?: Record<string, string>;
  /** Where each dim's value came from (dim → "set", "metadata_props imgsz=[640, 640]", "default"...). */
  dimSources?: Record<string, string>;
}

export function computeSummary(c: ModelCost): ComputeSummary {
  return {
    macs: c.macs, ...(Object.keys(c.macsByPrecision).some((k) => k !== 'fp32') && { macsByPrecision: c.macsByPrecision }),
    flops: c.flops, activationBytes: c.activationBytes, peakActivationBytes: c.peakActivationBytes,
    opTypes: c.opTypes, unknownOps: c.unknownOps, dims: c.dimsUsed,
    ...(c.incomplete && { incomplete: c.incomplete }),
    ...(Object.keys(c.dimNotes).length && { dimNotes: c.dimNotes }),
    ...(Object.keys(c.dimSources).length && { dimSources: c.dimSources }),
    ...(c.controlFlow.length && { controlFlow: c.controlFlow.map((x) => ({ node: `${x.graph}/${x.node}`, note: `${x.op}: ${x.note}` })) }),
  };
}

/**
 * Counted nodes whose outputs (those something reads) have no known size, and why: the first such
 * node whose inputs are all known is where inference stopped (an op without a rule, a shape computed
 * from run-time values, or a degenerate shape at the dims used).
 */
function incompleteness(model: ModelInfo, walker: CostWalker, inf: ShapeInference): Incomplete | undefined {
  const read = new Set<string>();
  for (const g of allGraphs(model.graph)) {
    for (const n of g.nodes) for (const r of nodeReads(n)) read.add(r);
    for (const o of g.outputs) read.add(o.name);
  }
  const known = (name: string) => numel(inf.values.get(name)?.shape) !== null;
  const unknown = walker.nodes.filter((nc) => nc.counted && nc.opType !== 'Constant' &&
    nc.node.outputs.some((o) => o && read.has(o) && !known(o)));
  const loops = walker.notes.filter((x) => x.unknown);
  if (!unknown.length && !loops.length) return undefined;
  const reasons: string[] = [];
  if (inf.unknownOps.length) reasons.push(`no shape inference for ${inf.unknownOps.join(', ')}`);
  const root = unknown.find((nc) => nc.node.inputs.every((i) => !i || known(i)));
  const bad = inf.degenerate?.find((d) => d.node === root?.node) ?? inf.degenerate?.[0];
  if (bad) {
    reasons.push(`degenerate shape at the dims used: ${bad.message}`);
  } else if (root) {
    const label = `${root.opType}${root.node.name ? ` '${root.node.name}'` : ''}`;
    const why = inf.unknownOps.includes(root.opType) ? 'an op without shape inference' : 'its output size depends on values known only at run time';
    reasons.push(`shapes stop at ${label} (${why})`);
  } else if (unknown.length) {
    reasons.push(`shapes unknown from ${unknown[0].opType}${unknown[0].node.name ? ` '${unknown[0].node.name}'` : ''} on`);
  }
  if (loops.length) reasons.push(`${loops.length} Loop${loops.length > 1 ? 's' : ''} of unknown trip count counted once`);
  return { nodes: unknown.length, opTypes: [...new Set(unknown.map((nc) => nc.opType))].sort(), reason: reasons.join('; ') };
}

/** The main-graph node whose subgraph a path like 'main/If_0.then_branch/...' belongs to. */
function ownerOf(g: GraphInfo, path: string): NodeInfo | undefined {
  const first = path.split('/')[1];
  if (!first) return undefined;
  const name = first.slice(0, first.lastIndexOf('.'));
  return g.nodes.find((n, i) => (n.name || `node${i}`) === name);
}
