/**
 * Which names hold a loaded model, tokenizer, ONNX Runtime session or pipeline in a unit (locals,
 * globals, `self.` attributes, `app.state.x`, `MODELS["x"]`, aliases), what a name refers to (a binding
 * of this unit, or one of another unit through the module context), which calls run inference, whether
 * a region runs without autograd, and whether `.eval()` was called. Where the bindings come from is
 * bindings.ts. Memoised per module view; rules query it by node.
 */
import type { Node } from 'web-tree-sitter';
import {
  cached, enclosingClass, enclosingFunction, hasKwargsSplat, keywordArg, methodName, positionalArgs, PythonModule, qualifiedCallee, receiver,
} from './semantics';
import { anyItem, bindingSites, factoryOf, keyOf, keyTail, loadedBy, modelParameters } from './bindings';
import { inNoGradScope, requestHandlers } from './serving';
import { ancestry } from './ancestry';
import { ownerOf, qualifiedName } from './callGraph';
import { ClassInfo, ExportedBinding, isInferenceMethod, moduleGid, sagemakerGid, UnitExports } from './context';

/**
 * torch: an nn.Module (needs no_grad and eval); hf-model: a transformers model (eval already, needs
 * no_grad); tokenizer; pipeline: HF/diffusers pipelines (grad off inside); encoder: sentence-transformers
 * (grad off inside encode); ort: onnxruntime session; other: a loader we know nothing more about.
 */
export type ModelKind = 'torch' | 'hf-model' | 'tokenizer' | 'pipeline' | 'encoder' | 'ort' | 'other';

export interface Binding {
  /** `model`, `self.model`, `app.state.model`, `MODELS["bert"]` */
  key: string;
  kind: ModelKind;
  /** qualified loader (`transformers.AutoModel.from_pretrained`, `Net` for a local nn.Module class) */
  loader: string;
  /** the loader call (the root of `load(...).to(dev).eval()`); absent for a binding made in another unit */
  call?: Node;
  /** methods chained on the load or called on the name anywhere in the file (`eval`, `half`, `to`, ...) */
  methods: Set<string>;
  /** whether the name is passed to code we cannot see (a function that might call `.eval()`) */
  escapes: boolean;
  /** visible outside its unit: `module:<key>` for the effective module-scope binding, `sagemaker:<i>` for what model_fn returns */
  gid?: string;
  /** used for inference somewhere in the file (known for bindings with a gid; local ones are found by scanning) */
  usedElsewhere?: boolean;
  /** a function parameter that by its name or annotation holds a model (`def score(model, texts)`): nothing is known of its load */
  param?: boolean;
  /** what a factory of the file returns: rules about the load report in the factory */
  viaFactory?: boolean;
}


export interface ModelFacts {
  /** bindings made in this unit, in document order */
  bindings: Binding[];
  /** local nn.Module subclasses by name, file-wide (their instances are torch models) */
  moduleClasses: Map<string, ClassInfo>;
  /** `torch.set_grad_enabled(False)` at module level, or parameters frozen with `requires_grad_(False)` */
  gradOffEverywhere: boolean;
  /** the file trains (backward, optimizers, Trainer): grad is needed somewhere, rules about inference mode stay quiet */
  trains: boolean;
  /** the file places work on an accelerator (cuda, mps, device_map, xpu) */
  usesAccelerator: boolean;
  /** scope node id + key → binding, for scopes inside this unit */
  byScope: Map<string, Binding>;
  /** this unit's own bindings visible elsewhere, by global id */
  exported: Map<string, Binding>;
  /** what this unit tells the rest of the file */
  exports: UnitExports;
  /** candidates for a global id, settled by adoptGlobals once the context is merged */
  pending: { b: Binding; gid: string; owner: string }[];
  /** last segments of binding keys (`model` of `self.model`), file-wide: a cheap text filter before tree walks */
  keyTails: string[];
  /** inferenceCall results by call id */
  inference: Map<number, InferenceCall | undefined>;
}

/** The unit's model facts; bindings from other units come from the module context. */
export function modelFacts(mod: PythonModule): ModelFacts {
  return cached(mod, 'facts', () => computeFacts(mod));
}

