/**
 * The request path as a call graph. Each unit declares, as plain data, the functions it defines
 * (by qualified name: `run_model`, `Classifier.classify`), the calls each makes to names that may be
 * the file's own functions (`run_model(x)`, `self.classify(x)`, `worker.embed(x)` on a module-level
 * object, `Classifier()`), and the module-level objects it creates. Once every unit is merged, the
 * request path is everything the handlers reach through those calls (context.ts `requestPaths`):
 * a rule about per-request work then sees a load inside a helper that a route calls.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { ancestry } from './ancestry';
import { functionName, isAsync, keywordArg, memoById, positionalArgs, PythonModule } from './semantics';

/** The pseudo-function of module-level code (the Streamlit script body reruns it per interaction). */
export const MODULE_CODE = '<module>';

/** A call from one of the unit's functions to something that may be a function of the file. */
export interface CallEdge {
  /** qualified name of the calling function (the outermost one: nested functions belong to it) */
  from: string;
  /** `f`, `C.m`, `@obj.m` (a method of a module-level object, resolved once instances are known) */
  to: string;
  /** the callee is only handed over (`to_thread(f, x)`, `Thread(target=f)`, `executor.submit(f)`): it runs, but not on this thread */
  deferred: boolean;
  awaited: boolean;
  /** the call is iterated where it is made (`for x in gen()`, `next(gen())`): a generator's body runs here */
  iterated: boolean;
  /** made under `torch.no_grad()`/`inference_mode()` (the callee then runs without autograd, on this thread) */
  noGrad: boolean;
}

export interface FunctionDef {
  name: string;
  async: boolean;
  /** cached with lru_cache / st.cache_resource: its body runs once per key, never per request */
  cached: boolean;
  /** a generator function: calling it runs nothing until the generator is iterated */
  generator: boolean;
  /** iterates a `TextIteratorStreamer` it made: blocks until another thread's generation finishes */
  drains?: true;
}

/**
 * The function holding `node`, by qualified name; MODULE_CODE at module level. A nested function is
 * its own node of the graph (a route defined inside `create_app()` is a handler, `create_app` is not),
 * named by its plain name, as the enclosing function calls it.
 */
export function ownerOf(node: Node): { name: string; fn?: Node } {
  const fn = ancestry(node).fn;
  return fn ? { name: qualifiedName(fn), fn } : { name: MODULE_CODE };
}

const qualifiedNames = new WeakMap<Tree, Map<number, string>>();

/** `C.m` for a method of class C, the plain name for any other function (memoised per tree: rules ask often). */
export function qualifiedName(fn: Node): string {
  return memoById(qualifiedNames, fn.tree, fn, computeQualifiedName);
}

function computeQualifiedName(fn: Node): string {
  const name = functionName(fn);
  const holder = fn.parent?.type === 'decorated_definition' ? fn.parent.parent : fn.parent;
  const cls = holder?.type === 'block' ? holder.parent : undefined;
  return cls?.type === 'class_definition' ? `${cls.childForFieldName('name')?.text ?? '?'}.${name}` : name;
}

/** The unit's function definitions, nested ones included (`cached`: decorated with a cache, serving.ts decides). */
export function functionDefs(mod: PythonModule, cached: (fn: Node) => boolean): FunctionDef[] {
  return mod.functions.map((fn) => ({
    name: qualifiedName(fn), async: isAsync(fn), cached: cached(fn), generator: isGenerator(mod, fn), ...(drainsStreamer(mod, fn) && { drains: true as const }),
  }));
}

/** A streamer whose iteration blocks on a queue (not the async one, which `async for` awaits). */
const BLOCKING_STREAMER = /(^|\.)TextIteratorStreamer$/;

/**
 * `for text in streamer` (or `yield from`) over a `TextIteratorStreamer` the function
 * made: each step waits on a queue that a generation thread fills, so the loop lasts the whole generation.
 */
function drainsStreamer(mod: PythonModule, fn: Node): boolean {
  const streamers = streamersMadeIn(mod, fn);
  return streamers.size > 0 && consumedNames(fn).some((n) => streamers.has(n));
}

