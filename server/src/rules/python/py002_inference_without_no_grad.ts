import { requestContext } from '../../code/python/serving';
import type { Finding, Fix, PythonContext, PythonRule } from '../types';
import { enclosingClass, enclosingFunction, functionName, isAsync } from '../../code/python/semantics';
import { gradNeverTracked, inferenceCall, modelFacts, underNoGrad } from '../../code/python/models';
import { nodeRange, insertionAt } from '../helpers';
import { AUTOGRAD_OFF_METHODS } from '../../code/python/library';
import { ensureImport, indentOf, ownLineStatement, wrapStatement } from './fixes';

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  if (facts.trains) return [];
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const inf = inferenceCall(ctx.module, facts, call);
    // A model handed in as a parameter: the caller may well run it under no_grad; unless the function is on a
    // request path whose callers (all of them known) do not (underNoGrad below knows when every caller does).
    if (!inf || (inf.binding.kind !== 'torch' && inf.binding.kind !== 'hf-model')) continue;
    if (inf.binding.param && !requestContext(ctx.module, call)?.chain) continue;
    if (AUTOGRAD_OFF_METHODS.has(inf.method)) continue; // transformers' generate() and the chat helpers built on it already run under no_grad
    if (gradNeverTracked(facts, inf.binding) || underNoGrad(ctx.module, facts, call)) continue;
    const cls = enclosingClass(call);
    const clsName = cls?.childForFieldName('name')?.text;
    if (clsName && facts.moduleClasses.has(clsName)) continue; // a submodule inside a model's forward: the caller decides
    findings.push({
      rule: PY002.id,
      message: `\`${inf.binding.key}\` runs with autograd on: every call records a graph and keeps activations for a backward pass that never comes. ` +
        'Run it under `torch.inference_mode()`.',
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: fixesFor(ctx, call),
    });
  }
  return findings;
}

function fixesFor(ctx: PythonContext, call: Parameters<typeof enclosingFunction>[0]): Fix[] {
  const torch = ensureImport(ctx.module, 'torch');
  const fixes: Fix[] = [];
  const fn = enclosingFunction(call);
  // A decorator on an async def would exit inference mode before the coroutine body runs: wrap instead.
  if (fn && !isAsync(fn)) {
    fixes.push({
      title: `Decorate \`${functionName(fn)}\` with @${torch.name}.inference_mode()`,
      edits: [...torch.edits, { range: insertionAt(fn.startPosition.row), newText: `${indentOf(ctx.text, fn.startPosition.row)}@${torch.name}.inference_mode()\n` }],
    });
  }
  const stmt = ownLineStatement(ctx.text, call);
  if (stmt && !/^(if|for|while|with|try|def|class|decorated)/.test(stmt.type)) {
    fixes.push({ title: `Wrap in \`with ${torch.name}.inference_mode():\``, edits: [...torch.edits, wrapStatement(ctx.text, stmt, `with ${torch.name}.inference_mode():`)] });
  }
  return fixes;
}

export const PY002: PythonRule = {
  id: 'PY002',
  name: 'inference-with-autograd',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A torch model runs inference outside `torch.no_grad()` / `torch.inference_mode()`.',
    whatItDoes:
      'Flags calls of a loaded torch or transformers model (`model(x)`, `model.forward(x)`, including `self.model` set in ' +
      '`__init__`/`initialize`) that are not under `with torch.no_grad()`/`torch.inference_mode()` and not in a function ' +
      'decorated with either. Models of nn.Module classes defined in other files of the workspace count. Stays silent in ' +
      'files that train (backward, optimizers, Trainer), for transformers `generate` and the chat helpers of remote-code ' +
      'LLMs built on it (`chat`, `stream_chat`, `stream_generate`), HF/diffusers pipelines and sentence-transformers ' +
      '`encode` (they disable autograd themselves), for submodules ' +
      'called inside a model\'s own `forward`, and when parameters are frozen (`requires_grad_(False)`) or grad is disabled ' +
      'for the whole module.',
    whyItCosts:
      'With autograd on, every operation records a node in the backward graph and keeps its inputs alive until the ' +
      'output is freed: activation memory grows with depth and batch size (often 2x or more the no-grad peak), and the ' +
      'bookkeeping adds CPU overhead per op. Under concurrency that memory caps the batch size and the number of ' +
      'replicas per GPU. `inference_mode` also skips version counting, so it is a little faster than `no_grad`.',
    example: [
      '@app.post("/classify")',
      'def classify(req: Request):',
      '    logits = model(**tokenizer(req.text, return_tensors="pt")).logits',
      '    return logits.softmax(-1).tolist()',
    ].join('\n'),
    useInstead: [
      '@app.post("/classify")',
      '@torch.inference_mode()',
      'def classify(req: Request):',
      '    logits = model(**tokenizer(req.text, return_tensors="pt")).logits',
      '    return logits.softmax(-1).tolist()',
      '',
      '# In an async handler, wrap the call instead (a decorator would not cover the coroutine body):',
      '#     with torch.inference_mode():',
      '#         logits = model(**inputs).logits',
    ].join('\n'),
  },
  check,
};