/** The scope a binding of `key` at `target` lives in: a class (self.x), a function, or the module (`undefined`). */
function scopeOf(target: Node, key: string): Node | undefined {
  if (/^(self|cls)\./.test(key)) return enclosingClass(target);
  if (!/^[A-Za-z_]\w*$/.test(key)) return undefined;
  for (let p = target.parent; p; p = p.parent) {
    if (p.type === 'function_definition') {
      const body = p.childForFieldName('body');
      const globals = body?.namedChildren.some((s) => s?.type === 'global_statement' && s.namedChildren.some((n) => n?.text === key));
      return globals ? undefined : p;
    }
    if (p.type === 'class_definition') return p;
  }
  return undefined;
}

const EXCLUDED_CALLEES = /^(torch\.|self\.|print$|len$|isinstance$|getattr$|setattr$|hasattr$|type$|id$|logger\.|logging\.)/;

function computeFacts(mod: PythonModule): ModelFacts {
  const ctx = mod.context;
  const handlers = requestHandlers(mod);
  const handlerNames: [string, string][] = [];
  for (const fn of mod.functions) { const kind = handlers.get(fn.id); if (kind) handlerNames.push([qualifiedName(fn), kind]); }
  const exports: UnitExports = { moduleBindings: [], methods: new Map(), called: new Set(), escapes: new Set(), handlerNames, inference: [] };
  const facts: ModelFacts = {
    bindings: [], moduleClasses: ctx.moduleClasses, byScope: new Map(), exported: new Map(), exports, pending: [], inference: new Map(), keyTails: ctx.keyTails,
    gradOffEverywhere: ctx.flags.gradOff, trains: ctx.flags.trains, usesAccelerator: ctx.flags.usesAccelerator,
  };
  // Functions that take the model as a parameter (batch scripts, helpers called by handlers).
  const added: string[] = [];
  for (const fn of mod.functions) {
    for (const p of modelParameters(mod, fn)) {
      facts.byScope.set(`${fn.id}:${p.name}`, { key: p.name, kind: p.kind, loader: p.loader, methods: new Set(), escapes: false, param: !p.injected });
      added.push(p.name);
    }
  }
  facts.keyTails = withTails(ctx.keyTails, added);
  const moduleScope: Binding[] = [];
  for (const site of bindingSites(mod)) {
    if (site.ref) {
      // A getter's result: whatever the module binds under that key (resolved through the context).
      const scope = scopeOf(site.left, site.key);
      if (scope) facts.byScope.set(`${scope.id}:${site.key}`, { key: site.key, kind: 'other', loader: '', methods: new Set(), escapes: false, gid: moduleGid(site.ref) });
      continue;
    }
    const b: Binding = { key: site.key, kind: site.kind, loader: site.loader, call: site.call, methods: new Set(site.chain), escapes: false, viaFactory: site.viaFactory };
    facts.bindings.push(b);
    const scope = scopeOf(site.left, site.key);
    if (scope) facts.byScope.set(`${scope.id}:${site.key}`, b);
    else moduleScope.push(b);
    if (!scope) exports.moduleBindings.push(exported(b, site.chain));
  }
  facts.pending = moduleScope.map((b, i) => ({ b, gid: moduleGid(b.key), owner: `${mod.unit.index}#${i}` }));
  followAliases(mod, facts);
  // What a factory returns is made to be used elsewhere: count it as used, and as handed to code we cannot see.
  const factory = factoryOf(mod);
  if (factory) {
    const returned = new Set(factory.sites.map((s) => s.call.id));
    for (const b of facts.bindings) if (b.call && returned.has(b.call.id)) { b.usedElsewhere = true; b.escapes = true; }
  }
  linkSageMaker(mod, facts);
  // Methods called on a bound name, names handed to code we cannot see, and direct calls: local scopes
  // resolve here, names of the module (or model_fn's result) are exported for the merge.
  const keyTails = facts.keyTails;
  if (!keyTails.length) return facts;
  const note = (map: Map<string, Set<string>>, gid: string, m: string): void => {
    let set = map.get(gid);
    if (!set) map.set(gid, set = new Set());
    set.add(m);
  };
  for (const call of mod.calls) {
    const callee = mod.calleeText.get(call.id) ?? '';
    if (!mentions(callee, keyTails)) {
      if (!mentions(call.text, keyTails)) continue;
    } else {
      const dot = callee.lastIndexOf('.');
      const m = dot > 0 && /^\w+$/.test(callee.slice(dot + 1)) ? callee.slice(dot + 1) : undefined;
      const recv = m && mentions(callee.slice(0, dot), keyTails) ? receiver(call) : undefined;
      if (m && recv) {
        const target = resolve(facts, recv);
        const names = m === 'train' && positionalArgs(call)[0]?.text === 'False' ? ['eval'] : [m];
        if (m === 'requires_grad_' && positionalArgs(call)[0]?.text === 'False') names.push('no_grad');
        if (target && 'local' in target) for (const n of names) target.local.methods.add(n);
        else if (target) for (const gid of gids(target)) for (const n of names) note(exports.methods, gid, n);
        // Which functions run inference: settled here for local names, at the merge for module ones.
        if (target && 'local' in target) { if (isInferenceMethod(target.local.kind, m)) exports.inference.push([ownerOf(call).name, '', m]); }
        else if (target) for (const gid of gids(target)) exports.inference.push([ownerOf(call).name, gid, m]);
      }
      const direct = resolve(facts, call.childForFieldName('function'));
      if (direct && 'gid' in direct) for (const gid of gids(direct)) { exports.called.add(gid); exports.inference.push([ownerOf(call).name, gid, '__call__']); }
      else if (direct && isInferenceMethod(direct.local.kind, '__call__')) exports.inference.push([ownerOf(call).name, '', '__call__']);
    }
    const q = qualifiedCallee(mod, call) ?? '';
    if (EXCLUDED_CALLEES.test(q)) continue;
    const argsText = call.text.slice(callee.length);
    if (!mentions(argsText, keyTails)) continue;
    for (const arg of positionalArgs(call)) {
      const target = resolve(facts, arg);
      if (target && 'local' in target) target.local.escapes = true;
      else if (target) for (const gid of gids(target)) exports.escapes.add(gid);
    }
    // Handed over to run inference elsewhere: `pipeline(task, model=m)`, `Thread(target=m.generate, ...)`.
    for (const kw of ['model', 'target']) {
      const v = keywordArg(call, kw);
      const ref = v?.type === 'attribute' && kw === 'target' ? v.childForFieldName('object') : v;
      const method = v?.type === 'attribute' && kw === 'target' ? v.childForFieldName('attribute')?.text ?? '' : '__call__';
      const target = ref ? resolve(facts, ref) : undefined;
      if (!target) continue;
      if ('local' in target) { if (isInferenceMethod(target.local.kind, method)) target.local.usedElsewhere = true; }
      else for (const gid of gids(target)) note(exports.methods, gid, method);
    }
  }
  return facts;
}

