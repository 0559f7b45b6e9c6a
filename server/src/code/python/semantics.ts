/**
 * The light semantic layer over a Python tree that rules share: import aliases, qualified callee
 * names, enclosing functions and loops, and whether a function runs once per request.
 */
import { Language, Node, Query, Tree } from 'web-tree-sitter';
import { ancestry, ANCESTRY_NODE_TYPES, FoundNode, provideContainers } from './ancestry';
import type { ModuleContext, Unit } from './context';

export interface PythonModule {
  tree: Tree;
  /** the top-level statement this view analyses; rules report on its nodes only */
  unit: Unit;
  /** what the rest of the file contributes (plain data) */
  context: ModuleContext;
  /** local name → qualified name (`ort` → `onnxruntime`, `AM` → `transformers.AutoModel`), file-wide */
  imports: Map<string, string>;
  /** names assigned at module level, file-wide */
  moduleNames: Set<string>;
  /** the unit's calls, functions, classes and import statements in document order (one query, shared by all rules) */
  calls: Node[];
  functions: Node[];
  classes: Node[];
  importNodes: Node[];
  /** assignments of a plain reference (`m = app.state.model`, `app.state.m = m`, `s = SESSIONS.get(k)`): model aliases */
  aliases: Node[];
  /** qualifiedCallee results by call id (rules ask for the same calls many times) */
  callees: Map<number, string | undefined>;
  /** source text of each call's callee expression, by call id */
  calleeText: Map<number, string>;
  /** the analyses built on this view, by name (a plain map: a WeakMap entry per view makes every young-generation GC slower) */
  memo: Map<string, unknown>;
}

/** `compute()` once per view under `key`. */
export function cached<T>(mod: PythonModule, key: string, compute: () => T): T {
  if (mod.memo.has(key)) return mod.memo.get(key) as T;
  const v = compute();
  mod.memo.set(key, v);
  return v;
}

/** The nodes one unit's analysis reads, found by one query over the unit (or over the tree, then split by unit). */
export interface UnitNodes {
  calls: Node[];
  functions: Node[];
  classes: Node[];
  importNodes: Node[];
  aliases: Node[];
  calleeText: Map<number, string>;
}

const queries = new WeakMap<Language, Query>();
function structureQuery(language: Language): Query {
  let q = queries.get(language);
  if (!q) {
    // The containers ancestry needs come with the same pass (functions and classes are captured already).
    const containers = ANCESTRY_NODE_TYPES.filter((t) => t !== 'function_definition' && t !== 'class_definition').map((t) => `(${t}) @${t}`).join(' ');
    q = new Query(language, '(call function: (_) @callee) @call (function_definition) @fn (class_definition) @cls ' +
      `[(import_statement) (import_from_statement)] @import ${containers} ` +
      // Two patterns: a predicate inside one branch of an alternation drops the matches of the other branches.
      '(assignment right: [(identifier) (attribute) (subscript)]) @alias ' +
      '(assignment right: (call function: (attribute attribute: (identifier) @get (#any-of? @get "get" "to" "eval" "cuda" "half" "float" "cpu")))) @alias');
    queries.set(language, q);
  }
  return q;
}

const DOTTED = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** `a.b.c` of a call's callee when it is a plain dotted name (from the query's text, no tree walk). */
export function calleeDotted(mod: PythonModule, call: Node): string | undefined {
  const t = mod.calleeText.get(call.id);
  return t !== undefined && DOTTED.test(t) ? t : undefined;
}

/**
 * The structure nodes under `root`, split among `starts` (ascending start indices of the units): one
 * query pass instead of per-node walks, since every node API call crosses into WASM.
 */
/** Of the calls starting where `callee` does, the one it is the function of: the closest end past the callee's. */
function calleeOwner(candidates: { node: Node }[], callee: Node): Node | undefined {
  if (candidates.length <= 1) return candidates[0]?.node;
  const end = callee.endIndex;
  let best: Node | undefined, bestEnd = Infinity;
  for (const { node } of candidates) {
    const e = node.endIndex;
    if (e > end && e < bestEnd) { best = node; bestEnd = e; }
  }
  return best;
}

