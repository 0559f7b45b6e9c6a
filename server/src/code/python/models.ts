/**
 * Which names hold a loaded model, tokenizer, ONNX Runtime session or pipeline (locals, globals,
 * `self.` attributes set in `__init__`/`setup`/`initialize`, `app.state.x`, `MODELS["x"]`), which
 * calls run inference on them, whether a region runs without autograd, and whether `.eval()` was
 * called. Memoised per module; rules query it by node.
 */
import type { Node } from 'web-tree-sitter';
import {
  cached, dottedName, enclosingClass, hasKwargsSplat, importsPackage, keywordArg, methodName, positionalArgs, PythonModule, qualify, qualifiedCallee, receiver,
} from './semantics';
import { decoratorNames, requestHandlers } from './serving';
import { ancestry } from './ancestry';
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

const TORCH_LOADERS = new Set(['torch.load', 'torch.hub.load', 'torch.jit.load', 'torch.jit.script', 'torch.export.load', 'timm.create_model']);
const OTHER_LOADERS = new Set([
  'tensorflow.keras.models.load_model', 'keras.models.load_model', 'keras.saving.load_model', 'whisper.load_model', 'ultralytics.YOLO',
  'spacy.load', 'joblib.load', 'vllm.LLM', 'llama_cpp.Llama', 'tokenizers.Tokenizer.from_file', 'open_clip.create_model_and_transforms',
  'faster_whisper.WhisperModel', 'ctranslate2.Translator', 'ctranslate2.Generator', 'tensorflow.saved_model.load', 'xgboost.Booster',
  'lightgbm.Booster', 'mlflow.pyfunc.load_model', 'tflite_runtime.interpreter.Interpreter', 'tensorflow.lite.Interpreter',
]);
const NO_GRAD = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.autograd.no_grad', 'torch.autograd.grad_mode.no_grad',
  'torch.autograd.grad_mode.inference_mode']);
const SET_GRAD = new Set(['torch.set_grad_enabled', 'torch.autograd.set_grad_enabled']);

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

export function loaderKind(q: string, moduleClasses: ReadonlyMap<string, unknown>): ModelKind | undefined {
  if (q === 'onnxruntime.InferenceSession') return 'ort';
  if (q === 'transformers.pipeline' || /^diffusers\.\w*Pipeline\w*\.from_pretrained$/.test(q)) return 'pipeline';
  if (/^sentence_transformers\.(SentenceTransformer|CrossEncoder)$/.test(q)) return 'encoder';
  if (q.endsWith('.from_pretrained') && !q.includes('()')) {
    const cls = q.split('.').slice(-2)[0];
    if (/Tokenizer|Processor|FeatureExtractor/.test(cls)) return 'tokenizer';
    if (/^(transformers|peft)\./.test(q)) return 'hf-model';
    return 'other';
  }
  if (TORCH_LOADERS.has(q) || /^torchvision\.models\.(\w+\.)?[a-z]\w*$/.test(q) && !/\.(get_weight|list_models|get_model_weights)$/.test(q)) return 'torch';
  if (moduleClasses.has(q)) return 'torch';
  if (OTHER_LOADERS.has(q)) return 'other';
  return undefined;
}

/** The scope a name binds in: the enclosing function (unless declared global), the class for `self.x`, else the module. */
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

/** A binding key for an assignment target or a use: `x`, `self.x`, `app.state.x`, `M["k"]`; undefined otherwise. */
export function keyOf(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const d = dottedName(node);
    if (!d) return undefined;
    const state = /\.state\.(\w+)$/.exec(d);
    return state ? `state.${state[1]}` : d;
  }
  if (node.type === 'subscript') {
    const v = node.childForFieldName('value'), s = node.childForFieldName('subscript');
    if (v?.type === 'identifier' && s?.type === 'string') return `${v.text}[${s.text.replace(/'/g, '"')}]`;
    // `SESSIONS[tenant]`: some item, which only a collection-wide binding (`SESSIONS[*]`) can name.
    if (v?.type === 'identifier' && s && s.type !== 'slice') return `${v.text}[*]`;
  }
  return undefined;
}