/**
 * `m = app.state.model`, `s = SESSIONS.get(tenant)`: a local name for a binding made elsewhere; and
 * `app.state.encoder = encoder` (in a lifespan): a module-scope name for a local binding, exported
 * so that handlers reading `request.app.state.encoder` find the same model.
 */
/** Methods that return the model they are called on (moved, cast or switched to eval mode). */
const SAME_MODEL = /^(to|eval|cuda|half|float|cpu)$/;

function followAliases(mod: PythonModule, facts: ModelFacts): void {
  if (!mod.aliases.length) return;
  const added: string[] = [];
  const known = (t: string): boolean => hasTail(facts.keyTails, t) || added.includes(t);
  for (const a of mod.aliases) {
    const left = a.childForFieldName('left'), right = a.childForFieldName('right');
    const key = keyOf(left);
    if (!key || !left || !right) continue;
    // `s = SESSIONS.get(k)`: some item of a collection; `self.net = net.eval().to(dev)`: the same model, moved or switched.
    let source = right.type === 'call' ? right.childForFieldName('function')?.childForFieldName('object') : right;
    const lookup = right.type === 'call' && right.childForFieldName('function')?.childForFieldName('attribute')?.text === 'get';
    while (!lookup && source?.type === 'call' && SAME_MODEL.test(source.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '')) {
      source = source.childForFieldName('function')?.childForFieldName('object');
    }
    const sourceKey = lookup ? (keyOf(source) && `${keyOf(source)}[*]`) : keyOf(source);
    if (!source || !sourceKey || !known(keyTail(sourceKey))) continue;
    const target = resolveKey(facts, source, sourceKey);
    if (!target) continue;
    const scope = scopeOf(left, key);
    if (scope) {
      const b: Binding = 'local' in target ? target.local : { key, kind: 'other', loader: '', methods: new Set(), escapes: false, gid: target.gid };
      facts.byScope.set(`${scope.id}:${key}`, b);
      added.push(keyTail(key));
    } else if ('local' in target) {
      facts.exports.moduleBindings.push(exported({ ...target.local, key }, [...target.local.methods]));
      facts.pending.push({ b: target.local, gid: moduleGid(key), owner: `${mod.unit.index}#${facts.exports.moduleBindings.length - 1}` });
    }
  }
  facts.keyTails = withTails(facts.keyTails, added);
}