/** Names the function binds to a blocking `TextIteratorStreamer(...)`. */
export function streamersMadeIn(mod: PythonModule, fn: Node): Set<string> {
  const streamers = new Set<string>();
  if (!textIn(mod, fn).includes('IteratorStreamer(')) return streamers;
  for (const call of mod.calls) {
    if (call.startIndex < fn.startIndex || call.endIndex > fn.endIndex || !BLOCKING_STREAMER.test(mod.calleeText.get(call.id) ?? '')) continue;
    const left = call.parent?.type === 'assignment' ? call.parent.childForFieldName('left') : undefined;
    if (left?.type === 'identifier' && ancestry(call).fn?.id === fn.id) streamers.add(left.text);
  }
  return streamers;
}

/** Names the function's own body iterates (a plain `for`, `yield from`), not in nested functions. */
export function consumedNames(fn: Node): string[] {
  return memoById(consumed, fn.tree, fn, computeConsumed);
}

const consumed = new WeakMap<Tree, Map<number, string[]>>();

function computeConsumed(fn: Node): string[] {
  const out: string[] = [];
  const body = fn.childForFieldName('body');
  if (!body) return out;
  // Loops and `yield from` only: walking every call of every function costs more than the rare `list(gen)` is worth.
  for (const n of body.descendantsOfType(['for_statement', 'yield'])) {
    if (!n || ancestry(n).fn?.id !== fn.id) continue;
    const it = n.type === 'for_statement' ? (n.child(0)?.type === 'async' ? undefined : n.childForFieldName('right'))
      : n.child(1)?.type === 'from' ? n.namedChild(0) : undefined;
    if (it?.type === 'identifier') out.push(it.text);
  }
  return out;
}

/**
 * `seeds` and every function that calls one of them, to a fixpoint over the file's calls; `follows(edge,
 * caller, callee)` says which calls count.
 */
export function callersClosure(g: Pick<CallGraphInput, 'defs' | 'instances' | 'classes' | 'edges'>, seeds: Iterable<string>,
  follows: (e: CallEdge, caller: FunctionDef | undefined, callee: FunctionDef | undefined) => boolean): Set<string> {
  const out = new Set(seeds);
  for (let changed = out.size > 0; changed;) {
    changed = false;
    for (const e of g.edges) {
      if (out.has(e.from)) continue;
      const to = resolveTarget(g, e.to);
      if (to && out.has(to) && follows(e, g.defs.get(e.from), g.defs.get(to))) { out.add(e.from); changed = true; }
    }
  }
  return out;
}

/** The file's functions that block until a streamed generation ends: drainers, and plain functions that run one on their thread. */
export function drainingFunctions(g: Pick<CallGraphInput, 'defs' | 'instances' | 'classes' | 'edges'>): Set<string> {
  const drains = [...g.defs.values()].filter((d) => d.drains).map((d) => d.name);
  return callersClosure(g, drains, (e, caller, callee) => !e.awaited && !caller?.async && runsInCaller(e, callee));
}

/** A node's text from the unit's own string (no copy out of WASM). */
function textIn(mod: PythonModule, node: Node): string {
  return mod.unit.text.slice(node.startIndex - mod.unit.startIndex, node.endIndex - mod.unit.startIndex);
}

function isGenerator(mod: PythonModule, fn: Node): boolean {
  if (!/\byield\b/.test(textIn(mod, fn))) return false;
  const body = fn.childForFieldName('body');
  if (!body) return false;
  return body.descendantsOfType('yield').some((y) => !!y && ancestry(y).fn?.id === fn.id);
}

/** The condition of a lazy initialisation: `if MODEL is None`, `if not hasattr(...)`, `if key not in CACHE`. */
export const LAZY_GUARD = /\bis\s+None\b|^not\s|\bnot\s+hasattr\b|\bnot\s+in\b/;
const LAZY_GUARD_TEXT = /\bif\s+not\b|\bis\s+None\b|\bnot\s+in\b|!=/;

