import { allGraphs, NodeInfo } from '../../onnx/model';
import type { Finding, ModelContext, ModelRule } from '../types';
import { constantScalar, GraphIndex, indexGraph, isOp, modelFinding } from './graph';

const near = (a: number | undefined, b: number, tol = 0.01): boolean => a !== undefined && Math.abs(a - b) <= tol * Math.abs(b);

function readers(ix: GraphIndex, n: NodeInfo | undefined): NodeInfo[] {
  return n ? ix.consumers.get(n.outputs[0]) ?? [] : [];
}

/** ReduceMean → Sub → (Pow 2 → ReduceMean → Add ε → Sqrt) → Div: LayerNormalization spelled out. */
function isLayerNorm(ix: GraphIndex, n: NodeInfo): boolean {
  if (!isOp(n, 'ReduceMean')) return false;
  const sub = readers(ix, n).find((c) => isOp(c, 'Sub') && c.inputs[1] === n.outputs[0]);
  if (!sub) return false;
  const after = readers(ix, sub);
  const pow = after.find((c) => isOp(c, 'Pow') && near(constantScalar(ix, c.inputs[1]), 2));
  return !!pow && after.some((c) => isOp(c, 'Div') || isOp(c, 'Mul')) && readers(ix, pow).some((c) => isOp(c, 'ReduceMean'));
}

/** x / √2 → Erf → + 1 → × x (→ × 0.5): exact GELU spelled out. */
function isGelu(ix: GraphIndex, n: NodeInfo): boolean {
  if (!isOp(n, 'Erf')) return false;
  const scale = ix.producer.get(n.inputs[0]);
  const scaled = scale && ((isOp(scale, 'Div') && near(constantScalar(ix, scale.inputs[1]), Math.SQRT2)) ||
    (isOp(scale, 'Mul') && near(constantScalar(ix, scale.inputs[1]) ?? constantScalar(ix, scale.inputs[0]), Math.SQRT1_2)));
  if (!scaled) return false;
  const add = readers(ix, n).find((c) => isOp(c, 'Add'));
  return !!add && readers(ix, add).some((c) => isOp(c, 'Mul'));
}

/** x + 0.044715·x³ → × √(2/π) → Tanh → + 1 → × …: GPT-2's tanh GELU spelled out. */
function isTanhGelu(ix: GraphIndex, n: NodeInfo): boolean {
  if (!isOp(n, 'Tanh')) return false;
  const scale = ix.producer.get(n.inputs[0]);
  const k = Math.sqrt(2 / Math.PI);
  const inner = scale && isOp(scale, 'Mul') && [0, 1].map((i) => near(constantScalar(ix, scale.inputs[i]), k) ? ix.producer.get(scale.inputs[1 - i]) : undefined).find(Boolean);
  if (!inner || !isOp(inner, 'Add')) return false;
  const cubic = inner.inputs.map((v) => ix.producer.get(v)).find((p) => p && isOp(p, 'Mul') && p.inputs.some((v) => near(constantScalar(ix, v), 0.044715)));
  const add = readers(ix, n).find((c) => isOp(c, 'Add'));
  return !!cubic && !!add && readers(ix, add).some((c) => isOp(c, 'Mul'));
}

/** MatMul → (scale / mask) → Softmax → MatMul: attention spelled out. */
function isAttention(ix: GraphIndex, n: NodeInfo): boolean {
  if (!isOp(n, 'Softmax')) return false;
  let p = ix.producer.get(n.inputs[0]);
  for (let hops = 0; p && hops < 3 && !isOp(p, 'MatMul'); hops++) {
    if (!['Add', 'Div', 'Mul', 'Where', 'Sub'].includes(p.opType) || p.domain !== '') return false;
    p = ix.producer.get(p.inputs[0]);
  }
  if (!p || !isOp(p, 'MatMul')) return false;
  let next = readers(ix, n);
  for (let hops = 0; hops < 2 && next.length === 1 && !isOp(next[0], 'MatMul') && ['Dropout', 'Cast'].includes(next[0].opType); hops++) next = readers(ix, next[0]);
  return next.some((c) => isOp(c, 'MatMul'));
}

interface Pattern { name: string; test: (ix: GraphIndex, n: NodeInfo) => boolean; advice: (opset: number) => string }

