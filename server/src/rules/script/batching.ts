/**
 * Shared by JS002 and JS005: model invocations (direct, or through a helper of the file that makes
 * one) that run once per element of a collection, where one batched call could do the work. A loop
 * that feeds a call's output back into the next call (token-by-token generation, a recurrent state)
 * cannot be batched and is left alone.
 */
import type { Node } from 'web-tree-sitter';
import {
  calleeName, dottedName, enclosingLoop, isFunction, modelInvocation, type ModelKind, type ScriptModule,
} from '../../code/script/semantics';
import { callArgs, callInputs, identifiersIn } from './common';
import { runnerCall, type Runner } from '../../code/script/runners';

export interface PerItemRun {
  call: Node; kind: ModelKind; loop: Node;
  /** what the call runs: the session/pipeline/model, or the helper (`embed`, `this.embedder.embed`) */
  receiver: string;
  /** `model.generate` / `embed`: the callee as written */
  callee: string;
  /** set when the call is of a helper (of this file, or imported: `via.from`) that runs the model (see runners.ts) */
  via?: Runner;
}

/**
 * Model invocations (`session.run`, `classifier(x)`, `model.generate(...)`) and calls of helpers that
 * make one (`embed(chunk)`), with the loop that runs them per item.
 */
export function perItemRuns(mod: ScriptModule, loopKind: 'statement' | 'callback'): PerItemRun[] {
  const out: PerItemRun[] = [];
  for (const call of mod.calls) {
    const inv = modelInvocation(mod, call);
    const via = inv ? undefined : runnerCall(mod, call);
    if (!inv && !via) continue;
    const loop = enclosingLoop(call);
    if (!loop || loop.kind !== loopKind) continue;
    const callee = calleeName(mod, call) ?? call.childForFieldName('function')?.text ?? '';
    const receiver = inv ? dottedName(inv.receiver) ?? inv.receiver.text : callee;
    const head = receiver.split('.')[0];
    const bound = boundIn(loop.node);
    if (bound.has(head)) continue; // a different session/pipeline per item (an ensemble)
    const modelArg = via?.modelArg !== undefined ? callArgs(call)[via.modelArg] : undefined;
    if (modelArg && identifiersIn(modelArg).some((id) => bound.has(id))) continue; // the same, through a helper
    out.push({ call, kind: inv?.kind ?? via!.kind, loop: loop.node, receiver, callee, via });
  }
  return out;
}

/** What a per-item run runs, for messages: `` `session.run(...)` ``, `` the `extractor` pipeline ``, `` `embed(...)` (which runs ...) ``. */
export function describeRun(run: PerItemRun): string {
  if (run.via) {
    const through = run.via.inner ? ` through \`${run.via.inner}\`` : '';
    if (!run.via.from) return `\`${run.callee}(...)\` (which runs ${describeModel(run.via.kind, run.via.model)}${through})`;
    const there = !run.callee.endsWith(run.via.name) ? `, where it is \`${run.via.name}\`` : '';
    return `\`${run.callee}(...)\` (imported from \`${run.via.from}\`${there}: it runs ${describeModel(run.via.kind, run.via.model)}${through})`;
  }
  if (run.kind === 'session') return `\`${run.receiver}.run(...)\``;
  return run.callee === run.receiver ? describeModel(run.kind, run.receiver) : `\`${run.callee}(...)\``;
}

function describeModel(kind: ModelKind, name: string): string {
  return kind === 'session' ? `the \`${name}\` session` : kind === 'pipeline' ? `the \`${name}\` pipeline` : `the \`${name}\` model`;
}