/**
 * A guard that lets a load through only when the model changes: `if name != cache["name"]:`, or a flag
 * set from a None test (`reload = CACHE["model"] is None` ... `if reload:`). The body runs on a switch, not per request.
 */
export function switchGuard(cond: string, fnText: string): boolean {
  if (/!=/.test(cond) && /cache|current|loaded|last_|active/i.test(cond)) return true;
  if (!/^[A-Za-z_]\w*$/.test(cond)) return false;
  return new RegExp(`\\b${cond}\\s*=[^\\n=][^\\n]*\\bis\\s+None\\b`).test(fnText);
}
/** Builtins and the packages real serving code calls most: never a function of the workspace. */
const BUILTINS = new Set(['print', 'len', 'range', 'str', 'int', 'float', 'bool', 'list', 'dict', 'set', 'tuple', 'isinstance', 'getattr', 'setattr',
  'hasattr', 'open', 'super', 'enumerate', 'zip', 'sorted', 'min', 'max', 'sum', 'any', 'all', 'map', 'filter', 'type', 'repr', 'round', 'abs', 'iter',
  'next', 'format', 'id', 'hash', 'vars', 'dir', 'callable', 'bytes', 'bytearray', 'divmod', 'pow', 'reversed', 'slice', 'frozenset', 'issubclass',
  'ValueError', 'TypeError', 'KeyError', 'RuntimeError', 'Exception', 'HTTPException', 'NotImplementedError', 'AssertionError']);
const LIBRARIES = new Set(['os', 'sys', 're', 'json', 'time', 'math', 'random', 'logging', 'typing', 'datetime', 'pathlib', 'collections', 'itertools',
  'functools', 'subprocess', 'shutil', 'io', 'base64', 'uuid', 'hashlib', 'threading', 'asyncio', 'numpy', 'torch', 'transformers', 'PIL', 'cv2',
  'pandas', 'requests', 'fastapi', 'flask', 'django', 'pydantic', 'uvicorn', 'gradio', 'streamlit', 'onnxruntime', 'tensorflow', 'keras', 'sklearn',
  'scipy', 'matplotlib', 'tqdm', 'yaml', 'argparse', 'copy', 'glob', 'traceback', 'warnings', 'string', 'struct', 'pickle', 'tempfile', 'inspect',
  'dataclasses', 'enum', 'abc', 'contextlib', 'socket', 'urllib', 'http', 'csv', 'sqlite3', 'boto3', 'redis', 'ray', 'bentoml', 'starlette', 'aiohttp',
  'httpx', 'openai', 'langchain', 'diffusers', 'accelerate', 'peft', 'safetensors', 'huggingface_hub', 'sentence_transformers', 'ultralytics',
  'librosa', 'soundfile', 'torchvision', 'torchaudio', 'timm', 'einops', 'werkzeug', 'click', 'gc', 'platform', 'signal', 'queue', 'concurrent']);

/** A callee that names a builtin or goes through a library import (`np.array`, `os.path.join`): no edge to look for. */
function cannotBeWorkspace(mod: PythonModule, callee: string): boolean {
  const dot = callee.indexOf('.');
  const head = dot < 0 ? callee : callee.slice(0, dot);
  if (dot < 0 && BUILTINS.has(head)) return true;
  const q = mod.imports.get(head);
  return !!q && LIBRARIES.has(q.split('.')[0]);
}
/** Calls that run a function handed to them somewhere else (a thread, an executor, a process). */
const HAND_OVER = /(^|\.)(to_thread|run_in_threadpool|run_in_executor|submit|map|apply_async|run_sync|sync_to_async|Thread|Process|create_task|ensure_future|partial)$/;
const IDENT = /^[A-Za-z_]\w*$/;
/** The class of an object built by a call we cannot follow (`model = create_model(cfg)`). */
export const OPAQUE = '?';
const ALT_CONSTRUCTOR = /^([A-Z]\w*)\.(from_\w+|load|create|build|restore)$/;
const SELF_CALL = /^(self|cls)\.(\w+)$/;
const SELF_ATTR_CALL = /^self\.(\w+)\.(\w+)$/;
const OBJECT_CALL = /^([A-Za-z_]\w*)\.(\w+)$/;