const PATTERNS: Pattern[] = [
  {
    name: 'LayerNorm', test: isLayerNorm,
    advice: (opset) => (opset < 17 ? 'Re-export at opset 17+ to get one LayerNormalization op; until then ' : 'The exporter kept it decomposed; ') +
      'ONNX Runtime fuses this pattern only at the extended optimization level (ORT_ENABLE_EXTENDED or ALL), and other runtimes run all its nodes.',
  },
  {
    name: 'GELU', test: isGelu,
    advice: (opset) => (opset < 20 ? 'Opset 20 has a Gelu op; until then ' : '') +
      'ONNX Runtime fuses it into com.microsoft Gelu (BiasGelu with the preceding Add) at the extended level; `python -m onnxruntime.transformers.optimizer` does it offline.',
  },
  {
    name: 'tanh GELU', test: isTanhGelu,
    advice: (opset) => (opset < 20 ? 'Opset 20 has Gelu(approximate="tanh"); until then ' : '') +
      'ONNX Runtime fuses it into com.microsoft FastGelu at the extended level; `inference-lens optimize` writes that op into a copy.',
  },
  {
    name: 'attention', test: isAttention,
    advice: () => '`inference-lens optimize` fuses torch.nn.MultiheadAttention\'s export into com.microsoft Attention; other layouts: ' +
      '`python -m onnxruntime.transformers.optimizer --model_type bert --num_heads H --hidden_size D` (Attention/MultiHeadAttention, ' +
      'one kernel, memory-efficient/flash attention on GPU). The session-level optimizer does not fuse most exported attention blocks.',
  },
];

function check(ctx: ModelContext): Finding[] {
  const opset = ctx.model.opsets[''] ?? 0;
  const hits = new Map<Pattern, NodeInfo[]>();
  for (const g of allGraphs(ctx.model.graph)) {
    const ix = indexGraph(g);
    for (const n of g.nodes) for (const p of PATTERNS) if (p.test(ix, n)) hits.set(p, [...(hits.get(p) ?? []), n]);
  }
  const out: Finding[] = [];
  for (const [p, nodes] of hits) {
    out.push(modelFinding(DECOMPOSED_PATTERNS.id,
      `${nodes.length === 1 ? 'A' : nodes.length} decomposed ${p.name} block${nodes.length > 1 ? 's (first here)' : ''}: several small ops where one fused kernel would do. ${p.advice(opset)}`,
      { kind: 'node', node: nodes[0] }));
  }
  return out;
}

export const DECOMPOSED_PATTERNS: ModelRule = {
  id: 'ONNX009',
  name: 'decomposed-fusable-patterns',
  target: 'model',
  defaultSeverity: 'information',
  docs: {
    summary: 'LayerNorm, GELU (exact or tanh) or attention spelled out in elementary ops where a newer opset or ONNX Runtime\'s fusions provide one kernel.',
    whatItDoes:
      'Finds ReduceMean→Sub→Pow→ReduceMean→Add→Sqrt→Div (LayerNorm), Div(√2)→Erf→Add→Mul (exact GELU), ' +
      'Mul(0.044715)→Add→Mul(√(2/π))→Tanh→Add→Mul (GPT-2\'s tanh GELU) and ' +
      'MatMul→[scale, mask]→Softmax→MatMul (attention). One finding per pattern, on its first occurrence, with the count ' +
      'and the fix that fits the model\'s opset.',
    whyItCosts:
      'Each elementary op reads and writes the whole activation tensor: a decomposed LayerNorm is 9 passes over memory ' +
      'instead of one, and unfused attention materialises the full seq×seq score matrix. Fused kernels (LayerNormalization, ' +
      'Gelu/BiasGelu, Attention/MultiHeadAttention) are several times faster on memory-bound CPUs and GPUs.',
    example: 'a = Div (x, sqrt2)\nb = Erf (a)\nc = Add (b, one)\nd = Mul (x, c)\ny = Mul (d, half)',
    useInstead:
      'torch.onnx.export(..., opset_version=17)   # LayerNormalization\n' +
      'python -m onnxruntime.transformers.optimizer --input model.onnx --output model.opt.onnx --model_type bert',
    fix: '`inference-lens optimize model.onnx --only ONNX009` (or the quick fix, or the palette\'s "Inference Lens: Optimize Model…") fuses, in a copy and only when every intermediate value is read only inside the pattern: ' +
      'each decomposed LayerNorm over the last axis into LayerNormalization (opset 17 and later); each exact GELU into Gelu (opset 20) or ONNX Runtime\'s com.microsoft Gelu; ' +
      'each tanh GELU into com.microsoft FastGelu (opset 20: Gelu approximate="tanh"); and each self-attention block as torch.nn.MultiheadAttention exports it ' +
      '(packed QKV projection, Slice, Reshape to heads, scale, an optional [seq, seq] mask, Softmax, output Gemm) into com.microsoft Attention, the head split proven by shape inference at two sizes. ' +
      'Then the A/B. With --skip-layernorm also a residual Add + LayerNormalization into com.microsoft SkipLayerNormalization, for GPU providers (on CPU that kernel measured slower). ' +
      'Not fused: a mask per batch row, separate Q/K/V projections (Hugging Face BERT layout), decoder attention with a KV cache and sequence-first inputs. ' +
      'ONNX Runtime\'s default session optimizations already fuse LayerNorm and both GELUs at load on CPU, so those gain mostly for other runtimes and session start; ' +
      'the attention fusion is what ONNX Runtime does not do itself (docs/measurements.md, issue 16).',
  },
  check,
};
