/**
 * The light semantic layer over a JS/TS tree that rules share: import aliases and qualified callees,
 * which names hold an ONNX Runtime session or a transformers.js pipeline, which functions run once
 * per request (see handlers.ts) and which code runs once per item (loops, array callbacks).
 */
import { Query, type Language, type Node, type Tree } from 'web-tree-sitter';
import { collectImports, PROJECT_IMPORT } from './imports';
import { findHandlers } from './handlers';
import type { ImportedLoader, ImportedRunner, ScriptExternal } from './summary';

/** An ORT session, a transformers.js pipeline, or a transformers.js model class (`AutoModel.from_pretrained`). */
export type ModelKind = 'session' | 'pipeline' | 'model';

export interface ScriptModule {
  tree: Tree;
  /** the source text (tree-sitter's own copy) */
  text: string;
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
  /** functions whose result is a list of them, by position: `return Promise.all([this.tokenizer, this.model])` */
  tupleFactories: Map<string, (ModelKind | undefined)[]>;
  /** names holding an instance of a class declared in this file (`this.embedder` → `Embedder`), to resolve method calls */
  instances: Map<string, string>;
  /** nodes of the INDEXED_TYPES by type, from one walk of the tree (each walk of a big tree is costly) */
  index: Map<string, Node[]>;
  /** every variable declarator in the file, collected once */
  declarators: Node[];
  /** every call in the file, collected once (walking the tree is the dominant cost on large files) */
  calls: Node[];
  /** call node id → its callee's dotted name (memo) */
  callees: Map<number, string | undefined>;
  /** call node id → its qualified callee (memo) */
  qualified: Map<number, string | undefined>;
  /** call node id → what modelInvocation found (memo) */
  invocations: Map<number, { kind: ModelKind; receiver: Node } | undefined>;
  /** what the workspace index tells this file about the helpers it imports, by callee as written here (`embed`, `lib.embed`) */
  imported: { runners: Map<string, ImportedRunner>; loaders: Map<string, ImportedLoader>; factories: Map<string, ModelKind>; entries: Map<string, string> };
}

const FUNCTION_TYPES = new Set(['function_declaration', 'generator_function_declaration', 'function_expression', 'function', 'arrow_function', 'method_definition', 'generator_function']);

export function isFunction(node: Node | null | undefined): boolean {
  return !!node && FUNCTION_TYPES.has(node.type);
}

const INDEXED_TYPES = [
  'new_expression', 'variable_declarator', 'import_statement', 'function_declaration',
  'generator_function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'assignment_expression',
  'augmented_assignment_expression', 'public_field_definition', 'field_definition', 'return_statement', 'type_annotation',
];

function indexNodes(root: Node): Map<string, Node[]> {
  const out = new Map<string, Node[]>(INDEXED_TYPES.map((t) => [t, []]));
  for (const n of root.descendantsOfType(INDEXED_TYPES)) if (n) out.get(n.type)?.push(n);
  return out;
}

/**
 * Every call with its callee's dotted name, from one tree-sitter query (matching runs in wasm, so
 * this is far cheaper than visiting each call's children from JS). Callees that are not plain
 * member chains (`(await x).run`, `f()()`) get their name, if any, from the tree walk in calleeName.
 */
const CALL_QUERY = '(call_expression function: (_) @callee) @call';
const queries = new WeakMap<Language, Query>();
const PLAIN_CHAIN = /^[A-Za-z_$][\w$]*(\s*\.\s*[A-Za-z_$][\w$]*)*$/;

function collectCalls(mod: ScriptModule): void {
  const lang = mod.tree.language;
  let q = queries.get(lang);
  if (!q) queries.set(lang, q = new Query(lang, CALL_QUERY));
  for (const m of q.matches(mod.tree.rootNode)) {
    const call = m.captures.find((c) => c.name === 'call')?.node;
    const callee = m.captures.find((c) => c.name === 'callee')?.node;
    if (!call) continue;
    mod.calls.push(call);
    const text = callee?.text ?? '';
    if (PLAIN_CHAIN.test(text) && text.split('.').length <= MAX_CHAIN) mod.callees.set(call.id, text.replace(/\s+/g, ''));
  }
}