/** The unit's calls that may reach the file's own functions. */
export function callEdges(mod: PythonModule, noGrad: (call: Node) => boolean): CallEdge[] {
  const out: CallEdge[] = [];
  const owners = new Map<number, { name: string; fn?: Node; guards: boolean }>();
  for (const call of mod.calls) {
    const callee = mod.calleeText.get(call.id) ?? '';
    const handsOver = HAND_OVER.test(callee);
    const target = handsOver || cannotBeWorkspace(mod, callee) ? undefined : callTarget(call, callee);
    if (!target && !handsOver && !textIn(mod, call).includes('target')) continue;
    // The owner and whether it has lazy-init guards at all, once per function (each node access crosses into WASM).
    const fn = ancestry(call).fn;
    let owner = owners.get(fn?.id ?? -1);
    if (!owner) {
      owner = fn ? { name: qualifiedName(fn), fn, guards: LAZY_GUARD_TEXT.test(textIn(mod, fn)) } : { name: MODULE_CODE, guards: false };
      owners.set(fn?.id ?? -1, owner);
    }
    if (owner.guards && lazilyGuarded(mod, call, owner.fn)) continue;
    if (target) out.push({ from: owner.name, to: target, deferred: false, awaited: call.parent?.type === 'await', iterated: iterated(call), noGrad: noGrad(call) });
    // Functions handed over as arguments run too, though not on this thread (and not awaited here).
    const args = handsOver ? positionalArgs(call) : [];
    const named = keywordArg(call, 'target') ?? keywordArg(call, 'func') ?? keywordArg(call, 'fn');
    for (const arg of named ? [...args, named] : args) {
      const ref = referenceOf(arg);
      if (ref) out.push({ from: owner.name, to: ref, deferred: true, awaited: false, iterated: false, noGrad: false });
    }
  }
  return out;
}

const ITERATES = /^(next|list|tuple|sorted|enumerate|zip|sum|any|all|join)$/;

/** `for x in f()`, `next(f())`, `list(f())`: the value is consumed where the call is. */
export function iterated(call: Node): boolean {
  const p = call.parent;
  if ((p?.type === 'for_statement' || p?.type === 'for_in_clause') && p.childForFieldName('right')?.id === call.id) return true;
  if (p?.type === 'yield' && p.child(1)?.type === 'from') return true;
  // `gen = stream(...)` then `for x in gen:` in the same function.
  const left = p?.type === 'assignment' && p.childForFieldName('right')?.id === call.id ? p.childForFieldName('left') : undefined;
  const fn = left?.type === 'identifier' ? ancestry(call).fn : undefined;
  if (fn && consumedNames(fn).includes(left!.text)) return true;
  const outer = p?.type === 'argument_list' ? p.parent : undefined;
  const name = outer?.type === 'call' ? outer.childForFieldName('function')?.text ?? '' : '';
  return ITERATES.test(name.slice(name.lastIndexOf('.') + 1));
}

/**
 * A step of the request path runs on the caller's thread: a direct call; for a plain generator, only one
 * iterated there (Starlette iterates a sync generator handed to a response in its thread pool), while an
 * async generator runs on the event loop wherever it is consumed.
 */
export function runsInCaller(e: CallEdge, target: FunctionDef | undefined): boolean {
  return !e.deferred && (!target?.generator || target.async || e.iterated);
}

