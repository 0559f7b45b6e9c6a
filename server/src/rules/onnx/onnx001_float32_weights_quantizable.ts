import { DataType, NodeInfo, TensorInfo } from '../../onnx/model';
import { weightTensors } from '../../onnx/summary';
import { formatBytes } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { allNodes, constantTensor, isOp, modelConsumers, modelFinding, QUANTIZED_OPS } from './graph';
import { takesKvCache } from '../../onnx/generative';

/** Below this many float32 weight bytes in quantizable ops, quantization saves too little to suggest. */
const MIN_BYTES = 1 << 20;
/** A single MatMul weight this large (or this much MatMul weight in all) is LLM-scale: int4 weight-only pays. */
const INT4_TENSOR_BYTES = 64 << 20;
const INT4_TOTAL_BYTES = 512 << 20;

type Family = 'MatMul/Gemm' | 'Conv' | 'RNN' | 'Gather (embeddings)';

function familyOf(n: NodeInfo): Family | undefined {
  if (n.domain !== '') return undefined;
  switch (n.opType) {
    case 'MatMul': case 'Gemm': return 'MatMul/Gemm';
    case 'Conv': case 'ConvTranspose': return 'Conv';
    case 'LSTM': case 'GRU': case 'RNN': return 'RNN';
    case 'Gather': return 'Gather (embeddings)';
    default: return undefined;
  }
}

/** For a decoder with a KV cache (see bench/generate-quantized.ts for the measured figures). */
const DECODER_ADVICE = '. This is a decoder with a KV cache: weight-only quantization pays at decode, which is memory-bound ' +
  '(every step reads all weights), far more than at the compute-bound prefill; judge it on decode tokens/s (`inference-lens bench --generate`) ' +
  'and by the generated tokens, not only a logits cosine: a cosine of 0.999 can still flip greedy tokens. The quantize A/B does both for a decoder ' +
  '(greedy generations from several prompts: token agreement, first divergence)';

function check(ctx: ModelContext): Finding[] {
  const { model } = ctx;
  for (const { node } of allNodes(model)) if (QUANTIZED_OPS.has(node.opType)) return [];
  const consumers = modelConsumers(model);
  // Constant nodes hold weights under their output's name.
  const nameOf = new Map<TensorInfo, string>();
  for (const { node } of allNodes(model)) {
    const t = isOp(node, 'Constant') ? constantTensor(node) : undefined;
    if (t && node.outputs[0]) nameOf.set(t, node.outputs[0]);
  }
  const bytes = new Map<Family, number>();
  let total = 0;
  let largest: { t: TensorInfo; node: NodeInfo; family: Family } | undefined;
  let largestMatMul = 0;
  for (const { tensor } of weightTensors(model)) {
    if (tensor.dataType !== DataType.FLOAT || tensor.byteLength < 4096) continue;
    const name = nameOf.get(tensor) ?? tensor.name;
    // The weight is the op's weight input (not, say, a Gather index): count it once, for its first quantizable consumer.
    const user = (consumers.get(name) ?? []).find((n) => familyOf(n) && (n.opType !== 'Gather' || n.inputs[0] === name));
    const family = user && familyOf(user);
    if (!user || !family) continue;
    bytes.set(family, (bytes.get(family) ?? 0) + tensor.byteLength);
    total += tensor.byteLength;
    if (family === 'MatMul/Gemm') largestMatMul = Math.max(largestMatMul, tensor.byteLength);
    if (!largest || tensor.byteLength > largest.t.byteLength) largest = { t: tensor, node: user, family };
  }
  if (total < MIN_BYTES || !largest) return [];
  const share = (f: Family): number => (bytes.get(f) ?? 0) / total;
  const breakdown = [...bytes.entries()].sort((a, b) => b[1] - a[1])
    .map(([f, b]) => `${f} ${formatBytes(b)} (${Math.round((100 * b) / total)}%)`).join(', ');
  let advice: string;
  if (share('Conv') >= 0.5) {
    advice = 'convolutions dominate: use static int8 quantization in QDQ format with per-channel weights and a ' +
      'calibration set (onnxruntime.quantization.quantize_static). Avoid dynamic quantization here: it turns Conv ' +
      'into ConvInteger plus per-call activation quantization, which on CPU is often slower than float32';
  } else if (largestMatMul >= INT4_TENSOR_BYTES || (bytes.get('MatMul/Gemm') ?? 0) >= INT4_TOTAL_BYTES) {
    advice = 'MatMul weights are LLM-scale: int4 block-wise weight-only quantization (com.microsoft MatMulNBits, ' +
      'accuracy_level=4) cuts them ~8× and speeds up memory-bound decoding; dynamic int8 is the conservative alternative';
  } else {
    const fams = [...bytes.keys()].filter((f) => f !== 'Conv').join(', ');
    advice = `dynamic int8 quantization fits this mix (${fams}; as in transformers, MLPs and RNNs): ` +
      'onnxruntime.quantization.quantize_dynamic stores weights int8 (~4× smaller), quantizes activations per call ' +
      (bytes.has('RNN') ? '(LSTM becomes DynamicQuantizeLSTM) ' : '') + 'and needs no calibration data';
  }
  // A decoder pays where it is memory-bound: judge the conversion on decode and on the tokens it generates.
  if (takesKvCache(model)) advice += DECODER_ADVICE;
  return [modelFinding(FLOAT32_QUANTIZABLE.id,
    `${formatBytes(total)} of float32 weights in quantizable ops: ${breakdown}. ${advice[0].toUpperCase()}${advice.slice(1)}. ` +
    `Largest: '${largest.t.name || nameOf.get(largest.t)}' ${formatBytes(largest.t.byteLength)} read by this ${largest.node.opType}.`,
    { kind: 'node', node: largest.node })];
}