function gids(r: { gid: string; anyGid?: string }): string[] {
  return r.anyGid ? [r.gid, r.anyGid] : [r.gid];
}

function exported(b: Binding, chain: string[]): ExportedBinding {
  return { key: b.key, kind: b.kind, loader: b.loader, chain };
}

/**
 * Once every unit's exports are merged into the context: this unit's bindings that the rest of the
 * file sees take their global id and what other code did with them (methods, escapes, inference).
 */
export function adoptGlobals(mod: PythonModule): void {
  const facts = modelFacts(mod);
  for (const { b, gid, owner } of facts.pending) {
    const g = mod.context.bindings.get(gid);
    if (g?.owner !== owner) continue;
    b.gid = gid;
    for (const m of g.methods) b.methods.add(m);
    b.escapes ||= g.escapes;
    b.usedElsewhere ||= g.used;
    facts.exported.set(gid, b);
  }
}

/**
 * SageMaker's inference toolkit hands model_fn's return value to predict_fn/transform_fn as their
 * second parameter: that parameter (and names unpacked from it) hold model_fn's bindings.
 */
function linkSageMaker(mod: PythonModule, facts: ModelFacts): void {
  const returns = mod.context.sagemakerReturns;
  const unit = mod.unit.node;
  if (!returns || unit.type !== 'function_definition') return;
  const name = unit.childForFieldName('name')?.text ?? '';
  if (mod.context.firstDefinition.get(name) !== mod.unit.index) return;
  if (name === 'model_fn') {
    facts.exports.returned = returns.map((n, i) => {
      const b = n ? facts.byScope.get(`${unit.id}:${n}`) : undefined;
      if (!b) return null;
      facts.pending.push({ b, gid: sagemakerGid(i), owner: `${mod.unit.index}#r${i}` });
      return exported(b, [...b.methods]);
    });
    return;
  }
  if (name !== 'predict_fn' && name !== 'transform_fn') return;
  const param = unit.childForFieldName('parameters')?.namedChildren[1];
  const pname = param?.type === 'identifier' ? param.text : param?.namedChild(0)?.text;
  if (!pname) return;
  // A stand-in holding only the global id: resolving it reads the binding from the merged context.
  const external = (i: number): Binding => ({ key: '', kind: 'other', loader: '', methods: new Set(), escapes: false, gid: sagemakerGid(i) });
  if (returns.length === 1 && returns[0]) facts.byScope.set(`${unit.id}:${pname}`, external(0));
  for (const stmt of unit.childForFieldName('body')?.namedChildren ?? []) {
    const a = stmt?.type === 'expression_statement' ? stmt.namedChild(0) : undefined;
    if (a?.type !== 'assignment' || a.childForFieldName('right')?.text !== pname) continue;
    const targets = a.childForFieldName('left')?.namedChildren ?? [];
    targets.forEach((t, i) => {
      if (t?.type === 'identifier' && returns[i]) facts.byScope.set(`${unit.id}:${t.text}`, external(i));
    });
  }
}

type Resolved = { local: Binding } | { gid: string; anyGid?: string };

/** What a name refers to: a binding of a scope in this unit, or a global id (module scope, model_fn's result). */
function resolve(facts: ModelFacts, expr: Node | null | undefined): Resolved | undefined {
  const key = keyOf(expr);
  return key && expr ? resolveKey(facts, expr, key) : undefined;
}