/** What a call's callee names among the file's functions: `f`, `C.m` (self/cls), `@obj.m`, `@C.attr.m`. */
export function callTarget(call: Node, callee: string): string | undefined {
  if (IDENT.test(callee)) return callee;
  const self = SELF_CALL.exec(callee);
  if (self) {
    const cls = ancestry(call).cls;
    const name = cls?.childForFieldName('name')?.text;
    return name ? `${name}.${self[2]}` : undefined;
  }
  // `self.encoder.embed(x)`: a method of the object an attribute holds (`self.encoder = Encoder()`), named `@C.encoder.embed`.
  const attr = SELF_ATTR_CALL.exec(callee);
  if (attr) {
    const name = ancestry(call).cls?.childForFieldName('name')?.text;
    return name ? `@${name}.${attr[1]}.${attr[2]}` : undefined;
  }
  const obj = OBJECT_CALL.exec(callee);
  if (!obj) return undefined;
  // `predictor: Predictor = request.app["predictor"]`, `def run(model: Net)`: a method of the annotated class.
  const fn = ancestry(call).fn;
  const cls = fn ? annotatedClasses(fn).get(obj[1]) : undefined;
  return `@${cls ?? obj[1]}.${obj[2]}`;
}

const annotations = new WeakMap<Tree, Map<number, Map<string, string>>>();

/** Names a function annotates with a class (`x: Cls = ...`, a parameter `x: Cls`): plain capitalised names only. */
function annotatedClasses(fn: Node): Map<string, string> {
  return memoById(annotations, fn.tree, fn, (f) => {
    const out = new Map<string, string>();
    // Parameters, and annotated assignments among the body's own statements (where they are written in practice).
    const statements = f.childForFieldName('body')?.namedChildren ?? [];
    const assigned = statements.map((st) => (st?.type === 'expression_statement' ? st.namedChild(0) : null)).filter((n) => n?.type === 'assignment');
    const typed = [...(f.childForFieldName('parameters')?.namedChildren ?? []), ...assigned];
    for (const n of typed) {
      if (!n) continue;
      const name = n.type === 'assignment' ? n.childForFieldName('left') : n.type === 'typed_parameter' || n.type === 'typed_default_parameter' ? (n.childForFieldName('name') ?? n.namedChild(0)) : null;
      const type = n.childForFieldName('type')?.text;
      if (name?.type === 'identifier' && type && /^[A-Z]\w*$/.test(type)) out.set(name.text, type);
    }
    return out;
  });
}

/** A function passed by reference: `f`, `self.m`, `obj.m`. */
function referenceOf(arg: Node): string | undefined {
  if (arg.type === 'identifier') return arg.text;
  if (arg.type !== 'attribute') return undefined;
  const self = SELF_CALL.exec(arg.text);
  if (self) {
    const name = ancestry(arg).cls?.childForFieldName('name')?.text;
    return name ? `${name}.${self[2]}` : undefined;
  }
  const obj = OBJECT_CALL.exec(arg.text);
  return obj ? `@${obj[1]}.${obj[2]}` : undefined;
}

/**
 * `if MODEL is None: MODEL = load_model()`: the call runs once, whoever reaches it. The guard must test
 * the name the call's result is stored in (`if language is None: lang = detect(...)` is no cache).
 */
function lazilyGuarded(mod: PythonModule, call: Node, fn: Node | undefined): boolean {
  if (!fn) return false;
  const assign = call.parent?.type === 'assignment' ? call.parent : undefined;
  const stored = assign?.childForFieldName('left')?.text.replace(/^(self|cls)\./, '');
  if (!stored) return false;
  for (let p = call.parent; p && p.id !== fn.id; p = p.parent) {
    const cond = p.type === 'if_statement' ? p.childForFieldName('condition')?.text ?? '' : '';
    if (cond && LAZY_GUARD.test(cond) && new RegExp(`\\b${stored.replace(/[^\w]/g, '\\$&')}\\b`).test(cond)) return true;
    if (cond && switchGuard(cond, textIn(mod, fn))) return true;
  }
  return false;
}

/**
 * Objects built from a class call (or an alternative constructor, `Cls.from_dir(...)`): `worker = ModelWorker(...)` at module scope, under
 * `if __name__ == "__main__":` or through `global worker` in a function, and `self.encoder = Encoder(...)`
 * in a method of C (named `C.encoder`). The class is resolved against the file's classes (or, for an
 * imported class, by the workspace index) once the context is merged.
 */