/** Nodes of the given types in document order, from the module's index. */
export function nodesOf(mod: ScriptModule, ...types: string[]): Node[] {
  const lists = types.map((t) => mod.index.get(t) ?? []);
  return lists.length === 1 ? lists[0] : lists.flat().sort((a, b) => a.startIndex - b.startIndex);
}

const WORKER_ORT_SCRIPT = /\bimportScripts\s*\([^)]*onnxruntime-web[^)]*\)/;

/** Files that never mention a model runtime have nothing for the script rules (most files of a workspace). */
const MODEL_RUNTIMES = /onnxruntime|transformers|tfjs/;
/** `from './x'`, `require('../x')`, `import('./x')`: the file uses other files of the project. */

/** `external`: the facts of the files it imports (code/workspace/scripts.ts); a file that calls a helper running a model is relevant too. */
export function analyzeScript(tree: Tree, external?: ScriptExternal): ScriptModule {
  const text = tree.rootNode.text;
  const imported = { runners: new Map(external?.runners), loaders: new Map(external?.loaders), factories: new Map(external?.factories), entries: new Map(external?.entries) };
  // A file that imports files of the project may call (or serve) what they define: its summary needs its handlers and calls.
  const relevant = MODEL_RUNTIMES.test(text) || PROJECT_IMPORT.test(text) || imported.entries.size > 0;
  const index = relevant ? indexNodes(tree.rootNode) : new Map<string, Node[]>();
  const declarators = index.get('variable_declarator') ?? [];
  const { imports, specs } = relevant ? collectImports(index.get('import_statement') ?? [], declarators, index.get('function_declaration') ?? []) : { imports: new Map<string, string>(), specs: new Set<string>() };
  // A classic web worker: `importScripts(".../onnxruntime-web/dist/ort.min.js")` defines the global `ort`.
  if (relevant && !imports.has('ort') && WORKER_ORT_SCRIPT.test(text)) imports.set('ort', 'onnxruntime');
  const mod: ScriptModule = {
    tree, text, imports, specs,
    nodeRuntime: [...specs].some((s) => /^(npm:)?onnxruntime-node(@[^/]*)?(\/|$)/.test(s)),
    moduleNames: new Map(), functions: new Map(), handlers: new Map(), perCall: new Map(),
    models: new Map(), factories: new Map(), tupleFactories: new Map(), instances: new Map(),
    declarators,
    index, calls: [], callees: new Map(), qualified: new Map(),
    invocations: new Map(), imported,
  };
  if (!relevant) return mod;
  for (const [name, kind] of imported.factories) mod.factories.set(name, kind);
  collectCalls(mod);
  collectDeclarations(mod);
  collectModels(mod);
  collectInstances(mod);
  for (const [id, why] of findHandlers(mod)) mod.handlers.set(id, why);
  // Exported functions that handlers of other files call per request (the script index's entries).
  if (imported.entries.size) {
    for (const [name, fn] of exportedFunctions(mod)) {
      const why = imported.entries.get(name);
      if (why && !mod.handlers.has(fn.id) && !mod.perCall.has(fn.id)) mod.perCall.set(fn.id, `called from ${why}`);
    }
  }
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
  for (const fn of nodesOf(mod, 'function_declaration', 'generator_function_declaration')) {
    const name = fn?.childForFieldName('name')?.text;
    if (fn && name && !mod.functions.has(name)) mod.functions.set(name, fn);
  }
  for (const d of mod.declarators) {
    if (!/=>|function/.test(d.text.slice(0, 400))) continue;
    const name = d.childForFieldName('name'), value = d.childForFieldName('value');
    if (d && value && name?.type === 'identifier' && isFunction(value) && !mod.functions.has(name.text)) mod.functions.set(name.text, value);
  }
  // Methods by `Class.method` and by bare name (`this.method()` / `obj.method()` resolve by the tail).
  for (const m of nodesOf(mod, 'method_definition')) {
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

/** `a`, `a.b.c`, `this.x` of an identifier/member chain, or undefined for anything else (or absurdly long chains). */
export function dottedName(node: Node | null | undefined): string | undefined {
  const parts: string[] = [];
  let n = node ?? undefined;
  while (n && parts.length <= MAX_CHAIN) {
    if (n.type === 'identifier' || n.type === 'this' || n.type === 'property_identifier' || n.type === 'type_identifier') {
      parts.push(n.text);
      return parts.reverse().join('.');
    }
    if (n.type === 'member_expression') {
      const prop = n.childForFieldName('property');
      if (prop?.type !== 'property_identifier') return undefined;
      parts.push(prop.text);
      n = n.childForFieldName('object') ?? undefined;
    } else if (n.type === 'non_null_expression' || n.type === 'parenthesized_expression') {
      n = n.namedChild(0) ?? undefined;
    } else return undefined;
  }
  return undefined;
}

/** Longer member chains than this are not names anything here cares about (and would cost quadratic time). */
const MAX_CHAIN = 24;

export function qualify(mod: ScriptModule, dotted: string): string {
  const [head, ...rest] = dotted.split('.');
  const q = mod.imports.get(head);
  return q ? [q, ...rest].join('.') : dotted;
}

/** The callee of a call with its head resolved through imports: `ort.InferenceSession.create` → `onnxruntime.InferenceSession.create`. */
export function qualifiedCallee(mod: ScriptModule, call: Node): string | undefined {
  if (mod.qualified.has(call.id)) return mod.qualified.get(call.id);
  const name = calleeName(mod, call);
  const q = name ? qualify(mod, name) : undefined;
  mod.qualified.set(call.id, q);
  return q;
}

/** The dotted name of a call's callee (`ort.InferenceSession.create`), memoised per call. */
export function calleeName(mod: ScriptModule, call: Node): string | undefined {
  if (mod.callees.has(call.id)) return mod.callees.get(call.id);
  const name = dottedName(call.childForFieldName('function'));
  mod.callees.set(call.id, name);
  return name;
}

/** (These take call_expression nodes; checking `.type` again costs a trip into wasm per call.) */
export function isSessionCreate(mod: ScriptModule, call: Node): boolean {
  return qualifiedCallee(mod, call) === 'onnxruntime.InferenceSession.create';
}

export function isPipelineCall(mod: ScriptModule, call: Node): boolean {
  return qualifiedCallee(mod, call) === 'transformers.pipeline';
}

/** transformers.js `AutoModel.from_pretrained`, `AutoTokenizer.from_pretrained`, ... */
export function isPretrainedLoad(mod: ScriptModule, call: Node): boolean {
  const q = qualifiedCallee(mod, call);
  return !!q && /^transformers\.\w+\.from_pretrained$/.test(q);
}

/** Classes whose `from_pretrained` loads something that prepares inputs (a load, but nothing to run or batch). */
const INPUT_PREPARERS = /(Tokenizer|Processor|FeatureExtractor|Config)$/;

/** `AutoModel.from_pretrained(...)`, `CLIPVisionModelWithProjection.from_pretrained(...)`: a model to run (not a tokenizer). */
export function isPretrainedModel(mod: ScriptModule, call: Node): boolean {
  return isPretrainedLoad(mod, call) && !INPUT_PREPARERS.test(qualifiedCallee(mod, call)!.split('.').slice(-2)[0]);
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
    if (isPretrainedModel(mod, n)) return 'model';
    const callee = calleeName(mod, n);
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
  const binders = nodesOf(mod, 'variable_declarator', 'assignment_expression', 'augmented_assignment_expression', 'public_field_definition', 'field_definition');
  const returns = nodesOf(mod, 'return_statement', 'arrow_function');
  // TypeScript says so: `session: ort.InferenceSession`, `extractor: FeatureExtractionPipeline`.
  for (const ann of nodesOf(mod, 'type_annotation')) {
    const kind = ann && typeKind(mod, ann.text.replace(/^:\s*/, ''));
    if (!ann || !kind) continue;
    const owner = ann.parent;
    const target = owner?.childForFieldName('pattern') ?? owner?.childForFieldName('name');
    const name = owner?.type.endsWith('field_definition') ? `this.${target?.text}` : dottedName(target);
    if (name && !mod.models.has(name)) mod.models.set(name, kind);
  }
  for (let round = 0; round < 4; round++) {
    const before = mod.models.size + mod.factories.size + mod.tupleFactories.size;
    const known = [...mod.models.keys(), ...mod.factories.keys(), ...mod.tupleFactories.keys()].map((k) => k.split('.').pop()!.replace(/[$]/g, '\\$&'));
    const mentions = new RegExp(['create', 'pipeline', 'from_pretrained', ...known].join('|'));
    for (const b of binders) {
      if (!b || !mentions.test(b.text.slice(0, 200))) continue; // the value's head decides (await x.create(...), f())
      const isDecl = b.type === 'variable_declarator';
      const target = b.childForFieldName(isDecl ? 'name' : b.type.endsWith('field_definition') ? 'property' : 'left') ?? b.childForFieldName('name');
      const value = b.childForFieldName(isDecl || b.type.endsWith('field_definition') ? 'value' : 'right');
      const kind = modelKindOf(mod, value);
      let name = dottedName(target);
      if (b.type.endsWith('field_definition') && name) name = `this.${name}`;
      if (kind && name && !mod.models.has(name)) mod.models.set(name, kind);
      // `const [tokenizer, model] = await Promise.all([...])` / `= await Holder.getInstance()`
      if (!kind && target?.type === 'array_pattern') {
        const kinds = tupleKindsOf(mod, value);
        target.namedChildren.forEach((el, i) => {
          const k = kinds?.[i], n = el?.type === 'identifier' ? el.text : undefined;
          if (k && n && !mod.models.has(n)) mod.models.set(n, k);
        });
      }
      // A static field read as `this.x` in static methods and `Cls.x` outside.
      if (kind && name?.startsWith('this.')) {
        const cls = enclosingClassName(b);
        if (cls && !mod.models.has(`${cls}.${name.slice(5)}`)) mod.models.set(`${cls}.${name.slice(5)}`, kind);
      }
    }
    for (const r of returns) {
      if (!r || !mentions.test(r.text.slice(0, 200))) continue;
      const value = r.type === 'arrow_function' ? r.childForFieldName('body') : r.namedChild(0);
      if (r.type === 'arrow_function' && value?.type === 'statement_block') continue;
      const kind = modelKindOf(mod, value);
      const fn = r.type === 'arrow_function' ? r : enclosingFunction(r);
      const name = fn && functionRefName(fn);
      const cls = fn?.type === 'method_definition' ? enclosingClassName(fn) : undefined;
      if (kind && name && !mod.factories.has(name)) {
        mod.factories.set(name, kind);
        if (cls) mod.factories.set(`${cls}.${name}`, kind);
      }
      const kinds = !kind && name && !mod.tupleFactories.has(name) ? tupleKindsOf(mod, value) : undefined;
      if (kinds && name) {
        mod.tupleFactories.set(name, kinds);
        if (cls) mod.tupleFactories.set(`${cls}.${name}`, kinds);
      }
    }
    if (mod.models.size + mod.factories.size + mod.tupleFactories.size === before) break;
  }
}

/** Kinds by position of `[a, b]`, `Promise.all([a, b])` or a call of a tuple factory; undefined when none is a model. */
function tupleKindsOf(mod: ScriptModule, expr: Node | null | undefined): (ModelKind | undefined)[] | undefined {
  let n = unwrap(expr);
  if (n?.type === 'call_expression') {
    const callee = calleeName(mod, n);
    if (callee === 'Promise.all') n = unwrap(n.childForFieldName('arguments')?.namedChild(0));
    else return callee ? mod.tupleFactories.get(callee) ?? mod.tupleFactories.get(callee.split('.').pop()!) : undefined;
  }
  if (n?.type !== 'array') return undefined;
  const kinds = n.namedChildren.map((el) => modelKindOf(mod, el));
  return kinds.some((k) => k) ? kinds : undefined;
}

/** `ort.InferenceSession`, `InferenceSession | undefined`, `Promise<InferenceSession>`, `*Pipeline` from transformers. */
function typeKind(mod: ScriptModule, type: string): ModelKind | undefined {
  for (const m of type.matchAll(/[A-Za-z_$][\w$.]*/g)) {
    const q = qualify(mod, m[0]);
    if (q === 'onnxruntime.InferenceSession') return 'session';
    if (/^transformers\.\w*Pipeline$/.test(q)) return 'pipeline';
    if (/^transformers\.(PreTrainedModel|\w*Model(For\w+|With\w+)?|\w+For[A-Z]\w*)$/.test(q)) return 'model';
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

/**
 * A call that runs a model: `session.run(...)`, `(await getSession()).run(...)`, `classifier(text)`,
 * and for transformers.js model classes `model(inputs)` / `model.generate(...)`.
 */
export function modelInvocation(mod: ScriptModule, call: Node): { kind: ModelKind; receiver: Node } | undefined {
  if (mod.invocations.has(call.id)) return mod.invocations.get(call.id);
  const found = findInvocation(mod, call);
  mod.invocations.set(call.id, found);
  return found;
}

/** The method that runs each kind of model when called on it (pipelines and models are also called directly). */
const RUN_METHOD: Record<ModelKind, string | undefined> = { session: 'run', pipeline: undefined, model: 'generate' };

function findInvocation(mod: ScriptModule, call: Node): { kind: ModelKind; receiver: Node } | undefined {
  const name = calleeName(mod, call);
  const held = name ? mod.models.get(name) : undefined;
  // Text first: a `.run(` / `.generate(` call, or a call of a name that holds a pipeline or model.
  if (name ? !/\.(run|generate)$/.test(name) && held !== 'pipeline' && held !== 'model' : !/\.\s*(run|generate)\s*\(/.test(call.text.slice(0, 400))) return undefined;
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'member_expression') {
    const method = fn.childForFieldName('property')?.text;
    const recv = fn.childForFieldName('object')!;
    const kind = method === 'run' || method === 'generate' ? modelKindOf(mod, recv) : undefined;
    if (kind && RUN_METHOD[kind] === method) return { kind, receiver: recv };
  }
  if ((fn.type === 'identifier' || fn.type === 'member_expression') && (held === 'pipeline' || held === 'model')) return { kind: held, receiver: fn };
  return undefined;
}

export function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) return p;
  return undefined;
}

/** Enclosing functions, innermost first; generated or pathological nesting is cut at MAX_NESTING. */
export function enclosingFunctions(node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.parent; p && out.length < MAX_NESTING; p = p.parent) if (isFunction(p)) out.push(p);
  return out;
}

const MAX_NESTING = 32;

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
  return innerScope(node).loop;
}