function resolveKey(facts: ModelFacts, expr: Node, key: string): Resolved | undefined {
  const any = anyItem(key);
  const local = (b: Binding | undefined): Resolved | undefined => (b ? (b.gid && !b.call ? { gid: b.gid } : { local: b }) : undefined);
  const inScope = (scope: Node): Binding | undefined => facts.byScope.get(`${scope.id}:${key}`) ?? (any ? facts.byScope.get(`${scope.id}:${any}`) : undefined);
  if (/^(self|cls)\./.test(key)) {
    const cls = enclosingClass(expr);
    return cls ? local(inScope(cls)) : undefined;
  }
  for (let f = ancestry(expr).fn; f; f = ancestry(f).fn) {
    const b = inScope(f);
    if (b) return local(b);
  }
  return { gid: moduleGid(key), anyGid: any && moduleGid(any) };
}

/** The binding a name refers to, wherever in the file it was made. */
export function bindingOf(mod: PythonModule, facts: ModelFacts, expr: Node | null | undefined): Binding | undefined {
  const r = resolve(facts, expr);
  if (!r) return undefined;
  if ('local' in r) return r.local;
  for (const gid of [r.gid, r.anyGid]) {
    if (!gid) continue;
    const mine = facts.exported.get(gid);
    if (mine) return mine;
    const g = mod.context.bindings.get(gid);
    if (g) return { key: g.key, kind: g.kind, loader: g.loader, methods: g.methods, escapes: g.escapes, gid: g.gid, usedElsewhere: g.used };
  }
  return undefined;
}

export interface InferenceCall {
  binding: Binding;
  /** `model(x)` → '__call__'; `model.generate(x)` → 'generate' */
  method: string;
}

/** Whether `call` runs inference on a loaded model (`model(x)`, `session.run(...)`, `pipe(text)`, `model.generate(...)`). */
export function inferenceCall(mod: PythonModule, facts: ModelFacts, call: Node): InferenceCall | undefined {
  if (facts.inference.has(call.id)) return facts.inference.get(call.id);
  const found = findInferenceCall(mod, facts, call);
  facts.inference.set(call.id, found);
  return found;
}

/** `wrapper.model(**inputs)`, `seg.net(x)`: an attribute named like a network, called, on an object we know nothing of. */
const CALLED_NETWORK = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.(model|net|encoder|decoder|unet|vae|backbone|classifier|detector|segmenter)$/;

function findInferenceCall(mod: PythonModule, facts: ModelFacts, call: Node): InferenceCall | undefined {
  const found = findBoundInferenceCall(mod, facts, call);
  if (found) return found;
  // `pipeline("text-classification", model=m)(lines)`: a model built and run in one expression.
  const inner = mod.calleeText.get(call.id)?.endsWith(')') ? call.childForFieldName('function') : undefined;
  if (inner?.type === 'call') {
    const q = qualifiedCallee(mod, inner);
    const kind = q ? loadedBy(mod, inner, q, facts.moduleClasses) : undefined;
    if (q && kind && kind !== 'tokenizer' && kind !== 'ort') return { binding: { key: `${q.split('.').pop()}(...)`, kind, loader: q, methods: new Set(), escapes: false, param: true }, method: '__call__' };
  }
  const callee = mod.calleeText.get(call.id) ?? '';
  if (!CALLED_NETWORK.test(callee) || /^(self|cls)\./.test(callee) || /^(torch|nn|F|np|tf)\./.test(callee)) return undefined;
  // Only an object handed in (a parameter) or fetched (`state["seg"]`): a module or class of the file would have a binding.
  const root = callee.slice(0, callee.indexOf('.'));
  if (mod.imports.has(root) || mod.moduleNames.has(root)) return undefined;
  return { binding: { key: callee, kind: 'other', loader: `\`${callee}\``, methods: new Set(), escapes: false, param: true }, method: '__call__' };
}

function findBoundInferenceCall(mod: PythonModule, facts: ModelFacts, call: Node): InferenceCall | undefined {
  if (!facts.keyTails.length) return undefined;
  const callee = mod.calleeText.get(call.id);
  if (callee !== undefined && !mentions(callee, facts.keyTails)) return undefined;
  const fn = call.childForFieldName('function');
  const direct = bindingOf(mod, facts, fn);
  if (direct) return direct.kind === 'tokenizer' || direct.kind === 'ort' ? undefined : { binding: direct, method: '__call__' };
  const m = methodName(call);
  const b = m ? bindingOf(mod, facts, receiver(call)) : undefined;
  if (b && m && isInferenceMethod(b.kind, m)) return { binding: b, method: m };
  return undefined;
}

const tailFilters = new WeakMap<readonly string[], { idents: Set<string>; others: string[] }>();

