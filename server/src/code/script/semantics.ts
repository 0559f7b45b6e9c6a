/**
 * The light semantic layer over a JS/TS tree that rules share: import aliases and qualified callees,
 * which names hold an ONNX Runtime session or a transformers.js pipeline, which functions run once
 * per request (see handlers.ts) and which code runs once per item (loops, array callbacks).
 */
import type { Node, Tree } from 'web-tree-sitter';
import { collectImports } from './imports';
import { findHandlers } from './handlers';

export type ModelKind = 'session' | 'pipeline';

export interface ScriptModule {
  tree: Tree;
  /** local name → qualified name (`ort` → `onnxruntime`, `pipeline` → `transformers.pipeline`) */
  imports: Map<string, string>;
  /** the module specifiers the file imports or requires */
  specs: Set<string>;
  /** Node-side ONNX Runtime: the file loads `onnxruntime-node` (server code, not the browser) */
  nodeRuntime: boolean;
  /** names declared at the top level, with the row of their declaration */
  moduleNames: Map<string, number>;
  /** functions by name (declarations and `const f = () => ...`), for following calls and handler references */
  functions: Map<string, Node>;
  /** function node id → why it runs once per request (`an Express route handler (app.post('/predict'))`) */
  handlers: Map<number, string>;
  /** function node id → why it runs per request or per item because a handler or loop calls it */
  perCall: Map<number, string>;
  /** names (`session`, `this.classifier`) that hold a model, or a promise of one */
  models: Map<string, ModelKind>;
  /** functions whose result (awaited) is a model: `getSession()`, `PipelineSingleton.getInstance()` */
  factories: Map<string, ModelKind>;
}

const FUNCTION_TYPES = new Set(['function_declaration', 'generator_function_declaration', 'function_expression', 'function', 'arrow_function', 'method_definition', 'generator_function']);

export function isFunction(node: Node | null | undefined): boolean {
  return !!node && FUNCTION_TYPES.has(node.type);
}

export function analyzeScript(tree: Tree): ScriptModule {
  const { imports, specs } = collectImports(tree.rootNode);
  const mod: ScriptModule = {
    tree, imports, specs,
    nodeRuntime: [...specs].some((s) => /^onnxruntime-node(\/|$)/.test(s)),
    moduleNames: new Map(), functions: new Map(), handlers: new Map(), perCall: new Map(),
    models: new Map(), factories: new Map(),
  };
  collectDeclarations(mod);
  collectModels(mod);
  for (const [id, why] of findHandlers(mod)) mod.handlers.set(id, why);
  propagatePerCall(mod);
  return mod;
}

function collectDeclarations(mod: ScriptModule): void {
  const root = mod.tree.rootNode;
  for (const stmt of root.namedChildren) {
    if (!stmt) continue;
    const decl = stmt.type === 'export_statement' ? stmt.childForFieldName('declaration') ?? stmt : stmt;
    for (const name of declaredNames(decl)) mod.moduleNames.set(name, stmt.startPosition.row);
  }
  for (const fn of root.descendantsOfType(['function_declaration', 'generator_function_declaration'])) {
    const name = fn?.childForFieldName('name')?.text;
    if (fn && name && !mod.functions.has(name)) mod.functions.set(name, fn);
  }
  for (const d of root.descendantsOfType('variable_declarator')) {
    const name = d?.childForFieldName('name'), value = d?.childForFieldName('value');
    if (d && value && name?.type === 'identifier' && isFunction(value) && !mod.functions.has(name.text)) mod.functions.set(name.text, value);
  }
  // Methods by `Class.method` and by bare name (`this.method()` / `obj.method()` resolve by the tail).
  for (const m of root.descendantsOfType('method_definition')) {
    const name = m?.childForFieldName('name')?.text;
    const cls = m?.parent?.parent;
    const clsName = cls?.childForFieldName('name')?.text;
    if (m && name && clsName) mod.functions.set(`${clsName}.${name}`, m);
  }
}

/** Names a declaration statement binds (`const a = 1, {b} = x`, `function f`, `class C`). */
export function declaredNames(stmt: Node): string[] {
  if (stmt.type === 'lexical_declaration' || stmt.type === 'variable_declaration') {
    return stmt.namedChildren.flatMap((d) => {
      const name = d?.type === 'variable_declarator' ? d.childForFieldName('name') : undefined;
      if (!name) return [];
      if (name.type === 'identifier') return [name.text];
      return name.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']).map((n) => n?.text ?? '').filter(Boolean);
    });
  }
  const name = /function|class/.test(stmt.type) ? stmt.childForFieldName('name')?.text : undefined;
  return name ? [name] : [];
}