/**
 * One walk up from `node`: the innermost loop that runs it per iteration (as enclosingLoop) and, when
 * no loop comes first, its enclosing function. Cheaper than asking for both (each step is a call into wasm).
 */
export function innerScope(node: Node): { loop?: Loop; fn?: Node } {
  for (let p = node.parent, child: Node = node; p; child = p, p = p.parent) {
    if (isFunction(p)) {
      const it = iterationCallOf(p);
      return it ? { loop: { node: it, kind: 'callback' }, fn: p } : { fn: p };
    }
    if (/^(for_statement|for_in_statement|while_statement|do_statement)$/.test(p.type) && child.id === p.childForFieldName('body')?.id) return { loop: { node: p, kind: 'statement' } };
  }
  return {};
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
  const calls = mod.calls;
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const call of calls) {
      if (!call) continue;
      const callee = calleeName(mod, call);
      if (!callee) continue;
      const resolved = resolveCall(mod, call);
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

/**
 * The function of this file a call runs: `embed(x)`, `Cls.method(x)`, `this.method(x)` in the class,
 * `this.embedder.embed(x)` / `embedder.embed(x)` where the receiver holds an instance of a class declared here.
 */
export function resolveCall(mod: ScriptModule, call: Node): Node | undefined {
  const callee = calleeName(mod, call);
  if (!callee) return undefined;
  const direct = mod.functions.get(callee);
  if (direct) return direct;
  const dot = callee.lastIndexOf('.');
  if (dot < 0) return undefined;
  const recv = callee.slice(0, dot), method = callee.slice(dot + 1);
  if (recv === 'this') return methodByTail(mod, call, method);
  const cls = mod.instances.get(recv);
  return cls ? mod.functions.get(`${cls}.${method}`) : undefined;
}

/** `x = new Embedder()`, `this.embedder = new Embedder()`, `embedder: Embedder` (parameters, fields) for classes of this file or imported ones. */
function collectInstances(mod: ScriptModule): void {
  const classes = new Set<string>();
  for (const key of mod.functions.keys()) if (key.includes('.')) classes.add(key.split('.')[0]);
  // Classes imported from other files whose methods run or load a model (an injected NestJS service).
  for (const key of [...mod.imported.runners.keys(), ...mod.imported.loaders.keys()]) if (/^[A-Z][\w$]*\.[\w$]+$/.test(key)) classes.add(key.split('.')[0]);
  if (!classes.size) return;
  const classOf = (value: Node | null | undefined): string | undefined => {
    const n = unwrap(value);
    const ctor = n?.type === 'new_expression' ? n.childForFieldName('constructor')?.text : undefined;
    return ctor && classes.has(ctor) ? ctor : undefined;
  };
  for (const b of nodesOf(mod, 'variable_declarator', 'assignment_expression', 'public_field_definition', 'field_definition')) {
    if (!/\bnew\s/.test(b.text.slice(0, 200))) continue;
    const field = b.type.endsWith('field_definition');
    const target = field ? b.childForFieldName('property') ?? b.childForFieldName('name') : b.childForFieldName(b.type === 'variable_declarator' ? 'name' : 'left');
    const cls = classOf(b.childForFieldName(b.type === 'assignment_expression' ? 'right' : 'value'));
    const name = dottedName(target);
    if (cls && name) mod.instances.set(field ? `this.${name}` : name, cls);
  }
  for (const ann of nodesOf(mod, 'type_annotation')) {
    const cls = ann.text.replace(/^:\s*/, '');
    if (!classes.has(cls)) continue;
    const owner = ann.parent;
    const target = owner?.childForFieldName('pattern') ?? owner?.childForFieldName('name') ?? owner?.childForFieldName('property');
    const name = dottedName(target);
    if (!owner || !name) continue;
    // `constructor(private readonly embedder: Embedder)` and fields are read as `this.embedder`.
    const member = owner.type.endsWith('field_definition') || owner.children.some((c) => c?.type === 'accessibility_modifier' || c?.type === 'readonly');
    mod.instances.set(member ? `this.${name}` : name, cls);
  }
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

/**
 * Exported functions by the name importers call them: `export function f`, `export const f = () => ...`,
 * `export default f`, `export { f as g }`, `module.exports = { f, g: h }`, `module.exports = f`,
 * `exports.f = ...`; methods of exported classes (`Cls.m`) and of exported instances (`obj.m`).
 */
export function exportedFunctions(mod: ScriptModule): [string, Node][] {
  const out: [string, Node][] = [];
  const classes = new Map<string, Node[]>();
  for (const [key, fn] of mod.functions) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    let list = classes.get(key.slice(0, dot));
    if (!list) classes.set(key.slice(0, dot), list = []);
    list.push(fn);
  }
  /**
   * `value` exported as `as`: a function, a class's methods, an instance's methods, an object's members.
   * `module.exports = value` is the default export, except that an object's members are the module's own names.
   */
  const add = (as: string, value: Node | null | undefined): void => {
    if (!value) return;
    const own = as === CJS ? 'default' : as;
    if (isFunction(value)) { out.push([own, value]); return; }
    const cls = value.type === 'class_declaration' || value.type === 'class' ? value.childForFieldName('name')?.text
      : value.type === 'new_expression' ? value.childForFieldName('constructor')?.text : undefined;
    if (cls) {
      for (const m of classes.get(cls) ?? []) out.push([`${own}.${m.childForFieldName('name')?.text}`, m]);
      return;
    }
    if (value.type === 'object') {
      const prefix = as === CJS ? '' : `${as}.`;
      for (const p of value.namedChildren) {
        if (p?.type === 'shorthand_property_identifier') add(prefix + p.text, localValue(mod, p.text));
        else if (p?.type === 'pair' || p?.type === 'method_definition') {
          const key = p.childForFieldName(p.type === 'pair' ? 'key' : 'name')?.text;
          if (key) add(prefix + key, p.type === 'pair' ? p.childForFieldName('value') : p);
        }
      }
      return;
    }
    if (value.type === 'identifier') {
      const local = localValue(mod, value.text);
      if (local && local.id !== value.id) add(as, local);
    }
  };
  for (const stmt of mod.tree.rootNode.namedChildren) {
    if (stmt?.type === 'export_statement') {
      if (stmt.childForFieldName('source')) continue; // `export { x } from './y'`: that file's
      const isDefault = stmt.children.some((c) => c?.type === 'default');
      const decl = stmt.childForFieldName('declaration');
      const value = stmt.childForFieldName('value');
      if (isDefault) add('default', decl ?? value);
      else if (decl && /function|class/.test(decl.type)) add(decl.childForFieldName('name')?.text ?? '', decl);
      else if (decl) {
        for (const d of decl.namedChildren) {
          const name = d?.type === 'variable_declarator' ? d.childForFieldName('name') : undefined;
          if (name?.type === 'identifier') add(name.text, d!.childForFieldName('value'));
        }
      }
      for (const clause of stmt.namedChildren) {
        if (clause?.type !== 'export_clause') continue;
        for (const s of clause.namedChildren) {
          const name = s?.childForFieldName('name')?.text, alias = s?.childForFieldName('alias')?.text;
          if (name) add(alias ?? name, localValue(mod, name));
        }
      }
    } else if (stmt?.type === 'expression_statement') {
      const a = stmt.namedChild(0);
      if (a?.type !== 'assignment_expression') continue;
      const left = dottedName(a.childForFieldName('left'));
      const right = a.childForFieldName('right');
      if (left === 'module.exports') add(CJS, right);
      else if (left && /^(module\.)?exports\.[\w$]+$/.test(left)) add(left.split('.').pop()!, right);
    }
  }
  return out;
}

const CJS = 'module.exports';

/** What a top-level name of the file is: its function, its class, or the value it was declared with. */
function localValue(mod: ScriptModule, name: string): Node | undefined {
  const fn = mod.functions.get(name);
  if (fn) return fn;
  for (const stmt of mod.tree.rootNode.namedChildren) {
    const decl = stmt?.type === 'export_statement' ? stmt.childForFieldName('declaration') : stmt;
    if ((decl?.type === 'class_declaration') && decl.childForFieldName('name')?.text === name) return decl;
    if (decl?.type === 'lexical_declaration' || decl?.type === 'variable_declaration') {
      for (const d of decl.namedChildren) {
        if (d?.type === 'variable_declarator' && d.childForFieldName('name')?.text === name) {
          const v = d.childForFieldName('value');
          return v?.type === 'new_expression' || v?.type === 'object' || v?.type === 'class' ? v : undefined;
        }
      }
    }
  }
  return undefined;
}
