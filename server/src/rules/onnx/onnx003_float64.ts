import { DataType } from '../../onnx/model';
import { formatBytes, weightTensors } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { allNodes, intAttr, modelFinding } from './graph';

function check(ctx: ModelContext): Finding[] {
  const { model } = ctx;
  const out: Finding[] = [];
  const doubles = [...weightTensors(model)].filter(({ tensor }) => tensor.dataType === DataType.DOUBLE && tensor.elements > 0);
  if (doubles.length) {
    const bytes = doubles.reduce((s, d) => s + d.tensor.byteLength, 0);
    const first = doubles[0].tensor;
    out.push(modelFinding(FLOAT64.id,
      `${doubles.length} float64 weight tensor${doubles.length > 1 ? 's' : ''} (${formatBytes(bytes)}), first '${first.name}': ` +
      'double precision doubles memory traffic and has few fast kernels; convert to float32.',
      { kind: 'tensor', name: first.name }));
  }
  for (const v of model.graph.inputs) {
    if (v.elemType === DataType.DOUBLE) out.push(modelFinding(FLOAT64.id, `input '${v.name}' is float64: every op downstream computes in double precision.`, { kind: 'tensor', name: v.name }));
  }
  for (const { node } of allNodes(model)) {
    if (node.opType === 'Cast' && node.domain === '' && intAttr(node, 'to') === DataType.DOUBLE) {
      out.push(modelFinding(FLOAT64.id, `Cast to float64: what follows computes in double precision, which GPU providers and most CPU kernels do not accelerate.`, { kind: 'node', node }));
    }
  }
  return out;
}

export const FLOAT64: ModelRule = {
  id: 'ONNX003',
  name: 'float64-weights-or-compute',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Float64 (double) weights, inputs or Casts to float64 in an inference graph.',
    whatItDoes: 'Flags float64 initializers and Constant values (once, with their count and bytes), float64 graph inputs, and every Cast with `to = DOUBLE`.',
    whyItCosts:
      'Double precision needs twice the memory bandwidth of float32 and 4× that of float16, and most accelerated kernels ' +
      '(CUDA, TensorRT, DirectML, int8 paths) do not support it: ONNX Runtime falls back to slow CPU kernels or inserts ' +
      'copies. Inference almost never needs it; it usually comes from NumPy defaults (np.float64) at export time.',
    example: 'torch.onnx.export(model.double(), ...)  # or a Cast(to=DOUBLE) from a numpy float64 constant',
    useInstead: 'model = model.float()  # export in float32; build constants with np.float32',
    fix: '`inference-lens optimize model.onnx --only ONNX003` (or the quick fix on the finding) writes a copy that computes in float32: float64 weights, Constants, Casts and values become float32, and a float64 input or output keeps its type through a boundary Cast. It refuses, with the reason, when a node chooses its own output type (`dtype`) or a subgraph uses float64. The A/B run against the original reports the agreement.',
  },
  check,
};
