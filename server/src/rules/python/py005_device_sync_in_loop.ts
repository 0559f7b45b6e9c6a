import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { assignedNames, enclosingFunction, enclosingLoop, methodName, qualifiedCallee, receiver } from '../../code/python/semantics';
import { inferenceCall, modelFacts, ModelFacts } from '../../code/python/models';
import type { PythonModule } from '../../code/python/semantics';
import { nodeRange } from '../helpers';

const SYNC_METHODS = new Set(['item', 'cpu', 'numpy', 'tolist']);

function isTorchInference(mod: PythonModule, facts: ModelFacts, call: Node): boolean {
  const inf = inferenceCall(mod, facts, call);
  return !!inf && (inf.binding.kind === 'torch' || inf.binding.kind === 'hf-model');
}

function ids(node: Node | null | undefined): string[] {
  if (!node) return [];
  if (node.type === 'identifier') return [node.text];
  return node.descendantsOfType('identifier').filter((n): n is Node => !!n).map((n) => n.text);
}

/**
 * Names in a scope that hold device tensors: assigned from a torch model call or a `torch.*` call, or from
 * expressions over such names, plus loop variables iterating over them.
 */
function tensorNames(mod: PythonModule, facts: ModelFacts, scope: Node): Set<string> {
  const names = new Set<string>();
  const stmts = scope.descendantsOfType(['expression_statement', 'for_statement']).filter((s): s is Node => !!s);
  const producesTensor = (expr: Node): boolean =>
    ids(expr).some((n) => names.has(n)) ||
    [expr, ...expr.descendantsOfType('call')].some((c) => c?.type === 'call' && (isTorchInference(mod, facts, c) || /^torch\./.test(qualifiedCallee(mod, c) ?? '')));
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    for (const s of stmts) {
      let targets: string[] = [];
      if (s.type === 'expression_statement') {
        const right = s.namedChild(0)?.childForFieldName('right');
        if (right && producesTensor(right)) targets = assignedNames(s);
      } else {
        const right = s.childForFieldName('right');
        if (right && producesTensor(right)) targets = ids(s.childForFieldName('left'));
      }
      for (const t of targets) if (!names.has(t)) { names.add(t); changed = true; }
    }
  }
  return names;
}

/** A loop's targets when it iterates over a tensor (`for row in logits`, `[p.item() for p in probs]`). */
function tensorLoopTargets(loop: Node, tensors: Set<string>): Set<string> {
  const clause = loop.type === 'for_statement' ? loop : loop.namedChildren.find((c) => c?.type === 'for_in_clause');
  const iterable = clause?.childForFieldName('right');
  if (!clause || !ids(iterable).some((n) => tensors.has(n))) return new Set();
  return new Set(ids(clause.childForFieldName('left')));
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  if (!facts.usesAccelerator) return []; // on the CPU these calls copy nothing and wait for nothing
  const findings: Finding[] = [];
  const flaggedLines = new Set<number>();
  const tensorsByScope = new Map<number, Set<string>>();
  const runsModel = new Map<number, boolean>();
  for (const call of ctx.module.calls) {
    const m = methodName(call);
    const isSync = qualifiedCallee(ctx.module, call) === 'torch.cuda.synchronize';
    if (!isSync && !(m && SYNC_METHODS.has(m))) continue;
    const loop = enclosingLoop(call);
    const line = call.startPosition.row;
    if (!loop || flaggedLines.has(line)) continue;
    if (isSync) {
      let loopRunsModel = runsModel.get(loop.id);
      if (loopRunsModel === undefined) runsModel.set(loop.id, loopRunsModel = loop.descendantsOfType('call').some((c) => !!c && isTorchInference(ctx.module, facts, c)));
      if (!loopRunsModel) continue;
    } else {
      const scope = enclosingFunction(call) ?? ctx.module.unit.node;
      let tensors = tensorsByScope.get(scope.id);
      if (!tensors) tensorsByScope.set(scope.id, tensors = tensorNames(ctx.module, facts, scope));
      const recv = receiver(call);
      const loopVars = tensorLoopTargets(loop, tensors);
      const recvIsTensor = !!recv && (ids(recv).some((n) => tensors.has(n) || loopVars.has(n)) ||
        [recv, ...recv.descendantsOfType('call')].some((c) => c?.type === 'call' && (isTorchInference(ctx.module, facts, c) || /^torch\./.test(qualifiedCallee(ctx.module, c) ?? ''))));
      if (!recvIsTensor) continue;
    }
    flaggedLines.add(line);
    const what = isSync ? '`torch.cuda.synchronize()`' : `\`.${m}()\``;
    findings.push({
      rule: PY005.id,
      message: `${what} inside a loop waits for the GPU and copies to the host on every iteration, so the device idles between steps. ` +
        'Keep results on the device and transfer once after the loop.',
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return findings;
}

export const PY005: PythonRule = {
  id: 'PY005',
  name: 'device-sync-in-loop',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: '`.item()`, `.cpu()`, `.numpy()`, `.tolist()` or `torch.cuda.synchronize()` runs per element or per token.',
    whatItDoes:
      'Flags host transfers of tensors (values derived from a torch model call or a `torch.*` function) and ' +
      '`torch.cuda.synchronize()` inside loop bodies and comprehensions, in files that put work on an accelerator ' +
      '(cuda, mps, `device_map`, `.to(device)`). Silent in CPU-only code, where these calls do not wait on a device.',
    whyItCosts:
      'CUDA runs asynchronously: Python queues kernels and moves on. Each `.item()`/`.cpu()` forces the host to wait until ' +
      'every queued kernel finishes, then copies a few bytes over PCIe (~10-50 us of latency each, plus the lost overlap). ' +
      'Per token or per element, the GPU spends most of its time waiting for Python, so throughput drops several-fold.',
    example: [
      'for _ in range(max_new_tokens):',
      '    logits = model(ids).logits[:, -1]',
      '    next_id = logits.argmax(-1).item()',
      '    if next_id == eos: break',
      '    ids = torch.cat([ids, torch.tensor([[next_id]], device=ids.device)], 1)',
    ].join('\n'),
    useInstead: [
      'out = model.generate(ids, max_new_tokens=max_new_tokens)  # stopping checked on device',
      '',
      '# or collect on the device and transfer once:',
      'scores = torch.stack([model(x) for x in xs])',
      'return scores.cpu().tolist()',
    ].join('\n'),
  },
  check,
};
