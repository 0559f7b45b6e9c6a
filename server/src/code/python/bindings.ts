/**
 * Where models get bound to names: loader calls assigned to a name (through `.to(d).eval()` chains), the
 * file's own factories (`model = load_model()`, `tokenizer, model = load(p)`), collections built by a
 * comprehension (`X = {h: load(h) for h in H}` binds `X[*]`), and parameters that hold a model by
 * annotation, by FastAPI injection or by name. models.ts turns these into bindings and resolves uses.
 */
import type { Node } from 'web-tree-sitter';
import { cached, callArgs, dottedName, importsPackage, positionalArgs, PythonModule, qualify, qualifiedCallee } from './semantics';
import { ancestry } from './ancestry';
import type { ModelKind } from './models';
import { LOAD_MODEL_FUNCTION, LOADER_BY_NAME, LOADER_PATTERNS, NOT_A_PACKAGE, NOT_TORCHVISION_MODELS, WRAPPED_HUB_REPOSITORIES } from './library';

/** What a call loads, by its qualified name: the tables in library.ts, the `from_pretrained` naming rules, the file's own nn.Module classes. */
export function loaderKind(q: string, moduleClasses: ReadonlyMap<string, { weightless?: boolean }>): ModelKind | undefined {
  const known = LOADER_BY_NAME.get(q);
  if (known) return known.kind;
  const byPattern = LOADER_PATTERNS.find((p) => p.pattern.test(q) && !NOT_TORCHVISION_MODELS.test(q));
  if (byPattern && byPattern.kind !== 'torch') return byPattern.kind;
  if (q.endsWith('.from_pretrained') && !q.includes('()')) {
    const cls = q.split('.').slice(-2)[0];
    // A torch module class of the workspace with a transformers base (`BertForNER.from_pretrained`).
    if (moduleClasses.has(q.slice(0, -'.from_pretrained'.length))) return 'hf-model';
    if (/Config$/.test(cls)) return undefined;
    if (/Tokenizer|Processor|FeatureExtractor/.test(cls)) return 'tokenizer';
    if (/^(transformers|peft)\./.test(q)) return 'hf-model';
    return 'other';
  }
  if (byPattern) return byPattern.kind;
  // A module class without weights is glue (an add, a reshape): calling it is not inference.
  if (moduleClasses.has(q)) return moduleClasses.get(q)!.weightless ? undefined : 'torch';
  if (LOAD_MODEL_FUNCTION.test(q) && !NOT_A_PACKAGE.test(q)) return 'other';
  return undefined;
}

/**
 * What a call loads: `loaderKind`, or, for a class of a third-party package no table names, what its
 * arguments say: weights to read (`RerankerModel(model_name_or_path=p)`), or a model-like class name placed
 * on a device (`CLIPModel(name, device=d)`). Wrappers of unknown libraries are the commonest model in real
 * serving code; the evidence is in the call, not the name alone.
 */
export function loadedBy(mod: PythonModule, call: Node, q: string, moduleClasses: ReadonlyMap<string, { weightless?: boolean }>): ModelKind | undefined {
  const kind = loaderKind(q, moduleClasses);
  // `<x>.load_model(...)` loads when x is an imported package (whisper, keras, mlflow); on an object of the
  // program (`model_manager.load_model(id)`) it is the program's own method, often a cache: its body decides.
  if (kind && !LOADER_BY_NAME.has(q) && LOAD_MODEL_FUNCTION.test(q) && !importedHead(mod, call)) return constructedModelKind(mod, call, q);
  return kind ?? constructedModelKind(mod, call, q);
}

function importedHead(mod: PythonModule, call: Node): boolean {
  const head = (mod.calleeText.get(call.id) ?? '').split('.')[0];
  return !!head && mod.imports.has(head);
}

const WEIGHTS_KEYWORD = /^(pretrained_)?(model_name_or_path|model_path|model_dir|checkpoint|checkpoint_path|ckpt|ckpt_path|weights|weights_path|model_file|model_weights)$/;
const MODEL_CLASS = /[A-Za-z0-9](Model|Reranker|Embedder|Encoder|Classifier|Detector|Recogni[sz]er|Segmenter|Predictor|Transcriber|Synthesi[sz]er|Tagger|Captioner|Upscaler|Upsampler|Restorer)$/;
/** Packages whose classes are not models even when given such arguments. */
const NOT_MODEL_PACKAGES = /^(typing|pydantic|dataclasses|fastapi|starlette|flask|django|sqlalchemy|openai|anthropic|langchain_openai|requests|httpx|aiohttp)(\.|$)/;