export function scanNodes(tree: Tree, root: Node, starts: readonly number[], ends?: readonly number[]): UnitNodes[] {
  const out: UnitNodes[] = starts.map(() => ({ calls: [], functions: [], classes: [], importNodes: [], aliases: [], calleeText: new Map() }));
  const containers: FoundNode[] = [];
  if (!starts.length) return out;
  let u = 0;
  // Calls waiting for their callee, all at the current start position (a callee starts where its call does,
  // and captures come in start order). Several share a start in `f(x)(y)` and `load(p).to(d)`, in no fixed order.
  let pending: { node: Node; start: number }[] = [];
  for (const c of structureQuery(tree.language).captures(root)) {
    const at = c.node.startIndex;
    while (u + 1 < starts.length && starts[u + 1] <= at) u++;
    if (ends && (at < starts[u] || at >= ends[u])) continue; // outside every unit: a statement left out of the analysis
    const into = out[u];
    if (c.name === 'call') {
      into.calls.push(c.node);
      pending = pending.filter((p) => p.start === at);
      pending.push({ node: c.node, start: at });
    } else if (c.name === 'callee') {
      const owner = calleeOwner(pending.filter((p) => p.start === at), c.node);
      if (owner) { into.calleeText.set(owner.id, c.node.text); pending = pending.filter((p) => p.node !== owner); }
    }
    else if (c.name === 'fn') { into.functions.push(c.node); containers.push({ node: c.node, type: 'function_definition' }); }
    else if (c.name === 'cls') { into.classes.push(c.node); containers.push({ node: c.node, type: 'class_definition' }); }
    else if (c.name === 'import') into.importNodes.push(c.node);
    else if (c.name === 'alias') into.aliases.push(c.node);
    else if (c.name !== 'get') containers.push({ node: c.node, type: c.name });
  }
  provideContainers(root, containers);
  return out;
}

export function moduleView(tree: Tree, unit: Unit, nodes: UnitNodes, context: ModuleContext): PythonModule {
  const { calls, functions, classes, importNodes, aliases, calleeText } = nodes;
  return { tree, unit, context, imports: context.imports, moduleNames: context.moduleNames, calls, functions, classes, importNodes, aliases, calleeText, callees: new Map(), memo: new Map() };
}

/** A class's base classes, qualified through imports (memoised: handlers and model facts both ask). */
export function classBases(mod: PythonModule, cls: Node): string[] {
  return memoIn(cached(mod, 'bases', () => new Map<number, string[]>()), cls, () => cls.childForFieldName('superclasses')?.namedChildren.map((b) => (b ? qualify(mod, b.text) : '')) ?? []);
}

/** Whether the module imports `pkg` or one of its submodules (by qualified name). */
export function importsPackage(mod: PythonModule, pkg: string): boolean {
  for (const q of mod.imports.values()) if (q === pkg || q.startsWith(`${pkg}.`)) return true;
  return false;
}

export function isAsync(fn: Node): boolean {
  return fn.child(0)?.type === 'async';
}

/** `compute(node)` cached by node id under `owner` (a tree or module): analyses ask again for the same nodes, and each node access crosses into WASM. */
export function memoById<K extends object, V>(store: WeakMap<K, Map<number, V>>, owner: K, node: Node, compute: (node: Node) => V): V {
  let byId = store.get(owner);
  if (!byId) store.set(owner, byId = new Map());
  return memoIn(byId, node, compute);
}

/** `compute(node)` cached by node id in `byId`. */
export function memoIn<V>(byId: Map<number, V>, node: Node, compute: (node: Node) => V): V {
  if (byId.has(node.id)) return byId.get(node.id)!;
  const v = compute(node);
  byId.set(node.id, v);
  return v;
}

interface CallArgs {
  /** the named children of the call's `arguments` field (argument_list or generator_expression) */
  items: Node[];
  isList: boolean;
  /** the first `name=value` argument of each name */
  keywords: Map<string, Node>;
}

/** Arguments by call id, per tree: several rules ask for the same call's arguments, and each child access crosses into WASM. */
const argsMemo = new WeakMap<Tree, Map<number, CallArgs>>();

export function callArgs(call: Node): CallArgs {
  return memoById(argsMemo, call.tree, call, () => {
    const args = call.childForFieldName('arguments');
    const items = (args?.namedChildren ?? []).filter((n): n is Node => !!n);
    const keywords = new Map<string, Node>();
    for (const n of items) {
      if (n.type !== 'keyword_argument') continue;
      const name = n.childForFieldName('name')?.text;
      if (name !== undefined && !keywords.has(name)) keywords.set(name, n);
    }
    return { items, isList: args?.type === 'argument_list', keywords };
  });
}

