import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';

/** Below this default-domain opset, the quantization and fusion paths people need today are closed. */
const MIN_OPSET = 13;
const MIN_IR = 7;

function check(ctx: ModelContext): Finding[] {
  const { model } = ctx;
  const opset = model.opsets[''];
  const out: Finding[] = [];
  if (opset !== undefined && opset < MIN_OPSET) {
    out.push(modelFinding(OLD_OPSET.id,
      `default-domain opset ${opset} is old: per-channel QDQ quantization needs opset 13, bfloat16 ops 13, ` +
      'LayerNormalization 17, Gelu 20, int4 QDQ 21. Convert it (`inference-lens optimize --only ONNX010`, or ' +
      'onnx.version_converter.convert_version(model, 17)) or re-export with a newer opset_version.',
      { kind: 'graph' }));
  }
  if (model.irVersion > 0 && model.irVersion < MIN_IR) {
    out.push(modelFinding(OLD_OPSET.id,
      `IR version ${model.irVersion} is old (IR 7 came with ONNX 1.8): tools and runtimes drop support for old IR versions first, ` +
      'and initializers listed as graph inputs (IR < 4) cannot be constant-folded. Re-save the model with a current onnx.',
      { kind: 'graph' }));
  }
  return out;
}

export const OLD_OPSET: ModelRule = {
  id: 'ONNX010',
  name: 'old-opset-or-ir',
  target: 'model',
  defaultSeverity: 'information',
  docs: {
    summary: 'A default-domain opset below 13 or an IR version below 7, which blocks newer kernels, fusions and quantization formats.',
    whatItDoes: 'Reads the model\'s opset_import and ir_version and flags, on the header line, an ai.onnx opset below 13 or an IR version below 7, naming what each newer opset would unlock.',
    whyItCosts:
      'Ops are versioned: an opset-11 model cannot use per-channel QuantizeLinear (13), LayerNormalization (17), Gelu (20) ' +
      'or int4 QDQ (21), so quantization tools refuse or fall back to slower formats, and fused kernels cannot be used.',
    example: '<ir_version: 6, opset_import: ["" : 11]>',
    useInstead: 'import onnx\nm = onnx.version_converter.convert_version(onnx.load("model.onnx"), 17)\nonnx.save(m, "model.op17.onnx")',
    fix: '`inference-lens optimize model.onnx --only ONNX010` (or the quick fix) writes a copy at opset 17 and IR 8, then the A/B. ' +
      'Ops whose meaning did not change only get the new version; attributes that became inputs (Squeeze/Unsqueeze/ReduceSum axes and Split\'s split at 13, ' +
      'Clip\'s min/max and Pad\'s pads/value at 11, Slice\'s starts/ends/axes and TopK\'s k at 10) become Constant inputs; Softmax, LogSoftmax and Hardmax ' +
      'over the last axis keep their meaning (opset 13 changed the others); a Dropout whose mask nothing reads becomes Identity. ' +
      'It refuses the whole upgrade, naming the ops, for anything else: Upsample, Resize-10, RoiAlign, Scan-8, OneHot (negative indices wrap from 11), ConvTranspose with SAME_* padding below 11, a Softmax over another axis, a Dropout mask that is read, ' +
      'ops it does not list, opsets below 7. onnx.version_converter has adapters for those. An old IR version alone is raised to 8. Not part of "Optimize model": a newer opset needs a newer runtime.',
  },
  check,
};