function constructedModelKind(mod: PythonModule, call: Node, q: string): ModelKind | undefined {
  const head = q.split('.')[0];
  const cls = q.split('.').pop() ?? '';
  if (!/^[A-Z]/.test(cls) || !q.includes('.') || NOT_MODEL_PACKAGES.test(q)) return undefined;
  // Only names imported from a package: the workspace's own classes are known by their definitions.
  const local = mod.calleeText.get(call.id)?.split('.')[0];
  if (!local || !mod.imports.has(local) || head === 'self') return undefined;
  const keywords = callArgs(call).keywords;
  if ([...keywords.keys()].some((k) => WEIGHTS_KEYWORD.test(k))) return 'other';
  return MODEL_CLASS.test(cls) && keywords.has('device') ? 'other' : undefined;
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

const MODEL_NAMES = 'model|net|encoder|embedder|reranker|session|ort_session|pipe|classifier|detector|llm|segmenter|recognizer';
const MODEL_PARAM = new RegExp(`^(${MODEL_NAMES})$`);
const MODEL_SIGNATURE = new RegExp(`\\b(${MODEL_NAMES})\\b|InferenceSession|Pipeline|SentenceTransformer|CrossEncoder|PreTrained|AutoModel|Module|Sequential`);
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
export function modelParameters(mod: PythonModule, fn: Node): { name: string; kind: ModelKind; loader: string; injected: boolean }[] {
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
    const made = provider ? mod.context.factories.get(provider)?.[0] : undefined;
    const byProvider = made && 'kind' in made ? made : undefined;
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
export function anyItem(key: string): string | undefined {
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
  /** bound to a module-scope key a getter returns: the binding is whatever that key holds */
  ref?: string;
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
    const started = startedAtModuleScope(mod, call);
    if (started) { out.push(started); continue; }
    const q = qualifiedCallee(mod, call);
    if (!q) continue;
    const hubYolo = q === 'torch.hub.load' && WRAPPED_HUB_REPOSITORIES.test(positionalArgs(call)[0]?.text ?? '');
    // YOLOv5 from torch.hub comes wrapped in AutoShape: eval mode and no_grad inside, like ultralytics' YOLO.
    const kind = hubYolo ? 'other' : loadedBy(mod, call, q, mod.context.moduleClasses) ?? loadsWeights(mod, call, q);
    // The file's own factories, and those imported from other files of the workspace, by the name called.
    const bare = mod.calleeText.get(call.id) ?? '';
    const made = !kind && factories && !bare.includes('.') ? mod.context.factories.get(bare) : undefined;
    if (!kind && !made) continue;
    // Climb the chain `load(...).to(d).eval()` to the assignment that binds it.
    const { left, chain, top } = assignedFrom(call);
    if (!left) {
      const item = kind && collectionItem(top);
      if (item) out.push({ ...item, kind, loader: q, call, chain });
      continue;
    }
    if (kind) {
      // `model, preprocess = clip.load(...)`: loaders that return the model first in a tuple.
      const target = LOADER_BY_NAME.get(q)?.tupleFirst && /pattern_list|tuple_pattern/.test(left.type) ? left.namedChild(0) : left;
      const key = keyOf(target);
      if (key && target) out.push({ key, kind, loader: hubYolo ? 'ultralytics.yolov5 (torch.hub)' : q, call, left: target, chain });
      continue;
    }
    // A factory's result: one model, or a tuple unpacked into as many names.
    const targets = made!.length === 1 ? [left] : /pattern_list|tuple_pattern/.test(left.type) ? left.namedChildren : [];
    if (targets.length !== made!.length) continue;
    targets.forEach((t, i) => {
      const m = made![i], key = keyOf(t);
      if (!m || !key || !t) return;
      if ('ref' in m) out.push({ key, kind: 'other', loader: '', call, left: t, chain: [], viaFactory: true, ref: m.ref });
      else out.push({ key, kind: m.kind, loader: m.loader, call, left: t, chain: [...m.methods, ...chain], viaFactory: true });
    });
  }
  return out;
}

/**
 * `engine = Factory.create(cfg)` then, at module scope, `engine.load_model()`: whatever class the factory picks at
 * run time, the object holds a model from then on (its `transcribe(...)` runs inference).
 */
function startedAtModuleScope(mod: PythonModule, call: Node): BindingSite | undefined {
  if (call.parent?.type !== 'expression_statement' || call.parent.parent?.type !== 'module') return undefined;
  const fn = call.childForFieldName('function');
  const recv = fn?.type === 'attribute' ? fn.childForFieldName('object') : undefined;
  if (recv?.type !== 'identifier' || !STARTS_MODEL.test(fn!.childForFieldName('attribute')?.text ?? '') || mod.imports.has(recv.text)) return undefined;
  // A class instantiated by name (`model = HfWhisper()`) is followed into its methods instead (the call graph);
  // only an object a factory picked (`Factory.create(cfg)`) is taken as the model itself.
  if (new RegExp(`^${recv.text}\\s*=\\s*[A-Z]\\w*\\(`, 'm').test(mod.tree.rootNode.text)) return undefined;
  return { key: recv.text, kind: 'other', loader: `${recv.text}.${fn!.childForFieldName('attribute')!.text}`, call, left: recv, chain: [] };
}

const STARTS_MODEL = /^(load_model|load_weights|load_models|load_checkpoint)$/;

/**
 * `self.model = Model(opt)` then `self.model.load_state_dict(torch.load(p))`: whatever the class (often
 * defined in a package the workspace does not hold), an object that loads a state dict is an nn.Module.
 * The evidence is looked for in the same top-level statement, or the whole file for a module-level name.
 */
function loadsWeights(mod: PythonModule, call: Node, q: string): ModelKind | undefined {
  if (!/^[A-Z]/.test(q.slice(q.lastIndexOf('.') + 1)) && !REGISTRY_LOOKUP.test(q)) return undefined;
  const { left } = assignedFrom(call);
  const key = keyOf(left);
  if (!key) return undefined;
  if (cached(mod, 'stateDictKeys', () => stateDictKeys(mod.unit.text)).has(key)) return 'torch';
  if (!/^[A-Za-z_]\w*$/.test(key) || ancestry(call).fn) return undefined;
  let file = FILE_STATE_DICT_KEYS.get(mod.tree);
  if (!file) FILE_STATE_DICT_KEYS.set(mod.tree, file = stateDictKeys(mod.tree.rootNode.text));
  return file.has(key) ? 'torch' : undefined;
}

const FILE_STATE_DICT_KEYS = new WeakMap<object, Set<string>>();
/** A class taken from a registry by name (`ARCH_REGISTRY.get("CodeFormer")`, see qualifiedCallee). */
const REGISTRY_LOOKUP = /\.get\(["'][A-Z]\w*["']\)$/;

function stateDictKeys(text: string): Set<string> {
  const out = new Set<string>();
  if (!text.includes('.load_state_dict(')) return out;
  for (const m of text.matchAll(/([A-Za-z_][\w.]*)\.load_state_dict\(/g)) out.add(m[1]);
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
  if (coll.type === 'dictionary') {
    if (!literalKey) return undefined;
    // `MODELS = {"resnet18": load(...), "resnet50": load(...)}` then `MODELS[name]`: a registry of models, any item a model.
    const registry = coll.namedChildren.every((p) => p?.type === 'comment' || (p?.type === 'pair' && p.childForFieldName('value')?.type === 'call'));
    return { key: registry ? `${base}[*]` : `${base}[${literalKey}]`, left };
  }
  return coll.type === 'list' ? undefined : { key: `${base}[*]`, left };
}

function assignedFromValue(value: Node): { left?: Node } {
  const assign = value.parent;
  if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== value.id) return {};
  return { left: assign.childForFieldName('left') ?? undefined };
}

/** What a model factory returns, position by position (null: not a model). */
export interface FactoryModel { kind: ModelKind; loader: string; methods: string[] }

/** A getter's result: a module-level name (`return ENCODER`, `return SESSIONS.get(t)` → `SESSIONS[*]`) bound elsewhere, or not. */
export interface FactoryRef { ref: string }

export type FactoryResult = FactoryModel | FactoryRef | null;

/**
 * When the unit is a top-level function that returns models (`return model`, `return tokenizer, model`,
 * `return AutoModel.from_pretrained(p)`, a lazily set global), what each returned value is.
 */
export function factoryOf(mod: PythonModule): Factory | undefined {
  return cached(mod, 'factory', () => findFactory(mod));
}

interface Factory { name: string; returns: FactoryResult[]; sites: BindingSite[] }

function findFactory(mod: PythonModule): Factory | undefined {
  const fn = mod.unit.node.type === 'decorated_definition' ? mod.unit.node.childForFieldName('definition') : mod.unit.node;
  if (fn?.type !== 'function_definition') return undefined;
  // `def load_pipeline(...) -> Pipeline:`: the signature says what comes back, however the body builds it.
  const declared = declaredModel(mod, fn);
  // A factory binds a loaded model in its body, returns a call or a module-level name: most functions do none of these.
  if (!declared && !loaderSites(mod).length && !/\breturn\s+([\w.]+\(|[A-Z_])/.test(mod.unit.text)) return undefined;
  const sites = loaderSites(mod);
  const used: BindingSite[] = [];
  for (const ret of fn.descendantsOfType('return_statement')) {
    if (!ret || ancestry(ret).fn?.id !== fn.id) continue;
    const value = ret.namedChild(0);
    if (!value || value.type === 'none') continue;
    const items = value.type === 'expression_list' || value.type === 'tuple' ? value.namedChildren : [value];
    const returns = items.map((item): FactoryResult => {
      if (item?.type === 'identifier') {
        const site = [...sites].reverse().find((s) => s.key === item.text && s.call.startIndex > fn.startIndex && s.call.startIndex < ret.startIndex);
        if (!site) return GLOBAL_NAME.test(item.text) ? { ref: item.text } : null;
        used.push(site);
        return { kind: site.kind, loader: site.loader, methods: [...site.chain, ...methodsCalledOn(mod, item.text, fn, ret)] };
      }
      const ref = globalRef(item);
      if (ref) return { ref };
      if (item?.type !== 'call') return null;
      let inner: Node = item;
      const chain: string[] = [];
      for (let f = inner.childForFieldName('function'); f?.type === 'attribute' && f.childForFieldName('object')?.type === 'call'; f = inner.childForFieldName('function')) {
        chain.unshift(f.childForFieldName('attribute')!.text);
        inner = f.childForFieldName('object')!;
      }
      // `return cast(Net, Net.from_pretrained(p)).eval()`: typing.cast hands its second argument through.
      if (inner.type === 'call' && qualifiedCallee(mod, inner) === 'typing.cast') {
        const value = positionalArgs(inner)[1];
        if (value?.type === 'call') inner = value;
      }
      // `return model.eval()`, `return model.half().to(d)`: the model bound earlier in the function, methods applied.
      const head = inner.childForFieldName('function');
      const name = head?.type === 'attribute' ? head.childForFieldName('object') : undefined;
      if (name?.type === 'identifier') {
        const site = [...sites].reverse().find((s) => s.key === name.text && s.call.startIndex > fn.startIndex && s.call.startIndex < ret.startIndex);
        if (site) {
          used.push(site);
          return { kind: site.kind, loader: site.loader, methods: [...site.chain, ...methodsCalledOn(mod, name.text, fn, ret), head!.childForFieldName('attribute')!.text, ...chain] };
        }
      }
      const q = qualifiedCallee(mod, inner);
      const kind = q ? loadedBy(mod, inner, q, mod.context.moduleClasses) : undefined;
      return kind && q ? { kind, loader: q, methods: chain } : null;
    });
    if (returns.some((r) => r)) return { name: fn.childForFieldName('name')?.text ?? '', returns, sites: used };
  }
  return declared ? { name: fn.childForFieldName('name')?.text ?? '', returns: [declared], sites: [] } : undefined;
}

/** A return annotation naming a model type (`-> Pipeline`, `-> PreTrainedModel`, `-> ort.InferenceSession`, a torch class of the file). */
function declaredModel(mod: PythonModule, fn: Node): FactoryModel | undefined {
  const annotation = fn.childForFieldName('return_type')?.text;
  const kind = annotation && /^[\w.]+$/.test(annotation) ? annotationKind(mod, annotation) : undefined;
  return kind ? { kind, loader: qualify(mod, annotation!), methods: [] } : undefined;
}

/** Names a getter returns from module scope: constants and private globals (`ENCODER`, `_session`). */
const GLOBAL_NAME = /^(_|[A-Z])/;

/** `app.state.model`, `MODELS[name]`, `SESSIONS.get(t, FALLBACK)`: a module-scope key a getter returns. */
function globalRef(item: Node | null): string | undefined {
  if (!item) return undefined;
  if (item.type === 'attribute') {
    const key = keyOf(item);
    return key?.startsWith('state.') ? key : undefined;
  }
  const base = item.type === 'subscript' ? item.childForFieldName('value')
    : item.type === 'call' && item.childForFieldName('function')?.childForFieldName('attribute')?.text === 'get' ? item.childForFieldName('function')?.childForFieldName('object') : undefined;
  return base?.type === 'identifier' && GLOBAL_NAME.test(base.text) ? `${base.text}[*]` : undefined;
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
    if (!/^[A-Za-z_]\w*$/.test(callee) || NOT_FACTORIES.test(callee)) continue;
    const { left } = assignedFrom(call);
    if (!left) continue;
    const targets = /pattern_list|tuple_pattern/.test(left.type) ? left.namedChildren : [left];
    const tails = targets.map((t) => { const k = keyOf(t); return k && keyTail(k); }).filter((t): t is string => !!t);
    if (tails.length) out.push([callee, tails]);
  }
  return out;
}