/** Positional arguments of a call (keyword and splat arguments excluded). */
export function positionalArgs(call: Node): Node[] {
  const args = callArgs(call);
  if (!args.isList) return [];
  return args.items.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment' && a.type !== 'list_splat' && a.type !== 'dictionary_splat');
}

/** The value of keyword argument `name` of a call, or undefined. */
export function keywordArg(call: Node, name: string): Node | undefined {
  return callArgs(call).keywords.get(name)?.childForFieldName('value') ?? undefined;
}

/** Whether a call passes `**kwargs` (its keyword arguments are then unknown). */
export function hasKwargsSplat(call: Node): boolean {
  return callArgs(call).items.some((a) => a.type === 'dictionary_splat');
}

export function enclosingClass(node: Node): Node | undefined {
  return ancestry(node).cls;
}

interface CalleeParts {
  /** `m` of `x.m(...)` */
  method?: string;
  /** `x` of `x.m(...)` */
  receiver?: Node;
}

const calleeMemo = new WeakMap<Tree, Map<number, CalleeParts>>();

function calleeParts(call: Node): CalleeParts {
  return memoById(calleeMemo, call.tree, call, () => {
    const fn = call.childForFieldName('function');
    return fn?.type === 'attribute' ? { method: fn.childForFieldName('attribute')?.text, receiver: fn.childForFieldName('object') ?? undefined } : {};
  });
}

/** The name of the method called by `x.m(...)`, or undefined for other calls. */
export function methodName(call: Node): string | undefined {
  return calleeParts(call).method;
}

/** The receiver `x` of `x.m(...)`. */
export function receiver(call: Node): Node | undefined {
  return calleeParts(call).receiver;
}

export function collectImports(stmt: Node, into: Map<string, string>): void {
  if (stmt.type === 'import_statement') {
    for (const child of stmt.namedChildren) {
      if (!child) continue;
      if (child.type === 'dotted_name') into.set(child.text.split('.')[0], child.text.split('.')[0]);
      else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text, alias = child.childForFieldName('alias')?.text;
        if (name && alias) into.set(alias, name);
      }
    }
  } else if (stmt.type === 'import_from_statement') {
    // Relative imports keep their dots (`.model.Net`): the workspace index resolves them against the file's folder.
    const mod = stmt.childForFieldName('module_name')?.text;
    if (!mod) return;
    const join = (name: string): string => (mod.endsWith('.') ? `${mod}${name}` : `${mod}.${name}`);
    // `from model import *`: recorded as `*model`, a key no identifier can be; the workspace index brings in what that module defines.
    if (stmt.namedChildren.some((c) => c?.type === 'wildcard_import')) into.set(`*${mod}`, mod);
    for (const child of stmt.childrenForFieldName('name')) {
      if (!child) continue;
      if (child.type === 'dotted_name') into.set(child.text, join(child.text));
      else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text, alias = child.childForFieldName('alias')?.text;
        if (name && alias) into.set(alias, join(name));
      }
    }
  }
}

/** Names bound by an assignment statement (`a = ...`, `a, b = ...`, `a: T = ...`). */
export function assignedNames(stmt: Node): string[] {
  const out: string[] = [];
  const expr = stmt.type === 'expression_statement' ? stmt.namedChild(0) : stmt;
  if (!expr || (expr.type !== 'assignment' && expr.type !== 'augmented_assignment')) return out;
  const left = expr.childForFieldName('left');
  if (!left) return out;
  if (left.type === 'identifier') out.push(left.text);
  else for (const id of left.descendantsOfType('identifier')) if (id && id.parent?.type !== 'attribute') out.push(id.text);
  return out;
}

/** `a.b.c` of an identifier/attribute chain, or undefined for anything else (calls, subscripts). Iterative: chains can be long. */
export function dottedName(node: Node | null): string | undefined {
  const parts: string[] = [];
  let n = node;
  while (n?.type === 'attribute') {
    const attr = n.childForFieldName('attribute')?.text;
    if (!attr) return undefined;
    parts.push(attr);
    n = n.childForFieldName('object');
  }
  if (n?.type !== 'identifier') return undefined;
  parts.push(n.text);
  return parts.reverse().join('.');
}