/** `a`, `a.b.c`, `this.x` of an identifier/member chain, or undefined for anything else. */
export function dottedName(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier' || node.type === 'this' || node.type === 'property_identifier' || node.type === 'type_identifier') return node.text;
  if (node.type === 'member_expression') {
    const obj = dottedName(node.childForFieldName('object'));
    const prop = node.childForFieldName('property');
    return obj && prop?.type === 'property_identifier' ? `${obj}.${prop.text}` : undefined;
  }
  if (node.type === 'non_null_expression' || node.type === 'parenthesized_expression') return dottedName(node.namedChild(0));
  return undefined;
}

export function qualify(mod: ScriptModule, dotted: string): string {
  const [head, ...rest] = dotted.split('.');
  const q = mod.imports.get(head);
  return q ? [q, ...rest].join('.') : dotted;
}

/** The callee of a call with its head resolved through imports: `ort.InferenceSession.create` → `onnxruntime.InferenceSession.create`. */
export function qualifiedCallee(mod: ScriptModule, call: Node): string | undefined {
  const name = dottedName(call.childForFieldName('function'));
  return name ? qualify(mod, name) : undefined;
}

export function isSessionCreate(mod: ScriptModule, call: Node): boolean {
  return call.type === 'call_expression' && qualifiedCallee(mod, call) === 'onnxruntime.InferenceSession.create';
}

export function isPipelineCall(mod: ScriptModule, call: Node): boolean {
  return call.type === 'call_expression' && qualifiedCallee(mod, call) === 'transformers.pipeline';
}

/** transformers.js `AutoModel.from_pretrained`, `AutoTokenizer.from_pretrained`, ... */
export function isPretrainedLoad(mod: ScriptModule, call: Node): boolean {
  const q = call.type === 'call_expression' ? qualifiedCallee(mod, call) : undefined;
  return !!q && /^transformers\.\w+\.from_pretrained$/.test(q);
}

function unwrap(node: Node | null | undefined): Node | undefined {
  let n = node ?? undefined;
  while (n && (n.type === 'await_expression' || n.type === 'parenthesized_expression' || n.type === 'non_null_expression' || n.type === 'as_expression' || n.type === 'satisfies_expression')) n = n.namedChild(0) ?? undefined;
  return n;
}

/** What model (or promise of one) an expression yields, if any. */
export function modelKindOf(mod: ScriptModule, expr: Node | null | undefined): ModelKind | undefined {
  const n = unwrap(expr);
  if (!n) return undefined;
  if (n.type === 'call_expression') {
    if (isSessionCreate(mod, n)) return 'session';
    if (isPipelineCall(mod, n)) return 'pipeline';
    const callee = dottedName(n.childForFieldName('function'));
    if (callee) return mod.factories.get(callee) ?? mod.factories.get(callee.split('.').pop()!);
    return undefined;
  }
  const name = dottedName(n);
  if (name) return mod.models.get(name);
  if (n.type === 'binary_expression' || n.type === 'ternary_expression') {
    for (const c of n.namedChildren) { const k = modelKindOf(mod, c); if (k) return k; }
  }
  if (n.type === 'assignment_expression' || n.type === 'augmented_assignment_expression') return modelKindOf(mod, n.childForFieldName('right'));
  return undefined;
}

