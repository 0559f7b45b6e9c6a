/** ONNX012's fix: the copy keeps its weights in `<model>.onnx.data` (tensors of 1 KiB and more), as onnx.save_model(save_as_external_data=True) does. Opt-in. */
import type { Pass, PassContext, PassResult } from './pass';

function run(ctx: PassContext): PassResult {
  ctx.externalData = true;
  return { changed: 1, notes: ['weights written to external data beside the model (<name>.onnx.data)'] };
}

export const EXTERNAL_DATA: Pass = { rule: 'ONNX012', title: 'Move weights to external data', default: false, run };