export const FLOAT32_QUANTIZABLE: ModelRule = {
  id: 'ONNX001',
  name: 'float32-weights-quantizable',
  target: 'model',
  defaultSeverity: 'information',
  docs: {
    summary: 'Float32 weights in MatMul/Gemm, Conv, LSTM/GRU or embedding ops that quantization would shrink, with the method that fits.',
    whatItDoes:
      'Adds up the float32 weight bytes each quantizable op family reads (MatMul/Gemm, Conv/ConvTranspose, LSTM/GRU/RNN, ' +
      'Gather embeddings) and, above 1 MiB in a model that is not quantized yet, suggests the method that fits the mix: ' +
      'dynamic int8 for MatMul/Gemm-heavy transformers, MLPs and RNNs; static int8 QDQ with calibration for CNNs (and a ' +
      'warning against dynamic quantization there); int4 weight-only (MatMulNBits) for LLM-scale MatMul weights. The ' +
      'finding sits on the op that reads the largest weight.',
    whyItCosts:
      'Weights are read from memory on every inference. Int8 stores them 4× smaller (int4 8×), so models load faster, fit ' +
      'smaller instances and, on CPUs with VNNI/AMX or GPUs with int8 tensor cores, run MatMul and Conv faster. The wrong ' +
      'method costs instead: dynamically quantized convolutions (ConvInteger) are a known cause of "quantized model slower ' +
      'than fp32" reports.',
    example: 'bert.onnx: 42 MiB float32 in MatMul/Gemm and Gather (embeddings), no QuantizeLinear/MatMulInteger in the graph.',
    useInstead:
      'from onnxruntime.quantization import quantize_dynamic, QuantType\n' +
      'quantize_dynamic("bert.onnx", "bert.int8.onnx", weight_type=QuantType.QInt8)\n' +
      '# CNNs: quantize_static(model, out, calibration_reader, quant_format=QuantFormat.QDQ, per_channel=True)',
  },
  check,
};
