import type { Node } from 'web-tree-sitter';
import type { Finding, ScriptContext, ScriptRule } from '../types';
import { isPipelineCall, isPretrainedModel } from '../../code/script/semantics';
import { stringValue } from '../../code/script/imports';
import { callArgs } from './common';
import { nodeRange } from '../helpers';

const GPU_DEVICES = /^(webgpu|gpu|cuda|dml|coreml|webnn.*)$/;

function pairs(obj: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const p of obj.namedChildren) {
    if (p?.type !== 'pair') continue;
    const key = p.childForFieldName('key');
    const k = key?.type === 'string' ? stringValue(key) : key?.text;
    if (k) out.set(k, p);
  }
  return out;
}

/** `dtype: 'fp32'`, or a per-module dtype object whose every value is 'fp32'. */
function fullPrecisionDtype(value: Node | null): boolean {
  if (!value) return false;
  if (stringValue(value) === 'fp32') return true;
  if (value.type !== 'object') return false;
  const vals = [...pairs(value).values()].map((p) => stringValue(p.childForFieldName('value')));
  return vals.length > 0 && vals.every((v) => v === 'fp32');
}

function check(ctx: ScriptContext): Finding[] {
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    if (!call || !(isPipelineCall(ctx.module, call) || isPretrainedModel(ctx.module, call))) continue;
    const opts = callArgs(call).find((a) => a.type === 'object');
    if (!opts) continue;
    const p = pairs(opts);
    const deviceNode = p.get('device')?.childForFieldName('value');
    const device = stringValue(deviceNode);
    if (device && GPU_DEVICES.test(device)) continue; // fp32/fp16 is the usual choice on GPU
    // `device: navigator.gpu ? 'webgpu' : 'wasm'`: a GPU where there is one, and fp32 is chosen for it.
    if (!device && deviceNode?.descendantsOfType('string').some((s) => !!s && GPU_DEVICES.test(stringValue(s) ?? ''))) continue;
    const dtype = p.get('dtype'), quantized = p.get('quantized');
    const dtypeValue = dtype?.childForFieldName('value') ?? null;
    if (dtype && fullPrecisionDtype(dtypeValue)) {
      const simple = stringValue(dtypeValue) === 'fp32';
      findings.push({
        rule: JS004.id,
        message: "transformers.js model loaded at full precision (`dtype: 'fp32'`): the 8-bit variant (`'q8'`) is about " +
          '4x smaller and usually faster on CPU, with a small accuracy cost.',
        range: nodeRange(dtype),
        fixes: simple ? [{ title: "Load the 8-bit quantized variant (dtype: 'q8')", edits: [{ range: nodeRange(dtypeValue!), newText: "'q8'" }] }] : [],
      });
    } else if (quantized && quantized.childForFieldName('value')?.text === 'false') {
      findings.push({
        rule: JS004.id,
        message: 'transformers.js model loaded unquantized (`quantized: false`): the quantized variant is about 4x ' +
          'smaller and usually faster on CPU, with a small accuracy cost.',
        range: nodeRange(quantized),
        fixes: [{ title: 'Load the quantized variant (quantized: true)', edits: [{ range: nodeRange(quantized.childForFieldName('value')!), newText: 'true' }] }],
      });
    }
  }
  return findings;
}

export const JS004: ScriptRule = {
  id: 'JS004',
  name: 'full-precision-pipeline',
  target: 'script',
  defaultSeverity: 'warning',
  docs: {
    summary: "A transformers.js pipeline or model is loaded at full precision (`dtype: 'fp32'`, `quantized: false`).",
    whatItDoes:
      "Flags `pipeline(...)` and `X.from_pretrained(...)` from `@huggingface/transformers` / `@xenova/transformers` " +
      "(model classes, not tokenizers or processors, which have no weights) whose options ask for the float32 weights: `dtype: 'fp32'` (v3, also per-module dtype objects that are all " +
      "fp32) or `quantized: false` (v2). Loads with `device: 'webgpu'` (or another GPU device) are left alone: " +
      'there fp32/fp16 is the usual choice. Hub repositories converted for transformers.js (Xenova/*, ' +
      'onnx-community/*) ship quantized variants beside the fp32 model.',
    whyItCosts:
      'fp32 weights are 4x the bytes of the 8-bit variant: more to download and cache, more memory per worker, ' +
      'and on CPU (Node, WASM) slower matrix multiplies. For most classification, embedding and ASR models the ' +
      '8-bit variant changes scores in the second or third decimal.',
    example: [
      "import { pipeline } from '@huggingface/transformers';",
      '',
      "const extractor = await pipeline('feature-extraction', 'Xenova/all-MiniLM-L6-v2', { dtype: 'fp32' });",
    ].join('\n'),
    useInstead: [
      "import { pipeline } from '@huggingface/transformers';",
      '',
      "const extractor = await pipeline('feature-extraction', 'Xenova/all-MiniLM-L6-v2', { dtype: 'q8' });",
      '',
      '// Check the accuracy you need on your own data; keep fp32 (and silence this line) where it matters:',
      '// // inference-lens: ignore[JS004]',
    ].join('\n'),
  },
  check,
};
