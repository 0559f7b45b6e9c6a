/**
 * Model loads and the data flow around calls, shared by the summary (code/script/summary.ts), the
 * runners (runners.ts) and the JS/TS rules: which call loads a model, whether a load runs once
 * (lazy initialisation, a result kept outside the function), argument lists, what a call reads.
 */
import type { Node } from 'web-tree-sitter';
import {
  dottedName, enclosingFunction, functionLocals, isPipelineCall, isPretrainedLoad, isSessionCreate,
  qualifiedCallee, type ScriptModule,
} from './semantics';


/** A call that loads a model: ORT session, transformers.js pipeline / from_pretrained, tfjs loaders. */
export function loaderName(mod: ScriptModule, call: Node): string | undefined {
  if (isSessionCreate(mod, call)) return 'InferenceSession.create';
  if (isPipelineCall(mod, call)) return 'pipeline';
  if (isPretrainedLoad(mod, call)) return qualifiedCallee(mod, call)!.split('.').slice(-2).join('.');
  const q = qualifiedCallee(mod, call);
  if (q && /^tfjs\.(loadGraphModel|loadLayersModel|node\.loadSavedModel)$/.test(q)) return q.slice(5);
  return undefined;
}

export function callArgs(call: Node): Node[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment');
}

const NULL_CHECK = /(^|[^=!])!\s*[\w$.]|[=!]==?\s*(null|undefined)\b|\b(null|undefined)\s*[=!]==?|typeof\b|\.has\(/;

/** Where `call`'s result goes: the name of `x = call` / `const x = await call` (through await and parens). */
export function assignedTarget(call: Node): { node: Node; decl: boolean } | undefined {
  let n: Node = call;
  while (n.parent && /^(await_expression|parenthesized_expression|as_expression|non_null_expression)$/.test(n.parent.type)) n = n.parent;
  const p = n.parent;
  if (p?.type === 'variable_declarator' && p.childForFieldName('value')?.id === n.id) return { node: p.childForFieldName('name')!, decl: true };
  if ((p?.type === 'assignment_expression' || p?.type === 'augmented_assignment_expression') && p.childForFieldName('right')?.id === n.id) return { node: p.childForFieldName('left')!, decl: false };
  return undefined;
}

/**
 * True when the load runs once and is reused: lazy initialisation (`x ??= load()`, `if (!x) x = ...`,
 * `if (x) return x`, `cache.has(k)`), or a result stored outside the function (a module variable or
 * `this.x`: start-up code or a deliberate reload, not a per-request load).
 */
/** A message type asking for a model: `'load'`, `"loadModel"`, `'init'`, `'switch-model'`. */
const LOAD_TYPE = String.raw`['"\`](?:load|init|initiali[sz]e|setup|switch|change)[\w-]*['"\`]`;
const LOAD_MESSAGE = new RegExp(`^${LOAD_TYPE}$`, 'i');
const LOAD_MESSAGE_TEST = new RegExp(String.raw`(?:^|[^!=])===?\s*${LOAD_TYPE}`, 'i');

export function loadsOnce(call: Node): boolean {
  const fn = enclosingFunction(call);
  for (let p = call.parent, child: Node = call; p && p.id !== fn?.id; child = p, p = p.parent) {
    if (p.type === 'augmented_assignment_expression' && /\?\?=|\|\|=/.test(p.text.slice(0, p.text.indexOf('=') + 1))) return true;
    if (/^(if|while)_statement$/.test(p.type) && child.id !== p.childForFieldName('condition')?.id && NULL_CHECK.test(p.childForFieldName('condition')?.text ?? '')) return true;
    if (p.type === 'binary_expression' && /^(\?\?|\|\|)$/.test(p.childForFieldName('operator')?.text ?? '') && p.childForFieldName('right')?.id === child.id) return true;
    if (p.type === 'ternary_expression' && p.childForFieldName('condition')?.id !== child.id && NULL_CHECK.test(p.childForFieldName('condition')?.text ?? '')) return true;
    // A worker's `case 'load':` / `if (type === "loadModel")`: a message that asks for a (new) model, not a query.
    if (p.type === 'switch_case' && LOAD_MESSAGE.test(p.childForFieldName('value')?.text ?? '')) return true;
    if (p.type === 'if_statement' && child.id !== p.childForFieldName('condition')?.id && LOAD_MESSAGE_TEST.test(p.childForFieldName('condition')?.text ?? '')) return true;
  }
  const target = assignedTarget(call);
  if (target && !target.decl && fn) {
    const name = dottedName(target.node);
    if (!name) return false;
    if (name.includes('.')) return true; // this.session = ..., cache.session = ...
    // A module-level `let session` set here is a cache when something checks it before loading again;
    // assigned unconditionally on every request and never tested, it is only overwritten.
    if (!functionLocals(fn).has(name)) return testedForAbsence(call.tree.rootNode.text, name);
    // `if (session) return session;` earlier in the function
    const body = fn.childForFieldName('body');
    for (const s of body?.namedChildren ?? []) {
      if (!s || s.startIndex >= call.startIndex) break;
      if (s.type === 'if_statement' && new RegExp(`\\b${name}\\b`).test(s.childForFieldName('condition')?.text ?? '') && /return/.test(s.childForFieldName('consequence')?.text ?? '')) return true;
    }
  }
  return false;
}

/**
 * `if (!session)`, `session ??`, `session ||`, `session === null`, `if (session) return session`: the name is
 * checked for a value; or it is loaded at start-up (`let live = await create(...)`) and a handler swaps it (a reload endpoint).
 */
function testedForAbsence(text: string, name: string): boolean {
  const n = name.replace(/[$]/g, '\\$&');
  return new RegExp(`!\\s*${n}\\b|\\b${n}\\s*(\\?\\?|\\|\\||[!=]==?\\s*(null|undefined))|\\bif\\s*\\(\\s*${n}\\s*\\)` +
    `|\\b(let|var)\\s+${n}\\s*(:[^=\\n]+)?=\\s*(?!null\\b|undefined\\b)\\S`).test(text);
}

/** Identifiers read inside `node` (not property names or object keys). */
export function identifiersIn(node: Node): string[] {
  return node.descendantsOfType(['identifier', 'shorthand_property_identifier']).flatMap((id) => (id ? [id.text] : []));
}

/**
 * What a call reads, through declarations of `scope` made before it (`const feeds = { ids: new Tensor(ids) }`
 * then `session.run(feeds)` reads `ids` too).
 */
export function callInputs(scope: Node, call: Node): Set<string> {
  const deps = new Set(callArgs(call).flatMap(identifiersIn));
  const decls = scope.descendantsOfType('variable_declarator').filter((d): d is Node => !!d && d.startIndex < call.startIndex);
  for (let changed = true; changed;) {
    changed = false;
    for (const d of decls) {
      const names = identifiersIn(d.childForFieldName('name')!).concat(d.childForFieldName('name')?.type === 'identifier' ? [d.childForFieldName('name')!.text] : []);
      if (!names.some((n) => deps.has(n))) continue;
      for (const id of identifiersIn(d.childForFieldName('value') ?? d)) if (!deps.has(id)) { deps.add(id); changed = true; }
    }
  }
  return deps;
}