/** Names bound per iteration: the loop variable / callback parameters and declarations in the body. */
export function boundIn(loop: Node): Set<string> {
  const out = new Set<string>();
  const ids = (n: Node | null | undefined): void => {
    for (const id of n?.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']) ?? []) if (id) out.add(id.text);
    if (n?.type === 'identifier') out.add(n.text);
  };
  if (loop.type === 'for_in_statement') ids(loop.childForFieldName('left'));
  if (loop.type === 'for_statement') ids(loop.childForFieldName('initializer'));
  const body = loopBody(loop);
  if (loop.type === 'call_expression' && body) ids(body.childForFieldName('parameters') ?? body.childForFieldName('parameter'));
  for (const d of body?.descendantsOfType('variable_declarator') ?? []) ids(d?.childForFieldName('name'));
  return out;
}

export function loopBody(loop: Node): Node | undefined {
  if (loop.type === 'call_expression') return callArgs(loop).find((a) => isFunction(a));
  return loop.childForFieldName('body') ?? undefined;
}

/** A loop over a collection: for-of/for-in (not `for await`), or an index loop bounded by `.length`/`.size`. */
export function iteratesCollection(loop: Node): boolean {
  if (loop.type === 'for_in_statement') {
    if (loop.children.some((c) => c?.type === 'await')) return false;
    // `for (const n of [1, 8, 32])`: a literal list is a warm-up or a sweep, not data to batch.
    if (loop.childForFieldName('right')?.type === 'array') return false;
    return !overBatches(loop.childForFieldName('right'), loop.childForFieldName('left'));
  }
  if (loop.type === 'for_statement') {
    // `for (let i = 0; i < xs.length; i += BATCH)` walks in chunks: already batched.
    const step = loop.childForFieldName('increment')?.text ?? '';
    if (/\+=\s*(?!1\b)/.test(step)) return false;
    return /\.(length|size)\b/.test(loop.childForFieldName('condition')?.text ?? '');
  }
  return false;
}

/**
 * `for (const batch of batches)`, `for (const rows of chunks(xs, 64))`, `groups.map((batch) => ...)`: each
 * item already is a batch. A plain `for (const chunk of chunks)` is not: in retrieval code a chunk is one
 * piece of text, so "chunk" counts only where a call makes the chunks (`chunk(xs, 64)`, `_.chunk(...)`).
 */
export function overBatches(list: Node | null | undefined, item: Node | null | undefined): boolean {
  if (/batch/i.test(`${list?.text ?? ''} ${item?.text ?? ''}`)) return true;
  const fn = list?.type === 'call_expression' ? list.childForFieldName('function') : undefined;
  // `chunks.entries()` / `.values()` walks the same list one element at a time.
  if (fn?.type === 'member_expression' && /^(entries|values|keys)$/.test(fn.childForFieldName('property')?.text ?? '')) return overBatches(fn.childForFieldName('object'), item);
  return !!fn && /chunk/i.test(fn.text);
}

/** `break`/`return` in the loop's own body: it stops early on some result, so every run may not happen. */
export function exitsEarly(loop: Node): boolean {
  const body = loopBody(loop);
  for (const s of body?.descendantsOfType(['break_statement', 'return_statement']) ?? []) {
    if (!s) continue;
    let inner = false;
    for (let p = s.parent; p && p.id !== loop.id; p = p.parent) {
      if (isFunction(p) || (s.type === 'break_statement' && /^(for_statement|for_in_statement|while_statement|do_statement|switch_statement)$/.test(p.type))) { inner = true; break; }
    }
    if (!inner) return true;
  }
  return false;
}

/**
 * True when the call's inputs depend on a value the loop body updates after the call (the previous
 * iteration's output): `ids = argmax(out)`, `state = out.h`, `messages.push(reply)`.
 */
export function loopCarried(loop: Node, call: Node): boolean {
  const body = loopBody(loop);
  if (!body) return false;
  const deps = callInputs(body, call);
  const updated = (n: Node): string | undefined => dottedName(n)?.split('.')[0];
  for (const a of body.descendantsOfType(['assignment_expression', 'augmented_assignment_expression', 'update_expression'])) {
    if (!a || a.startIndex < call.endIndex) continue;
    const target = a.type === 'update_expression' ? a.namedChild(0) : a.childForFieldName('left');
    const name = target && updated(target);
    if (name && deps.has(name)) return true;
  }
  for (const c of body.descendantsOfType('call_expression')) {
    if (!c || c.startIndex < call.endIndex) continue;
    const fn = c.childForFieldName('function');
    if (fn?.type !== 'member_expression' || !/^(push|unshift|splice|set|concat|append)$/.test(fn.childForFieldName('property')?.text ?? '')) continue;
    const name = updated(fn.childForFieldName('object')!);
    if (name && deps.has(name)) return true;
  }
  return false;
}

/** `await x.run(...)`, `(await classifier(t)).label`: the call's value is awaited where it is made. */
export function isAwaited(call: Node): boolean {
  let n: Node = call;
  while (n.parent?.type === 'parenthesized_expression') n = n.parent;
  return n.parent?.type === 'await_expression';
}
