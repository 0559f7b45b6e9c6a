import { formatBytes, weightTensors } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';

/** Protobuf cannot serialise a message over 2 GiB; warn well before a model gets there. */
const PROTOBUF_LIMIT = 2 ** 31;
const WARN_BYTES = 2 ** 30;

function check(ctx: ModelContext): Finding[] {
  let inline = 0;
  for (const { tensor } of weightTensors(ctx.model)) if (tensor.location && !tensor.location.external) inline += tensor.location.length;
  if (inline < WARN_BYTES) return [];
  const pct = Math.round((100 * inline) / PROTOBUF_LIMIT);
  return [modelFinding(LARGE_INLINE_WEIGHTS.id,
    `${formatBytes(inline)} of weights are stored inside the .onnx (${pct}% of protobuf's 2 GiB message limit): the model ` +
    'must be parsed whole to load, cannot grow past 2 GiB, and every tool copies it into memory. Save the weights as external data.',
    { kind: 'graph' })];
}

export const LARGE_INLINE_WEIGHTS: ModelRule = {
  id: 'ONNX012',
  name: 'large-inline-weights',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Over 1 GiB of weights stored inside the .onnx file instead of as external data.',
    whatItDoes: 'Adds up the bytes of initializers and Constant values stored in the model file itself and flags the model when they pass 1 GiB, with how close they are to protobuf\'s 2 GiB limit.',
    whyItCosts:
      'A protobuf message cannot exceed 2 GiB, so such a model cannot grow (a fine-tune or an extra head breaks the export), ' +
      'and most tools (onnx.load, the Python checker, converters) read the whole file into memory before doing anything. ' +
      'External data lets runtimes memory-map weights and tools read the graph alone.',
    example: 'model.onnx   1.6 GiB, no model.onnx.data beside it',
    useInstead:
      'onnx.save_model(m, "model.onnx", save_as_external_data=True, all_tensors_to_one_file=True,\n' +
      '                location="model.onnx.data", size_threshold=1024)',
    fix: '`inference-lens optimize model.onnx --only ONNX012` (or the quick fix) writes a copy with its weights in `<copy>.onnx.data` (tensors of 1 KiB and more), streamed tensor by tensor.',
  },
  check,
};