export function instancesOf(mod: PythonModule): [string, string][] {
  const out: [string, string][] = [];
  for (const call of mod.calls) {
    const text = mod.calleeText.get(call.id) ?? '';
    // `Cls.from_artifacts(...)`, `Cls.load(...)`: alternative constructors return an object of the class.
    const ctor = ALT_CONSTRUCTOR.exec(text);
    // Any other call's result is an object of unknown class ('?'): the workspace index may still place its methods.
    const callee = ctor ? ctor[1] : IDENT.test(text) && /^[A-Z]/.test(text) ? text : OPAQUE;
    const assign = call.parent;
    if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== call.id) continue;
    const left = assign.childForFieldName('left');
    const fn = ancestry(call).fn;
    // `self.encoder = Encoder(...)` in a method of C: the object `C.encoder`.
    const attr = left?.type === 'attribute' && left.childForFieldName('object')?.text === 'self' ? left.childForFieldName('attribute')?.text : undefined;
    const cls = attr && fn ? ancestry(fn).cls?.childForFieldName('name')?.text : undefined;
    if (attr && cls) { out.push([`${cls}.${attr}`, callee]); continue; }
    if (left?.type !== 'identifier') continue;
    if (fn && !declaresGlobal(mod, fn, left.text)) continue;
    if (!fn && ancestry(call).cls) continue;
    out.push([left.text, callee]);
  }
  return out;
}

function declaresGlobal(mod: PythonModule, fn: Node, name: string): boolean {
  // The unit's own string first: most functions declare no global, and a node's text is a copy out of WASM.
  if (!/\bglobal\b/.test(textIn(mod, fn))) return false;
  const body = fn.childForFieldName('body');
  return !!body && body.descendantsOfType('global_statement').some((g) => !!g && g.namedChildren.some((n) => n?.text === name));
}

/** How a function is reached from a request handler. */
export interface RequestPath {
  /** qualified names from the handler to this function (both included) */
  chain: string[];
  /** why the handler at the head of the chain runs per request */
  rootKind: string;
  /** some path runs it on an async handler's event loop: every step a direct call, none handed to a thread */
  onLoop: boolean;
}

export interface CallGraphInput {
  defs: ReadonlyMap<string, FunctionDef>;
  edges: readonly CallEdge[];
  /** module-level object → class name */
  instances: ReadonlyMap<string, string>;
  classes: ReadonlySet<string>;
  /** handler qualified name → why it runs per request */
  handlers: ReadonlyMap<string, string>;
  /** functions reached from handlers of other files (their chains start there) */
  entries?: readonly [string, RequestPath][];
  /** the file serves async handlers on an event loop (servesOnLoop) */
  eventLoop?: boolean;
}

/** Frameworks that run async handlers on an event loop shared by every request of the worker (not Flask: its async views get a thread). */
const EVENT_LOOP_FRAMEWORKS = ['fastapi', 'starlette', 'litestar', 'quart', 'sanic', 'django', 'bentoml', 'gradio', 'aiohttp', 'kserve', 'jina', 'mlserver'];

/** Whether a file with these qualified imports serves async handlers on a shared event loop. */
export function servesOnLoop(importValues: Iterable<string>): boolean {
  for (const q of importValues) if (EVENT_LOOP_FRAMEWORKS.some((p) => q === p || q.startsWith(`${p}.`))) return true;
  return false;
}

/** Longer chains than this are not followed: the finding would be too far from what the user reads. */
export const MAX_DEPTH = 8;

/** A call target (`f`, `C.m`, `@obj.m`, a class) as one of the file's functions, when it is one. */
export function resolveTarget(g: Pick<CallGraphInput, 'defs' | 'instances' | 'classes'>, to: string): string | undefined {
  if (to.startsWith('@')) {
    const dot = to.lastIndexOf('.');
    const obj = to.slice(1, dot), method = to.slice(dot + 1);
    const cls = g.instances.get(obj) ?? (g.classes.has(obj) ? obj : undefined);
    return cls && g.defs.has(`${cls}.${method}`) ? `${cls}.${method}` : undefined;
  }
  if (g.defs.has(to)) return to;
  return g.classes.has(to) && g.defs.has(`${to}.__init__`) ? `${to}.__init__` : undefined;
}

