/**
 * The arithmetic a dense node (Conv, MatMul, Gemm, RNN, attention) runs in, so that the cost estimate
 * prices an int8 or fp16 model at its own peak rather than at float32's. Pure.
 *
 * - int8: the integer kernels (MatMulInteger, ConvInteger, QLinearMatMul/Conv, QGemm, DynamicQuantizeMatMul,
 *   MatMulIntegerToFloat, DynamicQuantizeLSTM), a MatMul/Conv/Gemm whose input 0 and weight are both
 *   produced by DequantizeLinear of 8-bit tensors (the QDQ pair ONNX Runtime fuses into a QLinear kernel),
 *   and MatMulNBits with accuracy_level 4 (int8 compute on CPU).
 * - fp16: a float op whose input 0 is float16 or bfloat16.
 * - fp32: everything else, including weight-only DequantizeLinear → MatMul and MatMulNBits below
 *   accuracy_level 4 (ONNX Runtime dequantizes the weights and computes in float32 on CPU).
 * Weight bytes need nothing here: the summary counts each initializer at its stored type.
 */
import { DataType, NodeInfo } from './model';

export type ComputePrecision = 'fp32' | 'fp16' | 'int8';

const INTEGER_KERNELS = new Set(['MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv', 'QGemm', 'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat', 'DynamicQuantizeLSTM']);
const QDQ_FUSABLE = new Set(['MatMul', 'Conv', 'Gemm', 'ConvTranspose']);
const EIGHT_BIT = new Set<number>([DataType.INT8, DataType.UINT8]);
const HALF = new Set<number>([DataType.FLOAT16, DataType.BFLOAT16]);

export interface PrecisionContext {
  /** The node that writes a value in the same graph, if any. */
  producer(name: string): NodeInfo | undefined;
  /** A value's element type (0 when unknown). */
  elemType(name: string): number;
}

/** True for a DequantizeLinear of an int8/uint8 tensor. */
function dequantized8bit(name: string | undefined, ctx: PrecisionContext): boolean {
  const p = name ? ctx.producer(name) : undefined;
  return !!p && p.opType === 'DequantizeLinear' && EIGHT_BIT.has(ctx.elemType(p.inputs[0]));
}

export function densePrecision(n: NodeInfo, ctx: PrecisionContext): ComputePrecision {
  if (INTEGER_KERNELS.has(n.opType)) return 'int8';
  if (n.opType === 'MatMulNBits') {
    const a = n.attributes.get('accuracy_level');
    return a?.kind === 'int' && a.value === 4 ? 'int8' : 'fp32';
  }
  if (QDQ_FUSABLE.has(n.opType) && dequantized8bit(n.inputs[0], ctx) && dequantized8bit(n.inputs[1], ctx)) return 'int8';
  return HALF.has(ctx.elemType(n.inputs[0])) ? 'fp16' : 'fp32';
}

/** MACs per precision, for the estimate: all of them under one key when nothing is quantized or half. */
export type MacsByPrecision = Partial<Record<ComputePrecision, number>>;

/** The share of dense MACs in float arithmetic (fp32 or fp16): what int8 quantization could still speed up. */
export function floatShare(m: MacsByPrecision): number {
  const total = (m.fp32 ?? 0) + (m.fp16 ?? 0) + (m.int8 ?? 0);
  return total > 0 ? ((m.fp32 ?? 0) + (m.fp16 ?? 0)) / total : 1;
}
