import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { enclosingFunction, importsPackage, keywordArg, methodName, receiver } from '../../code/python/semantics';
import { bindingOf, modelFacts } from '../../code/python/models';
import { loaderKind } from '../../code/python/bindings';
import { qualifiedCallee } from '../../code/python/semantics';
import { nodeRange } from '../helpers';

/** Static-shape runtimes need inputs padded to a fixed length. */
const STATIC_SHAPES = ['onnxruntime', 'tensorrt', 'openvino', 'torch_xla', 'torch_neuronx', 'torch_neuron', 'optimum.onnxruntime', 'optimum.neuron', 'optimum.intel', 'optimum.exporters', 'coremltools', 'tflite_runtime'];
const TOKENIZE_METHODS = new Set(['encode', 'encode_plus', 'batch_encode_plus', '__call__', 'apply_chat_template']);

function kwNode(call: Node, name: string): Node | undefined {
  return keywordArg(call, name)?.parent ?? undefined;
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  // Stable Diffusion conditions on exactly 77 CLIP tokens (the UNet's cross-attention and the pipelines' prompt
  // embeddings expect that length), and its checkpoints name their slow CLIP tokenizers by subfolder.
  const diffusers = importsPackage(ctx.module, 'diffusers');
  const staticShapes = diffusers || STATIC_SHAPES.some((p) => importsPackage(ctx.module, p)) || ctx.module.context.flags.staticRuntime;
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const m = methodName(call);
    const useCache = kwNode(call, 'use_cache');
    if (m === 'generate' && useCache && keywordArg(call, 'use_cache')?.text === 'False') {
      findings.push({
        rule: PY010.id,
        message: '`use_cache=False` makes `generate` recompute attention over the whole sequence for every new token ' +
          '(quadratic work instead of linear). Drop it.',
        range: nodeRange(useCache),
      });
    }
    const padding = kwNode(call, 'padding');
    if (padding && !staticShapes && !facts.trains && /^["']max_length["']$/.test(keywordArg(call, 'padding')?.text ?? '') && isTokenizerCall(ctx, facts, call)) {
      findings.push({
        rule: PY010.id,
        message: '`padding="max_length"` pads every input to the full length, so the model computes on padding tokens ' +
          '(attention cost grows with the square of the length). Use `padding=True` (pad to the longest in the batch) with `truncation=True`.',
        range: nodeRange(padding),
      });
    }
    const padMax = kwNode(call, 'pad_to_max_length');
    if (padMax && !staticShapes && !facts.trains && keywordArg(call, 'pad_to_max_length')?.text === 'True' && isTokenizerCall(ctx, facts, call)) {
      findings.push({
        rule: PY010.id,
        message: '`pad_to_max_length=True` (the older spelling of `padding="max_length"`) pads every input to the full length, so the model ' +
          'computes on padding tokens. Use `padding=True` (pad to the longest in the batch) with `truncation=True`.',
        range: nodeRange(padMax),
      });
    }
    if (m === 'generate' || /(^|\.)GenerationConfig$/.test(qualifiedCallee(ctx.module, call) ?? '')) {
      for (const [kw, field] of EXTRA_OUTPUTS) {
        const node = kwNode(call, kw);
        if (!node || keywordArg(call, kw)?.text !== 'True' || readsOutput(call, field)) continue;
        findings.push({
          rule: PY010.id,
          message: `\`${kw}=True\` makes \`generate\` keep ${field === 'scores' ? 'a vocabulary-sized score tensor per generated token' : `every layer's ${field} for every step`}, ` +
            `but \`.${field}\` is never read here: that memory (and its device-to-host traffic) buys nothing. Drop it.`,
          range: nodeRange(node),
        });
      }
    }
    const useFast = kwNode(call, 'use_fast');
    if (useFast && keywordArg(call, 'use_fast')?.text === 'False' && !(diffusers && keywordArg(call, 'subfolder'))) {
      const q = qualifiedCallee(ctx.module, call) ?? '';
      if (loaderKind(q, new Map()) === 'tokenizer' || q === 'transformers.pipeline') {
        findings.push({
          rule: PY010.id,
          message: '`use_fast=False` selects the pure-Python tokenizer, typically 10-100x slower than the Rust one on batches. Drop it unless the model has no fast tokenizer.',
          range: nodeRange(useFast),
        });
      }
    }
  }
  return findings;
}

/** `generate` options that return more than the tokens, with the output field that holds it. */
const EXTRA_OUTPUTS: [string, string][] = [['output_scores', 'scores'], ['output_attentions', 'attentions'], ['output_hidden_states', 'hidden_states'], ['output_logits', 'logits']];

/** Whether the function (or module code) that makes the call reads that output anywhere (`.scores`, `["scores"]`). */
function readsOutput(call: Node, field: string): boolean {
  const scope = enclosingFunction(call) ?? call.tree.rootNode;
  return new RegExp(`\\.${field}\\b|\\[["']${field}["']\\]|\\b${field}\\s*=|get\\(["']${field}`).test(scope.text);
}

function isTokenizerCall(ctx: PythonContext, facts: ReturnType<typeof modelFacts>, call: Node): boolean {
  const fn = call.childForFieldName('function');
  const direct = bindingOf(ctx.module, facts, fn);
  if (direct) return direct.kind === 'tokenizer';
  const m = methodName(call);
  const b = m ? bindingOf(ctx.module, facts, receiver(call)) : undefined;
  if (b) return b.kind === 'tokenizer' && TOKENIZE_METHODS.has(m!);
  return /tokeni[sz]er|processor/i.test(fn?.text ?? '');
}

export const PY010: PythonRule = {
  id: 'PY010',
  name: 'wasteful-generation-settings',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Generation or tokenisation settings that waste compute: `use_cache=False`, fixed `max_length` padding, slow tokenizers.',
    whatItDoes:
      'Flags `use_cache=False` passed to `generate(...)`; `padding="max_length"` and its older spelling ' +
      '`pad_to_max_length=True` in tokenizer calls (unless the file feeds a static-shape runtime such as ONNX Runtime, AWS Neuron, ' +
      'TensorRT, OpenVINO, XLA or Neuron, where fixed shapes are required); `use_fast=False` when loading a tokenizer or ' +
      'pipeline; and `output_scores`/`output_attentions`/`output_hidden_states`/`output_logits=True` passed to `generate` ' +
      '(or a `GenerationConfig`) when the function never reads that field of the result.',
    whyItCosts:
      'Without the KV cache every generated token re-runs attention over the whole prefix: generating n tokens costs ' +
      'O(n^2) instead of O(n), often 5-20x the time for long outputs. Padding a 20-token request to 512 multiplies ' +
      'the compute of a transformer by roughly 25x (more in attention). The Python tokenizers are an order of ' +
      'magnitude slower than the Rust ones and hold the GIL.',
    example: [
      'inputs = tokenizer(texts, padding="max_length", max_length=512, return_tensors="pt")',
      'out = model.generate(**inputs, max_new_tokens=128, use_cache=False)',
    ].join('\n'),
    useInstead: [
      'inputs = tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")',
      'out = model.generate(**inputs, max_new_tokens=128)',
    ].join('\n'),
  },
  check,
};
