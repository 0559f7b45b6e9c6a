import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { assignedNames, enclosingLoop, positionalArgs } from '../../code/python/semantics';
import { inferenceCall, modelFacts } from '../../code/python/models';
import { nodeRange } from '../helpers';
import { callTarget, resolveTarget } from '../../code/python/callGraph';

/** Loop names that say the items already are batches (or chunks of a stream). */
const ALREADY_BATCHED = /batch|chunk|loader|minibatch|shard|window/i;

function loopParts(loop: Node): { targets: Node | null; iterable: Node | null } | undefined {
  if (loop.type === 'for_statement') {
    if (loop.child(0)?.type === 'async') return undefined; // a stream: items arrive one at a time
    return { targets: loop.childForFieldName('left'), iterable: loop.childForFieldName('right') };
  }
  if (loop.type === 'while_statement') return undefined;
  const clause = loop.namedChildren.find((c) => c?.type === 'for_in_clause');
  return clause ? { targets: clause.childForFieldName('left'), iterable: clause.childForFieldName('right') } : undefined;
}

function identifiers(node: Node | null | undefined): string[] {
  if (!node) return [];
  if (node.type === 'identifier') return [node.text];
  return node.descendantsOfType('identifier').filter((n): n is Node => !!n).map((n) => n.text);
}

/** Names that vary per item: the loop targets and names assigned in the loop from them (to a fixpoint). */
function perItemNames(loop: Node, targets: Node | null): Set<string> {
  const names = new Set(identifiers(targets));
  const body = loop.type === 'for_statement' ? loop.childForFieldName('body') : null;
  if (!body) return names;
  const stmts = body.descendantsOfType('expression_statement').filter((s): s is Node => !!s);
  for (let changed = true; changed;) {
    changed = false;
    for (const s of stmts) {
      const right = s.namedChild(0)?.childForFieldName('right');
      if (!right || !identifiers(right).some((n) => names.has(n))) continue;
      for (const n of assignedNames(s)) if (!names.has(n)) { names.add(n); changed = true; }
    }
  }
  return names;
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  const findings: Finding[] = [];
  const c = ctx.module.context;
  for (const call of ctx.module.calls) {
    const inf = inferenceCall(ctx.module, facts, call);
    // A helper of this file that runs a model on what it is given (`caption(path)` per file) is a per-item run too.
    const helper = inf || (!c.inferring.size && !c.external.inferring.length) ? undefined : inferringHelper(ctx, call);
    if (!inf && !helper) continue;
    const loop = enclosingLoop(call);
    const parts = loop && loopParts(loop);
    if (!loop || !parts) continue;
    const { targets, iterable } = parts;
    if (ALREADY_BATCHED.test(targets?.text ?? '') || ALREADY_BATCHED.test(iterable?.text ?? '')) continue;
    if (iterable?.type === 'call' && /^range$/.test(iterable.childForFieldName('function')?.text ?? '') && positionalArgs(iterable).length === 3) continue;
    const perItem = perItemNames(loop, targets);
    const args = call.childForFieldName('arguments');
    if (!identifiers(args).some((n) => perItem.has(n))) continue; // the same input every time: not a per-item call
    // Autoregressive steps feed one call's output into the next: not batchable.
    const assign = call.parent?.type === 'assignment' ? call.parent : call.parent?.parent?.type === 'assignment' ? call.parent.parent : undefined;
    const left = assign?.childForFieldName('left');
    const outputs = new Set(left && (left.type === 'identifier' || /pattern_list|tuple_pattern/.test(left.type)) ? identifiers(left) : []);
    if (identifiers(args).some((n) => outputs.has(n))) continue;
    const over = iterable?.text && iterable.text.length <= 40 ? ` of \`${iterable.text}\`` : '';
    const who = inf ? `\`${inf.binding.key}\`` : `\`${helper}(...)\`, which runs a model,`;
    findings.push({
      rule: PY004.id,
      message: `${who} runs once per element${over}: one call per item pays the per-call overhead (kernel launches, ` +
        'Python dispatch, padding) every time and leaves the hardware idle. Batch the items into one call.',
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return findings;
}

const GENERATION = /generat|chat|stream|decode|greedy|sampl|beam/i;

/** The callee's name when a call runs one of the file's functions (or one imported from the workspace) that runs inference itself. */
function inferringHelper(ctx: PythonContext, call: Node): string | undefined {
  const c = ctx.module.context;
  const callee = ctx.module.calleeText.get(call.id) ?? '';
  const target = callTarget(call, callee);
  const fn = target && resolveTarget({ defs: c.defs, instances: c.instances, classes: c.fileClasses }, target);
  // A helper imported from another file of the workspace that runs a model (the index says which).
  if (!fn && c.external.inferring.includes(callee) && !GENERATION.test(callee)) return callee;
  // Token-by-token generation behind a helper has per-request lengths: batching it is a serving design, not a loop fix.
  if (!fn || GENERATION.test(fn)) return undefined;
  return c.inferring.has(fn) && !c.defs.get(fn)?.generator ? callee : undefined;
}

export const PY004: PythonRule = {
  id: 'PY004',
  name: 'per-item-inference-loop',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A model, session or pipeline is called once per element of a collection where the items could be batched.',
    whatItDoes:
      'Flags inference calls (`model(x)`, `session.run(...)`, `pipe(text)`, `encoder.encode(s)`, `model.generate(...)`) inside a ' +
      '`for` loop or comprehension whose input depends on the loop item, and calls of helpers (the file\'s own, or imported ' +
      'from another file of the workspace) that run a model themselves or through their own helpers ' +
      '(`caption(path)` per file; not generation helpers, whose per-request lengths make batching a ' +
      'serving design). Silent when the loop already walks batches ' +
      '(names with batch/chunk/loader, `range(0, n, step)`), for `async for` streams and `while` loops, and for ' +
      'autoregressive loops that feed a call\'s output into the next call.',
    whyItCosts:
      'A forward pass costs nearly the same for one item as for a batch of 8-64 until the accelerator is saturated: ' +
      'weights are read from memory once per call, and kernel launches and Python dispatch are per call. Per-item ' +
      'loops typically run 5-50x slower than one batched call, and the GPU bills for the idle time.',
    example: [
      'def embed_all(texts):',
      '    return [model.encode(t) for t in texts]',
      '',
      'for path in paths:',
      '    outputs.append(session.run(None, {"input": load(path)[None]}))',
    ].join('\n'),
    useInstead: [
      'def embed_all(texts):',
      '    return model.encode(texts, batch_size=64)',
      '',
      'batch = np.stack([load(p) for p in paths])',
      'outputs = session.run(None, {"input": batch})',
      '',
      '# transformers pipelines take a list (or a Dataset) and a batch_size: pipe(texts, batch_size=32)',
    ].join('\n'),
  },
  check,
};
