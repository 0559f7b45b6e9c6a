import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { assignedNames, classBases, enclosingClass, enclosingFunction, enclosingLoop, methodName, positionalArgs, qualifiedCallee, receiver } from '../../code/python/semantics';
import { inferenceCall, modelFacts, ModelFacts } from '../../code/python/models';
import type { PythonModule } from '../../code/python/semantics';
import { nodeRange } from '../helpers';
import { STEP_HOOKS } from '../../code/python/library';

const SYNC_METHODS = new Set(['item', 'cpu', 'numpy', 'tolist']);

/** A call of a model whose outputs are device tensors: torch and transformers models, ultralytics results. */
function isTorchInference(mod: PythonModule, facts: ModelFacts, call: Node): boolean {
  const inf = inferenceCall(mod, facts, call);
  return !!inf && (inf.binding.kind === 'torch' || inf.binding.kind === 'hf-model' || inf.binding.loader.startsWith('ultralytics.'));
}

/** Parameters that by their name hold a model's outputs (`postprocess(self, outputs)`): tensors handed over from inference. */
const OUTPUT_PARAM = /^(outputs?|logits|preds?|predictions|probs|probabilities|scores|embeddings|hidden_states|detections|results)$/;

/** The value ends on the host: `x.cpu()`, `x.numpy()`, `x.tolist()`, `x.item()`, `float(x)`. */
function onHost(expr: Node): boolean {
  const e = expr.type === 'conditional_expression' ? expr.namedChild(0) : expr;
  if (e?.type !== 'call') return false;
  const fn = e.childForFieldName('function');
  if (fn?.type === 'identifier') return /^(float|int|bool|list)$/.test(fn.text);
  if (fn?.type !== 'attribute') return false;
  const method = fn.childForFieldName('attribute')?.text ?? '';
  // `t.to("cpu")`, `t.to(device="cpu")`, `t.to(torch.device("cpu"))`: one copy, then host values.
  if (method === 'to') return /^\((device\s*=\s*)?((torch\.)?device\()?["']cpu["']\)?\s*[,)]/.test(e.childForFieldName('arguments')?.text ?? '');
  return SYNC_METHODS.has(method);
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
function tensorNames(mod: PythonModule, facts: ModelFacts, scope: Node, copies: Map<string, { at: number; host: boolean }[]>): Set<string> {
  const names = new Set<string>();
  for (const p of scope.type === 'function_definition' ? scope.childForFieldName('parameters')?.namedChildren ?? [] : []) {
    const id = p?.type === 'identifier' ? p : p?.namedChild(0);
    if (id?.type === 'identifier' && OUTPUT_PARAM.test(id.text)) names.add(id.text);
  }
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
        // `x = t.cpu()`: x is a host value from there on (see hostAt).
        if (right && onHost(right)) continue;
        if (right && producesTensor(right)) targets = assignedNames(s);
      } else {
        const right = s.childForFieldName('right');
        // `for row in t.tolist()` walks host values, and so does a loop over a name copied to the host before it.
        const viaDevice = right && ids(right).some((n) => names.has(n) && !hostAt(copies, n, s.startIndex));
        const fromCall = right && [right, ...right.descendantsOfType('call')].some((c) => c?.type === 'call' && (isTorchInference(mod, facts, c) || /^torch\./.test(qualifiedCallee(mod, c) ?? '')));
        if (right && !onHost(right) && (viaDevice || fromCall)) targets = ids(s.childForFieldName('left'));
      }
      for (const t of targets) if (!names.has(t)) { names.add(t); changed = true; }
    }
  }
  return names;
}

/** Per name, where each assignment in a scope ends and whether it copies to the host (`x = t.cpu()`), in order. */
function hostCopies(scope: Node): Map<string, { at: number; host: boolean }[]> {
  const out = new Map<string, { at: number; host: boolean }[]>();
  for (const s of scope.descendantsOfType('expression_statement')) {
    const right = s?.namedChild(0)?.childForFieldName('right');
    if (!s || !right) continue;
    const host = onHost(right);
    for (const n of assignedNames(s)) {
      let list = out.get(n);
      if (!list) out.set(n, list = []);
      list.push({ at: s.endIndex, host });
    }
  }
  return out;
}

/** Whether the last assignment of `name` that ends before `at` (in text order) left a host value. */
function hostAt(copies: Map<string, { at: number; host: boolean }[]>, name: string, at: number): boolean {
  let last: { at: number; host: boolean } | undefined;
  for (const c of copies.get(name) ?? []) if (c.at < at) last = c;
  return !!last?.host;
}

/** A loop's targets when it iterates over a device tensor (`for row in logits`, `[p.item() for p in probs]`; not `range(...)`). */
function tensorLoopTargets(loop: Node, tensors: Set<string>, copies: Map<string, { at: number; host: boolean }[]>): Set<string> {
  const clause = loop.type === 'for_statement' ? loop : loop.namedChildren.find((c) => c?.type === 'for_in_clause');
  const iterable = clause?.childForFieldName('right');
  if (!clause || !iterable || /^range\(/.test(iterable.text) || onHost(iterable)) return new Set();
  if (!ids(iterable).some((n) => tensors.has(n) && !hostAt(copies, n, loop.startIndex))) return new Set();
  return new Set(ids(clause.childForFieldName('left')));
}


/**
 * Loops whose host copies are inherent, not per element of a batch: streaming decode loops (a `while`
 * or a token-budget `range` that runs the model and streams each token out; iterating a streaming
 * generator or streamer), loops over a dict's named outputs (a handful of heads of one
 * result), and per-step generation hooks. A greedy loop that collects tokens or tests each for EOS is still flagged.
 */
function inherentLoop(mod: PythonModule, facts: ModelFacts, loop: Node, call: Node): boolean {
  const clause = loop.type === 'for_statement' ? loop : loop.namedChildren.find((c) => c?.type === 'for_in_clause');
  const iterable = clause?.childForFieldName('right')?.text ?? '';
  if (/\bstream|\bstreamer\b|generate_stream|\.(items|values|keys)\(\)$/.test(iterable)) return true;
  // `chunks = model.inference_stream(...)` then `for chunk in chunks:`: a stream held in a name.
  if (/^[A-Za-z_]\w*$/.test(iterable) && new RegExp(`\\b${iterable}\\s*=\\s*[^\\n]*\\w*stream\\w*\\(`).test((enclosingFunction(loop) ?? mod.unit.node).text)) return true;
  // A loop over the labels of one result (`zip(LABELS, probs[0])`, `enumerate(CLASSES)`): a handful, fixed by the code.
  const literals = mod.context.literalNames;
  if (literals.size && clause && (clause.childForFieldName('right')?.descendantsOfType('identifier') ?? []).some((n) => !!n && literals.has(n.text))) return true;
  // `while True: ... yield {"audio": chunk.cpu()}`: each chunk is streamed out as it is produced; the copy is what is sent.
  if (loop.type === 'while_statement' && insideYield(call, loop)) return true;
  if (clause && overFewItems(clause.childForFieldName('right'), enclosingFunction(loop) ?? mod.unit.node)) return true;
  const decodes = loop.type === 'while_statement' || /^range\(.*\b(max_new_tokens|max_length|max_tokens|new_tokens|max_gen_len|gen_len|num_steps|steps)\b/.test(iterable);
  // Streaming each token to the client needs it on the host; collecting tokens, or testing each for the end of
  // sequence, could stay on the device (the rule's own example), so those loops are still flagged.
  const needsToken = /\byield\b|\.put\(|\bcallback\(|\.send\(|\bon_token\(/.test(loop.childForFieldName('body')?.text ?? '');
  if (decodes && needsToken && loop.descendantsOfType('call').some((c) => !!c && (isTorchInference(mod, facts, c) || /\b(generate|forward|sample)\b/.test(mod.calleeText.get(c.id) ?? '')))) return true;
  // A response sent to each request of a batch as it is ready (Triton's decoupled `response_sender.send`, a
  // websocket per client): each one needs its own values on the host to be sent.
  if (/\b\w*(sender|websocket|ws|socket|stream)\.send\(/.test(loop.childForFieldName('body')?.text ?? '')) return true;
  const cls = enclosingClass(call);
  return !!cls && classBases(mod, cls).some((b) => STEP_HOOKS.test(b));
}

function insideYield(call: Node, loop: Node): boolean {
  for (let p = call.parent; p && p.id !== loop.id; p = p.parent) if (p.type === 'yield') return true;
  return false;
}

/** Past this many items written out in a list, a loop over it is no longer "a handful". */
const FEW_ITEMS = 3;

/**
 * `boxes = [detections["boxes"][0]]` then `for box in boxes:`: a loop over a list written out with one to
 * three items (never grown in the scope) copies a handful of values, not one per element of a batch.
 */
function overFewItems(iterable: Node | null, scope: Node): boolean {
  if (!iterable) return false;
  const names = ids(iterable);
  if (!names.length || names.length > 3) return false;
  const text = scope.text;
  return names.some((n) => {
    const assigned = scope.descendantsOfType('expression_statement').map((s) => s?.namedChild(0))
      .filter((a) => a?.type === 'assignment' && a.childForFieldName('left')?.text === n);
    if (assigned.length !== 1) return false;
    const right = assigned[0]!.childForFieldName('right');
    if (right?.type !== 'list' && right?.type !== 'tuple') return false;
    const items = right.namedChildren.filter((c) => c && c.type !== 'comment');
    if (!items.length || items.length > FEW_ITEMS || items.some((c) => c?.type === 'list_splat')) return false;
    return !new RegExp(`\\b${n}\\s*(\\.(append|extend|insert)\\(|\\+=)`).test(text);
  });
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  if (!facts.usesAccelerator) return []; // on the CPU these calls copy nothing and wait for nothing
  const findings: Finding[] = [];
  const flaggedLines = new Set<number>();
  const tensorsByScope = new Map<number, Set<string>>();
  const copiesByScope = new Map<number, Map<string, { at: number; host: boolean }[]>>();
  const runsModel = new Map<number, boolean>();
  for (const call of ctx.module.calls) {
    const m = methodName(call);
    const isSync = qualifiedCallee(ctx.module, call) === 'torch.cuda.synchronize';
    // `int(box[0])`, `float(score)`: converting one element of a device tensor waits for the device like `.item()`.
    // Only elements (`int(det[0])`, `float(box.conf[0])`): a plain name may well hold a Python number already.
    const arg0 = !m && !isSync && /^(int|float|bool)$/.test(ctx.module.calleeText.get(call.id) ?? '') ? positionalArgs(call)[0] : undefined;
    const convert = arg0?.type === 'subscript' ? arg0 : undefined;
    if (!isSync && !convert && !(m && SYNC_METHODS.has(m))) continue;
    const loop = enclosingLoop(call);
    const line = call.startPosition.row;
    if (!loop || flaggedLines.has(line) || inherentLoop(ctx.module, facts, loop, call)) continue;
    if (isSync) {
      let loopRunsModel = runsModel.get(loop.id);
      if (loopRunsModel === undefined) runsModel.set(loop.id, loopRunsModel = loop.descendantsOfType('call').some((c) => !!c && isTorchInference(ctx.module, facts, c)));
      if (!loopRunsModel) continue;
    } else {
      const scope = enclosingFunction(call) ?? ctx.module.unit.node;
      let copies = copiesByScope.get(scope.id);
      if (!copies) copiesByScope.set(scope.id, copies = hostCopies(scope));
      let tensors = tensorsByScope.get(scope.id);
      if (!tensors) tensorsByScope.set(scope.id, tensors = tensorNames(ctx.module, facts, scope, copies));
      const recv = convert && !SYNC_METHODS.has(methodName(convert.type === 'call' ? convert : call) ?? '') ? convert : receiver(call);
      if (convert && recv === receiver(call)) continue; // `int(x.item())`: the `.item()` is the one reported
      const loopVars = tensorLoopTargets(loop, tensors, copies);
      const recvIsTensor = !!recv && (ids(recv).some((n) => (tensors.has(n) && !hostAt(copies!, n, call.startIndex)) || loopVars.has(n)) ||
        [recv, ...recv.descendantsOfType('call')].some((c) => c?.type === 'call' && (isTorchInference(ctx.module, facts, c) || /^torch\./.test(qualifiedCallee(ctx.module, c) ?? ''))));
      if (!recvIsTensor) continue;
    }
    flaggedLines.add(line);
    const what = isSync ? '`torch.cuda.synchronize()`' : convert ? `\`${ctx.module.calleeText.get(call.id)}(...)\` of a device tensor` : `\`.${m}()\``;
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
      '(cuda, mps, `device_map`, `.to(device)`); ultralytics results and parameters named like model outputs (`outputs`, ' +
      '`logits`, `preds`) count as device tensors. Silent in CPU-only code, on values already copied to the host before ' +
      'the loop (`x = t.cpu()`, `x = t.to("cpu")`), in streaming decode loops (the host needs each token to send it: a loop that yields or ' +
      'iterates a streamer; a loop that sends each request of a batch its response, as Triton\'s decoupled `response_sender.send`), ' +
      'in a `while` loop that streams out each chunk it produces (`yield {"audio": chunk.cpu()}`), ' +
      'in loops over a dict\'s named outputs or over a list of one to three written-out items (a few values of one result) and in generation hooks ' +
      '(`StoppingCriteria`, `LogitsProcessor`). A greedy loop that only collects tokens or tests each for EOS is flagged.',
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