/** Names bound to models, and functions that return them, to a fixpoint (factories feed names and back). */
function collectModels(mod: ScriptModule): void {
  const root = mod.tree.rootNode;
  const binders = root.descendantsOfType(['variable_declarator', 'assignment_expression', 'augmented_assignment_expression', 'public_field_definition', 'field_definition']);
  const returns = root.descendantsOfType(['return_statement', 'arrow_function']);
  // TypeScript says so: `session: ort.InferenceSession`, `extractor: FeatureExtractionPipeline`.
  for (const ann of root.descendantsOfType('type_annotation')) {
    const owner = ann?.parent;
    const target = owner?.childForFieldName('pattern') ?? owner?.childForFieldName('name');
    const name = owner?.type.endsWith('field_definition') ? `this.${target?.text}` : dottedName(target);
    const kind = ann && typeKind(mod, ann.text.replace(/^:\s*/, ''));
    if (kind && name && !mod.models.has(name)) mod.models.set(name, kind);
  }
  for (let round = 0; round < 4; round++) {
    const before = mod.models.size + mod.factories.size;
    for (const b of binders) {
      if (!b) continue;
      const isDecl = b.type === 'variable_declarator';
      const target = b.childForFieldName(isDecl ? 'name' : b.type.endsWith('field_definition') ? 'property' : 'left') ?? b.childForFieldName('name');
      const value = b.childForFieldName(isDecl || b.type.endsWith('field_definition') ? 'value' : 'right');
      const kind = modelKindOf(mod, value);
      let name = dottedName(target);
      if (b.type.endsWith('field_definition') && name) name = `this.${name}`;
      if (kind && name && !mod.models.has(name)) mod.models.set(name, kind);
      // A static field read as `this.x` in static methods and `Cls.x` outside.
      if (kind && name?.startsWith('this.')) {
        const cls = enclosingClassName(b);
        if (cls && !mod.models.has(`${cls}.${name.slice(5)}`)) mod.models.set(`${cls}.${name.slice(5)}`, kind);
      }
    }
    for (const r of returns) {
      if (!r) continue;
      const value = r.type === 'arrow_function' ? r.childForFieldName('body') : r.namedChild(0);
      if (r.type === 'arrow_function' && value?.type === 'statement_block') continue;
      const kind = modelKindOf(mod, value);
      const fn = r.type === 'arrow_function' ? r : enclosingFunction(r);
      const name = fn && functionRefName(fn);
      if (kind && name && !mod.factories.has(name)) {
        mod.factories.set(name, kind);
        const cls = fn.type === 'method_definition' ? enclosingClassName(fn) : undefined;
        if (cls) mod.factories.set(`${cls}.${name}`, kind);
      }
    }
    if (mod.models.size + mod.factories.size === before) break;
  }
}

/** `ort.InferenceSession`, `InferenceSession | undefined`, `Promise<InferenceSession>`, `*Pipeline` from transformers. */
function typeKind(mod: ScriptModule, type: string): ModelKind | undefined {
  for (const m of type.matchAll(/[A-Za-z_$][\w$.]*/g)) {
    const q = qualify(mod, m[0]);
    if (q === 'onnxruntime.InferenceSession') return 'session';
    if (/^transformers\.\w*Pipeline$/.test(q)) return 'pipeline';
  }
  return undefined;
}

function enclosingClassName(node: Node): string | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'class_declaration' || p.type === 'class') return p.childForFieldName('name')?.text;
  return undefined;
}

/** The name a function is called by: its own name, its variable's, or its method's. */
export function functionRefName(fn: Node): string | undefined {
  const own = fn.childForFieldName('name')?.text;
  if (own) return own;
  const p = fn.parent;
  if (p?.type === 'variable_declarator') return p.childForFieldName('name')?.text;
  if (p?.type === 'pair') return p.childForFieldName('key')?.text;
  if (p?.type === 'assignment_expression') return dottedName(p.childForFieldName('left'))?.split('.').pop();
  return undefined;
}

export function functionName(fn: Node): string {
  return functionRefName(fn) ?? '<anonymous>';
}

/** A call that runs a model: `session.run(...)`, `(await getSession()).run(...)`, `classifier(text)`. */
export function modelInvocation(mod: ScriptModule, call: Node): { kind: ModelKind; receiver: Node } | undefined {
  if (call.type !== 'call_expression') return undefined;
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'member_expression' && fn.childForFieldName('property')?.text === 'run') {
    const recv = fn.childForFieldName('object')!;
    if (modelKindOf(mod, recv) === 'session') return { kind: 'session', receiver: recv };
  }
  if (fn.type === 'identifier' || fn.type === 'member_expression') {
    const name = dottedName(fn);
    if (name && mod.models.get(name) === 'pipeline') return { kind: 'pipeline', receiver: fn };
  }
  return undefined;
}

export function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) return p;
  return undefined;
}

export function enclosingFunctions(node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) out.push(p);
  return out;
}

const ITERATION_METHODS = new Set(['map', 'forEach', 'flatMap', 'filter', 'reduce', 'some', 'every', 'find', 'findIndex']);

/** `xs.map(cb)` etc.: the call whose callback `fn` is, if it iterates a collection. */
export function iterationCallOf(fn: Node): Node | undefined {
  const args = fn.parent;
  if (args?.type !== 'arguments') return undefined;
  const call = args.parent;
  const callee = call?.childForFieldName('function');
  if (callee?.type !== 'member_expression') return undefined;
  const method = callee.childForFieldName('property')?.text;
  if (method && ITERATION_METHODS.has(method)) return call!;
  // Array.from(xs, cb)
  if (method === 'from' && callee.childForFieldName('object')?.text === 'Array' && args.namedChild(1)?.id === fn.id) return call!;
  return undefined;
}