function tailFilter(tails: readonly string[]): { idents: Set<string>; others: string[] } {
  let f = tailFilters.get(tails);
  if (!f) {
    f = { idents: new Set(), others: [] };
    for (const t of tails) if (/^[A-Za-z_]\w*$/.test(t)) f.idents.add(t); else f.others.push(t);
    tailFilters.set(tails, f);
  }
  return f;
}

function hasTail(tails: readonly string[], t: string): boolean {
  return tails.length <= 4 ? tails.includes(t) : tailFilter(tails).idents.has(t) || tailFilter(tails).others.includes(t);
}

/** `tails` with `added` (the same array when nothing is new: units share the file's list and its lookup set). */
function withTails(tails: readonly string[], added: readonly string[]): string[] {
  const fresh = [...new Set(added)].filter((t) => !hasTail(tails, t));
  return fresh.length ? [...tails, ...fresh] : tails as string[];
}

/**
 * Whether `text` may refer to one of the key tails: as an identifier token for plain names (a set lookup
 * per token, so a file with thousands of model names stays linear), as a substring for the rest (`"bert"]`).
 */
export function mentions(text: string, tails: readonly string[]): boolean {
  if (tails.length <= 4) return tails.some((k) => text.includes(k));
  const f = tailFilter(tails);
  for (const m of text.matchAll(/[A-Za-z_]\w*/g)) if (f.idents.has(m[0])) return true;
  return f.others.some((k) => text.includes(k));
}

/** A binding made in the unit under analysis. */
export type LocalBinding = Binding & { call: Node };

/** Models loaded in this unit that some call in the file runs inference on (a factory's call sites are not loads). */
/**
 * The file's model bindings that some call runs inference with. `alternatives`: also every other load of the
 * same key in the same function (`if mode == "a": self.model = A...` / `elif ...: self.model = B...`): the call runs
 * whichever branch loaded. Their `methods` are their own, so only per-load questions (precision) should ask for them.
 */
export function usedForInference(mod: PythonModule, facts: ModelFacts, alternatives = false): Set<LocalBinding> {
  const used = new Set<LocalBinding>();
  for (const b of facts.bindings) if (b.usedElsewhere && b.call && !b.viaFactory) used.add(b as LocalBinding);
  for (const call of mod.calls) {
    const inf = inferenceCall(mod, facts, call);
    if (inf?.binding.call && !inf.binding.viaFactory) used.add(inf.binding as LocalBinding);
  }
  if (!alternatives) return used;
  for (const b of [...used]) {
    if (!b.call) continue;
    const fn = enclosingFunction(b.call);
    for (const o of facts.bindings) {
      if (o !== b && o.call && !o.viaFactory && o.key === b.key && o.gid === b.gid && enclosingFunction(o.call)?.id === fn?.id) used.add(o as LocalBinding);
    }
  }
  return used;
}

/** Whether `node` runs with autograd off: under `with torch.no_grad()/inference_mode()`, or in a function decorated with one. */
export function underNoGrad(mod: PythonModule, facts: ModelFacts, node: Node): boolean {
  if (facts.gradOffEverywhere || inNoGradScope(mod, node)) return true;
  // A helper every caller runs under no_grad (`with torch.no_grad(): return run_model(x)`) runs without autograd too.
  const gradOff = mod.context.gradOff;
  for (let f = ancestry(node).fn; f && gradOff.size; f = ancestry(f).fn) if (gradOff.has(qualifiedName(f))) return true;
  return false;
}

/** Whether a torch binding is known to be in eval mode: `.eval()`/`.train(False)` on it, or `self.eval()` in its own class. */
export function inEvalMode(facts: ModelFacts, b: Binding): boolean {
  if (b.methods.has('eval')) return true;
  return !!facts.moduleClasses.get(b.loader)?.setsEval;
}

/** Whether the binding's parameters were frozen or autograd is off for the whole file. */
export function gradNeverTracked(facts: ModelFacts, b: Binding): boolean {
  return facts.gradOffEverywhere || b.methods.has('no_grad');
}

/** Keyword argument present on the loader call (`torch_dtype=...`), or a `**kwargs` that may hold it. */
export function loaderHasKeyword(call: Node, ...names: string[]): boolean {
  return hasKwargsSplat(call) || names.some((n) => keywordArg(call, n) !== undefined);
}