/**
 * Every function the handlers reach, with the shortest chain from a handler (handlers first in the
 * order given), skipping cached factories (they run once per key) and other handlers (they have their
 * own context). Pure: the module context calls it once per merge.
 */
export function requestPaths(g: CallGraphInput): Map<string, RequestPath> {
  const out = new Map<string, { chain: string[]; rootKind: string; onLoop: boolean }>();
  const next = new Map<string, { to: string; direct: boolean }[]>();
  for (const e of g.edges) {
    const to = resolveTarget(g, e.to);
    if (!to || to === e.from) continue;
    let list = next.get(e.from);
    if (!list) next.set(e.from, list = []);
    list.push({ to, direct: runsInCaller(e, g.defs.get(to)) });
  }
  const skip = (name: string): boolean => g.handlers.has(name) || !!g.defs.get(name)?.cached;
  const roots: [string, string, string[]][] = [...g.handlers].map(([h, kind]) => [h, kind, [h]]);
  for (const [name, p] of g.entries ?? []) {
    if (skip(name) || out.has(name)) continue;
    out.set(name, { chain: p.chain, rootKind: p.rootKind, onLoop: false });
    roots.push([name, p.rootKind, p.chain]);
  }
  // Shortest chains, breadth first from every handler (and every entry from another file).
  for (const [root, rootKind, rootChain] of roots) {
    let frontier = [root];
    for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
      const following: string[] = [];
      for (const from of frontier) {
        const chainTo = from === root ? rootChain : out.get(from)!.chain;
        for (const { to } of next.get(from) ?? []) {
          if (skip(to) || out.has(to)) continue;
          out.set(to, { chain: [...chainTo, to], rootKind, onLoop: false });
          following.push(to);
        }
      }
      frontier = following;
    }
  }
  // On the loop: reached from an async handler through direct calls only (a fixpoint over all paths).
  const loop: string[] = [];
  if (g.eventLoop) for (const [h, kind] of g.handlers) if (g.defs.get(h)?.async && !/Ray Serve/.test(kind)) loop.push(h);
  for (const [name, p] of g.entries ?? []) if (p.onLoop && out.get(name)?.chain === p.chain) { out.get(name)!.onLoop = true; loop.push(name); }
  markOnLoop(loop, next, out);
  return out;
}

/** Marks `onLoop` on every path reached from `roots` through direct calls (each function once). */
export function markOnLoop<K>(roots: readonly K[], next: ReadonlyMap<K, readonly { to: K; direct: boolean }[]>, paths: ReadonlyMap<K, RequestPath>): void {
  const seen = new Set(roots);
  const stack = [...roots];
  while (stack.length) {
    const from = stack.pop()!;
    for (const { to, direct } of next.get(from) ?? []) {
      const p = paths.get(to);
      if (!direct || seen.has(to) || !p) continue;
      seen.add(to);
      p.onLoop = true;
      stack.push(to);
    }
  }
}

/**
 * Functions whose every caller in the file calls them under no_grad (or is itself such a function):
 * their bodies run without autograd. Work handed to a thread does not inherit no_grad (it is
 * thread-local), and a function nobody in the file calls is not one of them.
 */
export function gradOffFunctions(g: Pick<CallGraphInput, 'defs' | 'instances' | 'classes' | 'edges'>): Set<string> {
  const incoming = new Map<string, CallEdge[]>();
  for (const e of g.edges) {
    const to = resolveTarget(g, e.to);
    if (!to || to === e.from) continue;
    let list = incoming.get(to);
    if (!list) incoming.set(to, list = []);
    list.push(e);
  }
  const out = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [fn, edges] of incoming) {
      if (out.has(fn)) continue;
      if (edges.every((e) => !e.deferred && (e.noGrad || out.has(e.from)))) { out.add(fn); changed = true; }
    }
  }
  return out;
}
