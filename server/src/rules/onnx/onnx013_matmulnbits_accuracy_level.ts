import type { Finding, ModelContext, ModelRule } from '../types';
import { allNodes, intAttr, modelFinding } from './graph';
import { takesKvCache } from '../../onnx/generative';

function check(ctx: ModelContext): Finding[] {
  const out: Finding[] = [];
  const decoder = takesKvCache(ctx.model)
    ? ' In a decoder, int8 compute is faster at decode but can flip greedy tokens: compare the generated tokens (`inference-lens compare` on the two models judges a decoder by its greedy token agreement; `bench --generate` times decode).'
    : '';
  for (const { node } of allNodes(ctx.model)) {
    if (node.opType !== 'MatMulNBits' || node.domain !== 'com.microsoft') continue;
    const level = intAttr(node, 'accuracy_level');
    if (level !== undefined && level !== 0) continue;
    out.push(modelFinding(MATMULNBITS_ACCURACY.id,
      `MatMulNBits${node.name ? ` '${node.name}'` : ''} has ${level === undefined ? 'no accuracy_level' : 'accuracy_level=0'}: ` +
      'on CPU, ONNX Runtime then dequantizes the weights and computes in float32. Set accuracy_level=4 (int8 compute) ' +
      `to use the fast integer kernels.${decoder}`,
      { kind: 'node', node }));
  }
  return out;
}

export const MATMULNBITS_ACCURACY: ModelRule = {
  id: 'ONNX013',
  name: 'matmulnbits-accuracy-level',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A com.microsoft MatMulNBits (int4/int8 weight-only) without accuracy_level, which runs ONNX Runtime\'s slow float32 path on CPU.',
    whatItDoes: 'Flags every MatMulNBits node whose accuracy_level attribute is missing or 0 (unset).',
    whyItCosts:
      'accuracy_level is the minimum precision of the computation. Left unset, the CPU provider unpacks the 4-bit weights ' +
      'to float32 and runs a float GEMM, so the model is smaller but not faster; accuracy_level=4 quantizes activations to ' +
      'int8 and uses the integer kernels that make weight-only quantization pay on CPU.',
    example: 'y = com.microsoft.MatMulNBits <K = 4096, N = 4096, bits = 4, block_size = 32> (x, w_q, scales)',
    useInstead:
      'MatMul4BitsQuantizer(model, block_size=32, is_symmetric=True, accuracy_level=4)\n' +
      '# or: python -m onnxruntime.quantization.matmul_4bits_quantizer --accuracy_level 4 ...',
  },
  check,
};