export type Loop = { node: Node; kind: 'statement' | 'callback' };

/**
 * The innermost loop whose body runs `node` once per iteration: a for/for-of/while/do statement
 * (within the same function), or an array-iteration callback (`xs.map(x => ...)`).
 */
export function enclosingLoop(node: Node): Loop | undefined {
  for (let p = node.parent, child: Node = node; p; child = p, p = p.parent) {
    if (isFunction(p)) {
      const it = iterationCallOf(p);
      return it ? { node: it, kind: 'callback' } : undefined;
    }
    if (/^(for_statement|for_in_statement|while_statement|do_statement)$/.test(p.type) && child.id === p.childForFieldName('body')?.id) return { node: p, kind: 'statement' };
  }
  return undefined;
}

/** Every loop around `node` up to its function, innermost first (same rules as enclosingLoop). */
export function loopsAround(node: Node): Loop[] {
  const out: Loop[] = [];
  let n: Node | undefined = node;
  while (n) {
    const l = enclosingLoop(n);
    if (!l) break;
    out.push(l);
    n = l.node;
  }
  return out;
}

/**
 * Functions called from a request handler or inside a loop run per request / per item too:
 * follows calls to functions declared in this file, transitively.
 */
function propagatePerCall(mod: ScriptModule): void {
  const calls = mod.tree.rootNode.descendantsOfType('call_expression');
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const call of calls) {
      if (!call) continue;
      const callee = dottedName(call.childForFieldName('function'));
      if (!callee) continue;
      const target = mod.functions.get(callee) ?? (callee.startsWith('this.') ? undefined : undefined);
      const resolved = target ?? (callee.startsWith('this.') ? methodByTail(mod, call, callee.slice(5)) : undefined);
      if (!resolved || mod.handlers.has(resolved.id) || mod.perCall.has(resolved.id)) continue;
      if (enclosingFunctions(call).some((f) => f.id === resolved.id)) continue; // recursion
      const why = perRequestReason(mod, call);
      if (!why) continue;
      mod.perCall.set(resolved.id, `called from ${why}`);
      changed = true;
    }
    if (!changed) break;
  }
}

function methodByTail(mod: ScriptModule, call: Node, name: string): Node | undefined {
  const cls = enclosingClassName(call);
  return cls ? mod.functions.get(`${cls}.${name}`) : undefined;
}

/** Why `node` runs once per request or per item, or undefined when it runs once. */
export function perRequestReason(mod: ScriptModule, node: Node): string | undefined {
  const loop = enclosingLoop(node);
  if (loop) {
    const fn = enclosingFunction(loop.node);
    return `a loop${fn ? ` in \`${functionName(fn)}\`` : ''}`;
  }
  for (const fn of enclosingFunctions(node)) {
    const named = functionRefName(fn);
    const h = mod.handlers.get(fn.id);
    if (h) return named ? `\`${named}\`, ${h}` : h;
    const c = mod.perCall.get(fn.id);
    if (c) return named ? `\`${named}\`, ${c}` : `a function ${c}`;
    const l = enclosingLoop(fn);
    if (l) return `a loop${enclosingFunction(l.node) ? ` in \`${functionName(enclosingFunction(l.node)!)}\`` : ''}`;
  }
  return undefined;
}

/** Identifiers a function binds: parameters and declarations in its body (not nested functions'). */
export function functionLocals(fn: Node): Set<string> {
  const out = new Set<string>();
  const params = fn.childForFieldName('parameters') ?? fn.childForFieldName('parameter');
  if (params?.type === 'identifier') out.add(params.text);
  for (const id of params?.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']) ?? []) {
    if (id && id.parent?.type !== 'type_annotation') out.add(id.text);
  }
  for (const d of fn.descendantsOfType(['lexical_declaration', 'variable_declaration', 'for_in_statement', 'catch_clause'])) {
    if (!d || enclosingFunction(d)?.id !== fn.id) continue;
    if (d.type === 'for_in_statement') {
      for (const id of d.childForFieldName('left')?.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']) ?? []) if (id) out.add(id.text);
    } else if (d.type === 'catch_clause') {
      const p = d.childForFieldName('parameter'); if (p) out.add(p.text);
    } else for (const n of declaredNames(d)) out.add(n);
  }
  return out;
}

/** The statement directly under the program that contains `node`. */
export function topLevelStatement(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== 'program') n = n.parent;
  return n;
}
