import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { enclosingLoop, functionName, keywordArg, methodName, positionalArgs, qualifiedCallee, receiver } from '../../code/python/semantics';
import { requestContext } from '../../code/python/serving';
import { bindingOf, modelFacts } from '../../code/python/models';
import { nodeRange } from '../helpers';

const TENSOR_FACTORIES = /^torch\.(tensor|as_tensor|Tensor|FloatTensor|LongTensor|arange|linspace|ones|zeros|full|eye)$/;
const MOVES = new Set(['to', 'cuda', 'cpu']);
/** `self.model`, `self.control_model`, `self.vae`: an attribute that by its name holds a network (no binding needed). */
const MODEL_ATTRIBUTE = /^self\.(\w+_)?(model|net|unet|vae|encoder|decoder|backbone|detector|classifier|generator|transformer)s?$/;

/** Numbers, strings, and lists/tuples of them: a value that is the same on every request. */
function isLiteral(n: Node): boolean {
  switch (n.type) {
    case 'integer': case 'float': case 'true': case 'false': case 'none': case 'string': return true;
    case 'unary_operator': return !!n.namedChild(0) && isLiteral(n.namedChild(0)!);
    case 'list': case 'tuple': return n.namedChildren.every((c) => !!c && isLiteral(c));
    case 'attribute': return /^torch\.\w+$/.test(n.text); // torch.float32
    default: return false;
  }
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const req = requestContext(ctx.module, call);
    const loop = enclosingLoop(call);
    if (!req && !loop) continue;
    const where = req ? (req.fn ? `in \`${functionName(req.fn)}\` (${req.kind}), so it runs on every request` : `in ${req.kind}`) : 'inside a loop, so it runs per item';
    const m = methodName(call);
    if (m && MOVES.has(m)) {
      const recv = receiver(call);
      const b = bindingOf(ctx.module, facts, recv);
      // A model loaded in this same handler is PY001's finding; moving it is part of that load.
      const loadedHere = !!req?.fn && !!b?.call && b.call.startIndex >= req.fn.startIndex && b.call.endIndex <= req.fn.endIndex;
      // A parameter named like a model (`def __init__(self, model)`) is one whose type is unknown; `.to(device)` says it is a module.
      const model = b ? !loadedHere && b.kind !== 'tokenizer' && b.kind !== 'ort' && (b.kind !== 'other' || (!!b.param && isModelMove(call, m)))
        // Without a binding, only a network held by the object itself and moved on the request path (not per loop item).
        : !!req?.fn && MODEL_ATTRIBUTE.test(recv?.text ?? '') && isModelMove(call, m);
      if (model) {
        findings.push({
          rule: PY009.id,
          message: `\`${recv?.text ?? b!.key}.${m}(...)\` moves the model ${where}: move it once after loading` +
            (m === 'cpu' ? ' (offloading per request copies every weight back and forth)' : '') + '.',
          range: nodeRange(call.childForFieldName('function') ?? call),
        });
      }
      continue;
    }
    const q = qualifiedCallee(ctx.module, call) ?? '';
    if (!TENSOR_FACTORIES.test(q)) continue;
    const args = positionalArgs(call);
    if (!args.length || !args.every(isLiteral)) continue;
    const onDevice = !!keywordArg(call, 'device') || (call.parent?.type === 'attribute' && /^(to|cuda)$/.test(call.parent.childForFieldName('attribute')?.text ?? ''));
    const nonTrivial = args.some((a) => a.type === 'list' || a.type === 'tuple');
    if (!onDevice && !nonTrivial) continue;
    findings.push({
      rule: PY009.id,
      message: `This constant tensor is rebuilt${onDevice ? ' and copied to the device' : ''} ${where}: build it once at start-up and reuse it.`,
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return findings;
}

/** `.cuda()`, `.cpu()`, `.to(device)`: not `.to(torch.float16)` alone, which changes the precision (a conversion, not a move). */
function isModelMove(call: Node, m: string): boolean {
  if (m !== 'to') return true;
  const args = positionalArgs(call);
  return !!keywordArg(call, 'device') || (args.length > 0 && !/^torch\.(float|half|bfloat|int)\w*$|dtype$/.test(args[0].text));
}

export const PY009: PythonRule = {
  id: 'PY009',
  name: 'per-request-device-setup',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A model is moved to a device, or a constant tensor is rebuilt, on every request or item.',
    whatItDoes:
      'In request handlers, the functions they reach, and loop bodies, flags `.to(...)`/`.cuda()`/`.cpu()` on a loaded model ' +
      '(torch, transformers, pipeline, sentence-transformers, a model handed to a constructor), and on a network an object holds ' +
      '(`self.unet`, `self.control_model`: per-request offloading between CPU and GPU), and `torch.tensor`/`arange`/`ones`/`zeros`/... built from literal values only (normalisation ' +
      'means, label maps) when the value is a list or is placed on a device. Input tensors that depend on the request are not flagged, ' +
      'nor is moving a model loaded in the same handler (that load is PY001\'s finding; the move goes with it once hoisted).',
    whyItCosts:
      '`model.to(device)` walks every parameter; when the model is not already there it copies all weights across PCIe ' +
      '(hundreds of MB, tens of milliseconds), and even the no-op walk costs per request. A constant tensor built per ' +
      'request allocates and, on a GPU, issues a host-to-device copy that synchronises with the stream. Both are fixed ' +
      'costs that belong in start-up.',
    example: [
      '@app.post("/predict")',
      'def predict(img: Image):',
      '    model.to("cuda")',
      '    mean = torch.tensor([0.485, 0.456, 0.406], device="cuda")',
      '    return model((to_tensor(img).cuda() - mean[:, None, None])[None])',
    ].join('\n'),
    useInstead: [
      'model = load().to("cuda").eval()',
      'MEAN = torch.tensor([0.485, 0.456, 0.406], device="cuda")[:, None, None]',
      '',
      '@app.post("/predict")',
      'def predict(img: Image):',
      '    return model((to_tensor(img).cuda() - MEAN)[None])',
    ].join('\n'),
  },
  check,
};
