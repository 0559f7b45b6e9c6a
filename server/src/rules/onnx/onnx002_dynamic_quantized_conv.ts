import type { Finding, ModelContext, ModelRule } from '../types';
import { allNodes, modelFinding } from './graph';

function check(ctx: ModelContext): Finding[] {
  const convs = [...allNodes(ctx.model)].filter(({ node }) => node.opType === 'ConvInteger' && node.domain === '').map((x) => x.node);
  if (!convs.length) return [];
  // Dynamic quantization leaves its trace: activations quantized per call by DynamicQuantizeLinear.
  const dynamic = [...allNodes(ctx.model)].some(({ node }) => node.opType === 'DynamicQuantizeLinear');
  if (!dynamic) return [];
  return [modelFinding(DYNAMIC_QUANTIZED_CONV.id,
    `${convs.length} convolution${convs.length > 1 ? 's are' : ' is'} dynamically quantized (ConvInteger fed by DynamicQuantizeLinear). ` +
    'ONNX Runtime has no fused fast path for this on CPU: each call quantizes the activations and runs ConvInteger, which is often ' +
    'slower than the float32 model. Re-quantize statically (QDQ, per-channel, with calibration data) or quantize only MatMul/Gemm.',
    { kind: 'node', node: convs[0] })];
}

export const DYNAMIC_QUANTIZED_CONV: ModelRule = {
  id: 'ONNX002',
  name: 'dynamic-quantized-conv',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Convolutions quantized with dynamic quantization (ConvInteger + DynamicQuantizeLinear), which is often slower than float32.',
    whatItDoes:
      'Flags a model whose Conv layers became ConvInteger fed by DynamicQuantizeLinear, the output of ' +
      '`quantize_dynamic` on a CNN. The finding sits on the first ConvInteger and counts them all.',
    whyItCosts:
      'Dynamic quantization computes activation scales at run time, for every call and every layer. For MatMul-heavy ' +
      'transformers that overhead is small next to the int8 speed-up; for convolutions ONNX Runtime\'s CPU provider has ' +
      'no fused dynamic path, so the model pays the quantize/dequantize work and runs a slow ConvInteger kernel: users ' +
      'report the "quantized" model slower than the float32 one.',
    example: 'quantize_dynamic("resnet50.onnx", "resnet50.int8.onnx")  # → ConvInteger ×53',
    useInstead:
      'quantize_static("resnet50.onnx", "resnet50.int8.onnx", calibration_reader,\n' +
      '                quant_format=QuantFormat.QDQ, per_channel=True)\n' +
      '# or keep convs in float: quantize_dynamic(..., op_types_to_quantize=["MatMul", "Gemm"])',
  },
  check,
};