const MODEL_PARAM = /^(model|net|encoder|embedder|reranker|session|ort_session|pipe|classifier|detector|llm|segmenter|recognizer)$/;
const MODEL_SIGNATURE = /\b(model|net|encoder|embedder|reranker|session|ort_session|pipe|classifier|detector|llm|segmenter|recognizer)\b|InferenceSession|Pipeline|SentenceTransformer|CrossEncoder|PreTrained|AutoModel|Module|Sequential/;
const ANNOTATION_KINDS: [RegExp, ModelKind][] = [
  [/InferenceSession/, 'ort'], [/Pipeline/, 'pipeline'], [/SentenceTransformer|CrossEncoder/, 'encoder'],
  [/PreTrained\w*Model|AutoModel\w*/, 'hf-model'], [/(^|\.)(Module|Sequential)$/, 'torch'],
];

/**
 * Parameters that hold a model: annotated with a model type (a library's, a torch module class of the
 * file, through an `Annotated[...]` alias too), injected by FastAPI (`= Depends(get_model)` with a model
 * factory), or named like one (`model`, `session`, `pipe`...) without an annotation saying otherwise.
 * `injected`: the framework passes it per request, so nothing upstream holds no_grad for it.
 */
function modelParameters(mod: PythonModule, fn: Node): { name: string; kind: ModelKind; loader: string; injected: boolean }[] {
  const out: { name: string; kind: ModelKind; loader: string; injected: boolean }[] = [];
  const params = fn.childForFieldName('parameters');
  const aliases = mod.context.typeAliases;
  // Most signatures name no model at all: one text test before walking the parameters.
  if (!params) return out;
  const sig = params.text;
  if (!MODEL_SIGNATURE.test(sig) && ![...aliases.keys(), ...mod.context.moduleClasses.keys()].some((a) => sig.includes(a))) return out;
  for (const p of params.namedChildren) {
    if (!p) continue;
    const hasDefault = p.type === 'default_parameter' || p.type === 'typed_default_parameter';
    const id = p.type === 'identifier' ? p : hasDefault ? p.childForFieldName('name') : p.type === 'typed_parameter' ? p.namedChild(0) : null;
    if (id?.type !== 'identifier') continue;
    let annotation = p.type.startsWith('typed') ? p.childForFieldName('type')?.text : undefined;
    if (annotation !== undefined && aliases.has(annotation)) annotation = aliases.get(annotation);
    const dflt = hasDefault ? p.childForFieldName('value') : undefined;
    const depends = /^(\w+\.)?(Depends|Security)\((?:dependency\s*=\s*)?(\w+)/.exec(dflt?.text ?? '') ?? /(?:Depends|Security)\((?:dependency\s*=\s*)?(\w+)/.exec(annotation ?? '');
    const provider = depends?.[depends.length - 1];
    const inner = annotation && /^(typing\.)?Annotated\[/.test(annotation) ? annotation.replace(/^(typing\.)?Annotated\[/, '').split(',')[0].trim() : annotation;
    const byAnnotation = inner !== undefined ? annotationKind(mod, inner) : undefined;
    const byProvider = provider ? mod.context.factories.get(provider)?.[0] ?? undefined : undefined;
    const name = id.text;
    if (inner !== undefined && !byAnnotation && !byProvider) continue;
    if (!byAnnotation && !byProvider && !MODEL_PARAM.test(name)) continue;
    const kind = byAnnotation ?? byProvider?.kind ?? (/session/.test(name) ? 'ort' : name === 'pipe' ? 'pipeline' : /encoder|embedder|reranker/.test(name) ? 'encoder'
      : importsPackage(mod, 'transformers') ? 'hf-model' : importsPackage(mod, 'torch') ? 'torch' : 'other');
    out.push({ name, kind, loader: byProvider?.loader ?? `parameter \`${name}\``, injected: !!provider });
  }
  return out;
}

function annotationKind(mod: PythonModule, annotation: string): ModelKind | undefined {
  const q = qualify(mod, annotation);
  if (mod.context.moduleClasses.has(annotation)) return 'torch';
  return ANNOTATION_KINDS.find(([re]) => re.test(q))?.[1];
}

/**
 * The part of a key that shows in the text of every use: `model` of `self.model`, `"bert"]` of
 * `MODELS["bert"]`, `SESSIONS` of `SESSIONS[*]` (any item). A cheap filter before resolving names.
 */
export function keyTail(key: string): string {
  if (key.endsWith('[*]')) return key.slice(0, -3).split('.').pop()!;
  return key.split('.').pop()!.replace(/^\w+\[/, '');
}

/** `X[*]` for `X["k"]`: the binding of every item of a collection built by a comprehension. */
function anyItem(key: string): string | undefined {
  const m = /^(.+)\[[^\]]*\]$/.exec(key);
  return m ? `${m[1]}[*]` : undefined;
}

/** A loader call bound to a name: `key = load(...).to(d).eval()` (and `await`). */
export interface BindingSite {
  key: string;
  kind: ModelKind;
  loader: string;
  call: Node;
  left: Node;
  /** methods chained on the load */
  chain: string[];
  /** bound to what one of the file's own factories returns (the load itself is in the factory) */
  viaFactory?: boolean;
}


/** Every loader call of the unit that is assigned to a name, in document order. */
export function bindingSites(mod: PythonModule): BindingSite[] {
  return cached(mod, 'sites', () => findBindingSites(mod, true));
}


/** Loader calls bound to names, without the file's factories (what a unit declares before the context is merged). */
export function loaderSites(mod: PythonModule): BindingSite[] {
  return cached(mod, 'loaderSites', () => findBindingSites(mod, false));
}

const NOT_FACTORIES = /^(print|len|int|str|float|bool|list|dict|set|tuple|range|enumerate|zip|isinstance|getattr|sorted|min|max|sum|any|all|open|super|type|repr|round|abs|iter|next|map|filter)$/;

/**
 * Loader calls bound to names; with `factories`, calls of the file's own model factories too
 * (`model = load_model()`, `tokenizer, model = load(path)`), which need the merged context.
 */
function findBindingSites(mod: PythonModule, factories: boolean): BindingSite[] {
  if (factories) {
    const names = mod.context.factories;
    const callsOne = names.size > 0 && mod.calls.some((c) => names.has(mod.calleeText.get(c.id) ?? ''));
    if (!callsOne) return loaderSites(mod);
  }
  const out: BindingSite[] = [];
  for (const call of mod.calls) {
    const q = qualifiedCallee(mod, call);
    if (!q) continue;
    const kind = loaderKind(q, mod.context.moduleClasses);
    const made = !kind && factories && !q.includes('.') ? mod.context.factories.get(q) : undefined;
    if (!kind && !made) continue;
    // Climb the chain `load(...).to(d).eval()` to the assignment that binds it.
    const { left, chain, top } = assignedFrom(call);
    if (!left) {
      const item = kind && collectionItem(top);
      if (item) out.push({ ...item, kind, loader: q, call, chain });
      continue;
    }
    if (kind) {
      const key = keyOf(left);
      if (key) out.push({ key, kind, loader: q, call, left, chain });
      continue;
    }
    // A factory's result: one model, or a tuple unpacked into as many names.
    const targets = made!.length === 1 ? [left] : /pattern_list|tuple_pattern/.test(left.type) ? left.namedChildren : [];
    if (targets.length !== made!.length) continue;
    targets.forEach((t, i) => {
      const m = made![i], key = keyOf(t);
      if (m && key && t) out.push({ key, kind: m.kind, loader: m.loader, call, left: t, chain: [...m.methods, ...chain], viaFactory: true });
    });
  }
  return out;
}

/** The assignment target a call's value lands in (through `.to(d).eval()` chains), with the chained methods. */
function assignedFrom(call: Node): { left?: Node; chain: string[]; top: Node } {
  let top: Node = call;
  const chain: string[] = [];
  while (top.parent?.type === 'attribute' && top.parent.parent?.type === 'call') {
    chain.push(top.parent.childForFieldName('attribute')!.text);
    top = top.parent.parent;
  }
  const assign = top.parent;
  if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== top.id) return { chain, top };
  return { left: assign.childForFieldName('left') ?? undefined, chain, top };
}

/** A load that is an item of a collection assigned to a name: `X = {h: load(h) for h in H}`, `[load(p) for p in P]`, `{"a": load(a)}`. */
function collectionItem(top: Node): { key: string; left: Node } | undefined {
  let value: Node = top, literalKey: string | undefined;
  const p = top.parent;
  if (p?.type === 'pair' && p.childForFieldName('value')?.id === top.id) {
    const k = p.childForFieldName('key');
    literalKey = k?.type === 'string' ? k.text.replace(/'/g, '"') : undefined;
    value = p;
  }
  const coll = value.parent;
  if (!coll || !/^(dictionary|dictionary_comprehension|list_comprehension|list|set_comprehension)$/.test(coll.type)) return undefined;
  const { left } = assignedFromValue(coll);
  const base = left && keyOf(left);
  if (!base || !left) return undefined;
  if (coll.type === 'dictionary') return literalKey ? { key: `${base}[${literalKey}]`, left } : undefined;
  return coll.type === 'list' ? undefined : { key: `${base}[*]`, left };
}

function assignedFromValue(value: Node): { left?: Node } {
  const assign = value.parent;
  if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== value.id) return {};
  return { left: assign.childForFieldName('left') ?? undefined };
}

/** What a model factory returns, position by position (null: not a model). */
export interface FactoryModel { kind: ModelKind; loader: string; methods: string[] }

/**
 * When the unit is a top-level function that returns models (`return model`, `return tokenizer, model`,
 * `return AutoModel.from_pretrained(p)`, a lazily set global), what each returned value is.
 */
export function factoryOf(mod: PythonModule): Factory | undefined {
  return cached(mod, 'factory', () => findFactory(mod));
}

interface Factory { name: string; returns: (FactoryModel | null)[]; sites: BindingSite[] }

function findFactory(mod: PythonModule): Factory | undefined {
  // A factory binds a loaded model in its body or returns a call: most functions do neither.
  if (!loaderSites(mod).length && !/\breturn\s+[\w.]+\(/.test(mod.unit.text)) return undefined;
  const fn = mod.unit.node.type === 'decorated_definition' ? mod.unit.node.childForFieldName('definition') : mod.unit.node;
  if (fn?.type !== 'function_definition') return undefined;
  const sites = loaderSites(mod);
  const used: BindingSite[] = [];
  for (const ret of fn.descendantsOfType('return_statement')) {
    if (!ret || ancestry(ret).fn?.id !== fn.id) continue;
    const value = ret.namedChild(0);
    if (!value || value.type === 'none') continue;
    const items = value.type === 'expression_list' || value.type === 'tuple' ? value.namedChildren : [value];
    const returns = items.map((item): FactoryModel | null => {
      if (item?.type === 'identifier') {
        const site = [...sites].reverse().find((s) => s.key === item.text && s.call.startIndex > fn.startIndex && s.call.startIndex < ret.startIndex);
        if (!site) return null;
        used.push(site);
        return { kind: site.kind, loader: site.loader, methods: [...site.chain, ...methodsCalledOn(mod, item.text, fn, ret)] };
      }
      if (item?.type !== 'call') return null;
      let inner: Node = item;
      const chain: string[] = [];
      for (let f = inner.childForFieldName('function'); f?.type === 'attribute' && f.childForFieldName('object')?.type === 'call'; f = inner.childForFieldName('function')) {
        chain.unshift(f.childForFieldName('attribute')!.text);
        inner = f.childForFieldName('object')!;
      }
      const q = qualifiedCallee(mod, inner);
      const kind = q ? loaderKind(q, mod.context.moduleClasses) : undefined;
      return kind && q ? { kind, loader: q, methods: chain } : null;
    });
    if (returns.some((r) => r)) return { name: fn.childForFieldName('name')?.text ?? '', returns, sites: used };
  }
  return undefined;
}

/** Methods called on `name` inside `fn` before `until` (`model.eval()`, `model.train(False)` → eval). */
function methodsCalledOn(mod: PythonModule, name: string, fn: Node, until: Node): string[] {
  const out: string[] = [];
  for (const call of mod.calls) {
    if (call.startIndex < fn.startIndex || call.startIndex > until.startIndex) continue;
    const callee = mod.calleeText.get(call.id) ?? '';
    if (!callee.startsWith(`${name}.`) || callee.indexOf('.', name.length + 1) >= 0) continue;
    const m = callee.slice(name.length + 1);
    const arg = positionalArgs(call)[0]?.text;
    out.push(m === 'train' && arg === 'False' ? 'eval' : m);
    if (m === 'requires_grad_' && arg === 'False') out.push('no_grad');
  }
  return out;
}

/** Tails of names assigned from calls of plain functions (`x = f(...)`): bound to a model when `f` turns out to be a factory. */
export function callAssignments(mod: PythonModule): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const call of mod.calls) {
    const callee = mod.calleeText.get(call.id) ?? '';
    if (!/^[A-Za-z_]\w*$/.test(callee) || NOT_FACTORIES.test(callee) || mod.imports.has(callee)) continue;
    const { left } = assignedFrom(call);
    if (!left) continue;
    const targets = /pattern_list|tuple_pattern/.test(left.type) ? left.namedChildren : [left];
    const tails = targets.map((t) => { const k = keyOf(t); return k && keyTail(k); }).filter((t): t is string => !!t);
    if (tails.length) out.push([callee, tails]);
  }
  return out;
}

const EXCLUDED_CALLEES = /^(torch\.|self\.|print$|len$|isinstance$|getattr$|setattr$|hasattr$|type$|id$|logger\.|logging\.)/;

function computeFacts(mod: PythonModule): ModelFacts {
  const ctx = mod.context;
  const exports: UnitExports = { moduleBindings: [], methods: new Map(), called: new Set(), escapes: new Set(), handlers: requestHandlers(mod).size };
  const facts: ModelFacts = {
    bindings: [], moduleClasses: ctx.moduleClasses, byScope: new Map(), exported: new Map(), exports, pending: [], inference: new Map(), keyTails: ctx.keyTails,
    gradOffEverywhere: ctx.flags.gradOff, trains: ctx.flags.trains, usesAccelerator: ctx.flags.usesAccelerator,
  };
  // Functions that take the model as a parameter (batch scripts, helpers called by handlers).
  const tails = new Set(ctx.keyTails);
  for (const fn of mod.functions) {
    for (const p of modelParameters(mod, fn)) {
      facts.byScope.set(`${fn.id}:${p.name}`, { key: p.name, kind: p.kind, loader: p.loader, methods: new Set(), escapes: false, param: !p.injected });
      tails.add(p.name);
    }
  }
  facts.keyTails = [...tails];
  const moduleScope: Binding[] = [];
  for (const site of bindingSites(mod)) {
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
    if (!keyTails.some((k) => callee.includes(k))) {
      if (!keyTails.some((k) => call.text.includes(k))) continue;
    } else {
      const dot = callee.lastIndexOf('.');
      const m = dot > 0 && /^\w+$/.test(callee.slice(dot + 1)) ? callee.slice(dot + 1) : undefined;
      const recv = m && keyTails.some((k) => callee.slice(0, dot).includes(k)) ? receiver(call) : undefined;
      if (m && recv) {
        const target = resolve(facts, recv);
        const names = m === 'train' && positionalArgs(call)[0]?.text === 'False' ? ['eval'] : [m];
        if (m === 'requires_grad_' && positionalArgs(call)[0]?.text === 'False') names.push('no_grad');
        if (target && 'local' in target) for (const n of names) target.local.methods.add(n);
        else if (target) for (const gid of gids(target)) for (const n of names) note(exports.methods, gid, n);
      }
      const direct = resolve(facts, call.childForFieldName('function'));
      if (direct && 'gid' in direct) for (const gid of gids(direct)) exports.called.add(gid);
    }
    const q = qualifiedCallee(mod, call) ?? '';
    if (EXCLUDED_CALLEES.test(q)) continue;
    const argsText = call.text.slice(callee.length);
    if (!keyTails.some((k) => argsText.includes(k))) continue;
    for (const arg of positionalArgs(call)) {
      const target = resolve(facts, arg);
      if (target && 'local' in target) target.local.escapes = true;
      else if (target) for (const gid of gids(target)) exports.escapes.add(gid);
    }
  }
  return facts;
}

/**
 * `m = app.state.model`, `s = SESSIONS.get(tenant)`: a local name for a binding made elsewhere; and
 * `app.state.encoder = encoder` (in a lifespan): a module-scope name for a local binding, exported
 * so that handlers reading `request.app.state.encoder` find the same model.
 */
function followAliases(mod: PythonModule, facts: ModelFacts): void {
  const tails = new Set(facts.keyTails);
  for (const a of mod.aliases) {
    const left = a.childForFieldName('left'), right = a.childForFieldName('right');
    const key = keyOf(left);
    if (!key || !left || !right) continue;
    const source = right.type === 'call' ? right.childForFieldName('function')?.childForFieldName('object') : right;
    const sourceKey = right.type === 'call' ? (keyOf(source) && `${keyOf(source)}[*]`) : keyOf(source);
    if (!source || !sourceKey || !tails.has(keyTail(sourceKey))) continue;
    const target = resolveKey(facts, source, sourceKey);
    if (!target) continue;
    const scope = scopeOf(left, key);
    if (scope) {
      const b: Binding = 'local' in target ? target.local : { key, kind: 'other', loader: '', methods: new Set(), escapes: false, gid: target.gid };
      facts.byScope.set(`${scope.id}:${key}`, b);
      tails.add(keyTail(key));
    } else if ('local' in target) {
      facts.exports.moduleBindings.push(exported({ ...target.local, key }, [...target.local.methods]));
      facts.pending.push({ b: target.local, gid: moduleGid(key), owner: `${mod.unit.index}#${facts.exports.moduleBindings.length - 1}` });
    }
  }
  facts.keyTails = [...tails];
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
  // A placeholder: resolving it yields the global id, looked up in the merged context.
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

function findInferenceCall(mod: PythonModule, facts: ModelFacts, call: Node): InferenceCall | undefined {
  if (!facts.keyTails.length) return undefined;
  const callee = mod.calleeText.get(call.id);
  if (callee !== undefined && !facts.keyTails.some((k) => callee.includes(k))) return undefined;
  const fn = call.childForFieldName('function');
  const direct = bindingOf(mod, facts, fn);
  if (direct) return direct.kind === 'tokenizer' || direct.kind === 'ort' ? undefined : { binding: direct, method: '__call__' };
  const m = methodName(call);
  const b = m ? bindingOf(mod, facts, receiver(call)) : undefined;
  if (b && m && isInferenceMethod(b.kind, m)) return { binding: b, method: m };
  return undefined;
}

/** A binding made in the unit under analysis. */
export type LocalBinding = Binding & { call: Node };

/** Models loaded in this unit that some call in the file runs inference on (a factory's call sites are not loads). */
export function usedForInference(mod: PythonModule, facts: ModelFacts): Set<LocalBinding> {
  const used = new Set<LocalBinding>();
  for (const b of facts.bindings) if (b.usedElsewhere && !b.viaFactory) used.add(b as LocalBinding);
  for (const call of mod.calls) {
    const inf = inferenceCall(mod, facts, call);
    if (inf?.binding.call && !inf.binding.viaFactory) used.add(inf.binding as LocalBinding);
  }
  return used;
}

/** Whether `node` runs with autograd off: under `with torch.no_grad()/inference_mode()`, or in a function decorated with one. */
export function underNoGrad(mod: PythonModule, facts: ModelFacts, node: Node): boolean {
  if (facts.gradOffEverywhere) return true;
  const a = ancestry(node);
  for (let w = a.withStmt; w; w = ancestry(w).withStmt) {
    {
      const p = w;
      for (const item of p.descendantsOfType('with_item')) {
        const value = item?.childForFieldName('value');
        const call = value?.type === 'as_pattern' ? value.namedChild(0) : value;
        if (call?.type !== 'call') continue;
        const q = qualifiedCallee(mod, call) ?? '';
        if (NO_GRAD.has(q) || (SET_GRAD.has(q) && positionalArgs(call)[0]?.text === 'False')) return true;
      }
    }
  }
  for (let f = a.fn; f; f = ancestry(f).fn) if (decoratorNames(mod, f).some((d) => NO_GRAD.has(d))) return true;
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
