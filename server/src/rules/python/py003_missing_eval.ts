import type { Finding, PythonContext, PythonRule } from '../types';
import { enclosingClass, methodName, positionalArgs, receiver } from '../../code/python/semantics';
import { requestContext } from '../../code/python/serving';
import { usedForInference, inEvalMode, modelFacts } from '../../code/python/models';
import { nodeRange } from '../helpers';
import { insertAfter, ownLineStatement } from './fixes';

/** Loads whose train/eval flag we cannot see (TorchScript and exported programs keep what was saved). */
const OPAQUE = /^torch\.(jit|export)\./;

/** `self.model.train()` in a request handler: the served model is put back in training mode on every request. */
function trainModePerRequest(ctx: PythonContext): Finding[] {
  const out: Finding[] = [];
  for (const call of ctx.module.calls) {
    if (methodName(call) !== 'train' || !/^(True)?$/.test(positionalArgs(call).map((a) => a.text).join(','))) continue;
    const recv = receiver(call)?.text ?? '';
    if (!SERVED_MODEL.test(recv) || !requestContext(ctx.module, call)) continue;
    out.push({
      rule: PY003.id,
      message: `\`${recv}.train()\` runs on every request: the served model leaves eval mode, so dropout is active and batch norm ` +
        'normalises with each batch\'s statistics (and updates its running averages). Call `.eval()` once after loading instead.',
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return out;
}

const SERVED_MODEL = /^(self\.)?(model|net|network|generator|classifier|detector|encoder|segmenter)$/;

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  const perRequest = trainModePerRequest(ctx);
  if (facts.trains) return perRequest;
  const findings: Finding[] = [...perRequest];
  for (const b of usedForInference(ctx.module, facts)) {
    if (b.kind !== 'torch' || OPAQUE.test(b.loader) || b.escapes || inEvalMode(facts, b)) continue;
    // A submodule (`self.encoder = CNN()` in an nn.Module) follows its parent's `.eval()`: the finding belongs on the top-level model.
    const holder = b.key.startsWith('self.') ? enclosingClass(b.call)?.childForFieldName('name')?.text : undefined;
    if (holder && facts.moduleClasses.has(holder)) continue;
    // A local module class without dropout or batch norm behaves the same in both modes.
    // (`Outer.Net` for a class nested in another one of the file.)
    const head = b.loader.split('.')[0];
    const cls = facts.moduleClasses.get(b.loader) ?? (ctx.module.imports.has(head) ? undefined : facts.moduleClasses.get(b.loader.split('.').pop()!));
    if (cls && !cls.modeDependent) continue;
    const stmt = ownLineStatement(ctx.text, b.call);
    findings.push({
      rule: PY003.id,
      message: `\`${b.key}\` (\`${b.loader.split('.').slice(-2).join('.')}\`) is used for inference but never switched to eval mode: ` +
        'dropout stays active and batch norm normalises with each batch\'s statistics, so outputs are noisy and batch-dependent. Call `.eval()` once after loading.',
      range: nodeRange(b.call.childForFieldName('function') ?? b.call),
      fixes: stmt ? [{ title: `Add \`${b.key}.eval()\` after the load`, edits: [insertAfter(ctx.text, stmt, `${b.key}.eval()`)] }] : [],
    });
  }
  return findings;
}

export const PY003: PythonRule = {
  id: 'PY003',
  name: 'model-not-in-eval-mode',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A torch model is used for inference without `.eval()`.',
    whatItDoes:
      'Flags torch models (`torch.load`, `torch.hub.load`, torchvision and timm constructors, instances of nn.Module ' +
      'classes defined in the file that contain dropout or batch norm) that are called for inference but never get `.eval()` ' +
      'or `.train(False)`. Transformers `from_pretrained` already returns eval mode and is not flagged, nor are TorchScript ' +
      'loads, models passed to functions that may switch the mode, files that train, or networks held by another nn.Module ' +
      '(`self.encoder = CNN()`: the parent\'s `.eval()` reaches them; the finding belongs on the top-level model). ' +
      'Also flags `self.model.train()` run on every request (a handler putting the served model back in training mode).',
    whyItCosts:
      'In training mode dropout zeroes random activations (extra random-number generation and masking on every call) and ' +
      'batch norm uses the statistics of the current batch and updates its running averages: predictions change with ' +
      'batch composition and from one call to the next. Teams chase the accuracy gap with bigger models or ensembles, ' +
      'which is cost; and the mask work is pure overhead.',
    example: [
      'model = torchvision.models.resnet50(weights="IMAGENET1K_V2")',
      '',
      '@app.post("/predict")',
      'def predict(img: Image):',
      '    with torch.inference_mode():',
      '        return model(preprocess(img)).argmax().item()',
    ].join('\n'),
    useInstead: [
      'model = torchvision.models.resnet50(weights="IMAGENET1K_V2")',
      'model.eval()',
    ].join('\n'),
  },
  check,
};