/** The callee of a call with its head resolved through imports: `ort.InferenceSession` → `onnxruntime.InferenceSession`. */
export function qualifiedCallee(mod: PythonModule, call: Node, depth = 0): string | undefined {
  if (depth === 0) {
    if (mod.callees.has(call.id)) return mod.callees.get(call.id);
    const q = qualifiedCalleeUncached(mod, call, 0);
    mod.callees.set(call.id, q);
    return q;
  }
  return qualifiedCalleeUncached(mod, call, depth);
}

function qualifiedCalleeUncached(mod: PythonModule, call: Node, depth: number): string | undefined {
  const quick = calleeDotted(mod, call);
  if (quick) return qualify(mod, quick);
  const text = mod.calleeText.get(call.id);
  if (text !== undefined && !text.includes('(')) return undefined; // subscripts, lambdas: not a dotted callee
  const fn = call.childForFieldName('function');
  const name = dottedName(fn);
  if (name) return qualify(mod, name);
  // `AutoModel.from_pretrained(x).to(device)`: the callee is an attribute of a call; qualify the attribute tail.
  if (fn?.type === 'attribute' && depth < 8) {
    const inner = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute')?.text;
    if (inner?.type === 'call' && attr) return `${qualifiedCallee(mod, inner, depth + 1) ?? '?'}().${attr}`;
  }
  // `ARCH_REGISTRY.get("CodeFormer")(...)`: a class looked up in a registry by its name, then built.
  if (fn?.type === 'call') {
    const lookup = dottedName(fn.childForFieldName('function'));
    const key = positionalArgs(fn)[0];
    if (lookup?.endsWith('.get') && key?.type === 'string' && /^["'][A-Z]\w*["']$/.test(key.text)) return `${qualify(mod, lookup)}(${key.text})`;
  }
  return undefined;
}

export function qualify(mod: PythonModule, dotted: string): string {
  const [head, ...rest] = dotted.split('.');
  const q = mod.imports.get(head);
  return q ? [q, ...rest].join('.') : dotted;
}

export function enclosingFunction(node: Node): Node | undefined {
  return ancestry(node).fn;
}

/** The innermost loop (for/while/comprehension) between `node` and its enclosing function. */
export function enclosingLoop(node: Node): Node | undefined {
  return ancestry(node).loop;
}

/** The decorators of a function (empty when it has none). */
export function decoratorsOf(fn: Node): Node[] {
  const parent = fn.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((c): c is Node => !!c && c.type === 'decorator');
}

export function functionName(fn: Node): string {
  return fn.childForFieldName('name')?.text ?? '<lambda>';
}

/** Parameters and names assigned anywhere in a function (its locals, roughly). */
export function functionLocals(fn: Node): Set<string> {
  const out = new Set<string>();
  const params = fn.childForFieldName('parameters');
  for (const id of params?.descendantsOfType('identifier') ?? []) {
    if (id && id.parent?.type !== 'attribute' && id.parent?.type !== 'type') out.add(id.text);
  }
  for (const stmt of fn.descendantsOfType(['expression_statement', 'for_statement', 'with_item'])) {
    if (!stmt || enclosingFunction(stmt)?.id !== fn.id) continue;
    if (stmt.type === 'expression_statement') for (const n of assignedNames(stmt)) out.add(n);
    else if (stmt.type === 'for_statement') {
      const left = stmt.childForFieldName('left');
      for (const id of left?.descendantsOfType('identifier') ?? []) if (id) out.add(id.text);
    } else {
      const alias = stmt.descendantsOfType('as_pattern_target')[0];
      for (const id of alias?.descendantsOfType('identifier') ?? []) if (id) out.add(id.text);
    }
  }
  return out;
}

/** The statement directly under the module that contains `node` (decorated definitions whole). */
export function topLevelStatement(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== 'module') n = n.parent;
  return n;
}

/** The smallest enclosing simple statement (the line-ish unit a fix moves). */
export function enclosingStatement(node: Node): Node | undefined {
  for (let p: Node | null = node; p; p = p.parent) {
    if (p.parent && (p.parent.type === 'block' || p.parent.type === 'module')) return p;
  }
  return undefined;
}
