/**
 * A Python file as a list of units (its top-level statements) and the module context: the plain
 * data (no tree nodes) that the analysis of one unit may read from the others. Each unit exports
 * what it declares (imports, classes, function names, handler registrations, model bindings and
 * their uses); the context is the merge of all exports. Because analysing a unit reads nothing else
 * from the rest of the file, an edit inside one unit re-analyses that unit alone whenever the merged
 * context comes out unchanged (compared by digest); otherwise the whole file is analysed again.
 */
import type { Node } from 'web-tree-sitter';
import type { ModelKind } from './models';
import type { FactoryResult } from './bindings';
import { CallEdge, drainingFunctions, FunctionDef, gradOffFunctions, MODULE_CODE, OPAQUE, RequestPath, requestPaths, servesOnLoop } from './callGraph';

export interface Unit {
  node: Node;
  type: string;
  text: string;
  /** position among the module's units: what ownership in the context refers to */
  index: number;
  startRow: number;
  /** a unit that moves to another column (after an error) is not the same unit: its positions are not a line shift away */
  startColumn: number;
  endRow: number;
  startIndex: number;
}

/** What a class contributes: torch module classes are loaders, and their source decides eval/precision rules. */
export interface ClassInfo {
  name: string;
  /** base classes as written (qualified through the imports when merged) */
  bases: string[];
  /** `self.eval()` / `.train(False)` in the class body */
  setsEval: boolean;
  /** dropout or batch/instance norm: eval mode changes its outputs */
  modeDependent: boolean;
  /** at least two Linear layers and no convolutions */
  linearHeavy: boolean;
  /** no layer with weights and nothing loaded: glue code in a module's clothes (an add/sub, a reshape) */
  weightless: boolean;
}

/** Facts that need only the unit's own text. */
export interface UnitOutline {
  /** module-level imports (`import`/`from` statements directly under the module) */
  imports: [string, string][];
  /** imports inside functions and blocks: they count when the module does not bind the name */
  nestedImports: [string, string][];
  classes: ClassInfo[];
}

/** Facts that need the unit's own text and the file's imports and classes. */
export interface UnitDecls {
  /** tails of keys bound by a loader anywhere in the unit */
  keyTails: string[];
  moduleNames: string[];
  functionNames: string[];
  /** a top-level `def` (SageMaker's model_fn/predict_fn pair across units) */
  topFunction?: string;
  /** the identifiers `model_fn` returns (null for other expressions), when this unit is `def model_fn` */
  returnNames?: (string | null)[];
  /** function name → handler kind, from `add_api_route(..., f)`, `gr.Interface(fn=f)`, ... in document order */
  registrations: [string, string][];
  bentoServices: string[];
  /** `NAME = "literal"` when the unit is one */
  strings: [string, string][];
  /** `NAME = <literal>` (a string, number or a list/tuple/set of them) when the unit is one */
  literals: string[];
  /** the unit is a top-level function returning models: its name and what it returns */
  factory?: [string, FactoryResult[]];
  /** `x = f(...)` calls of plain functions: f and the tails of the names assigned */
  callAssignments: [string, string[]][];
  /** `ModelDep = Annotated[Model, Depends(get_model)]`: type aliases parameters are annotated with */
  typeAliases: [string, string][];
  flags: TextFlags;
  /** the unit's functions and methods, by qualified name (callGraph.ts) */
  defs: FunctionDef[];
  /** calls that may reach the file's own functions */
  edges: CallEdge[];
  /** module-level objects built from a class call: [name, class] */
  instances: [string, string][];
}

export interface TextFlags {
  trains: boolean;
  usesAccelerator: boolean;
  precisionChosen: boolean;
  sessOptions: boolean;
  gradOff: boolean;
  /** the file feeds a static-shape compiler or runtime (Neuron, TensorRT, OpenVINO, XLA, Core ML, TFLite) */
  staticRuntime: boolean;
}

/** A binding visible outside its unit: the last module-scope assignment of a key, or what `model_fn` returns. */
export interface ExportedBinding {
  key: string;
  kind: ModelKind;
  loader: string;
  /** methods chained on the load (`load(...).eval()`) */
  chain: string[];
}

/** Facts that also need other units' bindings: computed by the model analysis of the unit. */
export interface UnitExports {
  /** module-scope bindings in document order */
  moduleBindings: ExportedBinding[];
  /** `model_fn`'s returned bindings, by position */
  returned?: (ExportedBinding | null)[];
  /** global binding id → methods called on it here (`eval` for `.train(False)`, `no_grad` for `.requires_grad_(False)`) */
  methods: Map<string, Set<string>>;
  /** global binding ids called directly here (`model(x)`) */
  called: Set<string>;
  /** global binding ids handed to code we cannot see */
  escapes: Set<string>;
  /** the unit's request handlers: [qualified name, why it runs per request] */
  handlerNames: [string, string][];
  /** calls that may run inference: [calling function, global id of the model ('' when settled as inference here), method] */
  inference: [string, string, string][];
}

export interface GlobalBinding extends ExportedBinding {
  gid: string;
  /** the owning unit's index and the binding's index among its exports (`3#0`, `5#r1`) */
  owner: string;
  methods: Set<string>;
  escapes: boolean;
  used: boolean;
}

export interface ModuleContext {
  imports: Map<string, string>;
  moduleNames: Set<string>;
  moduleClasses: Map<string, ClassInfo>;
  /** function name → index of the unit with its first definition */
  firstDefinition: Map<string, number>;
  registrations: Map<string, string>;
  bentoServices: Set<string>;
  /** identifiers returned by `model_fn`, when a top-level one exists */
  sagemakerReturns?: (string | null)[];
  /** tails of every key bound by a loader anywhere: a cheap filter before resolving names */
  keyTails: string[];
  flags: TextFlags;
  /** the index of the unit a new import goes after (-1: the top of the file) */
  importAnchor: number;
  /** the line where a new import goes (not compared: it moves with edits above it) */
  importLine: number;
  /** module-level `NAME = "..."` constants, first per name */
  strings: Map<string, string>;
  /** module-level names bound to a literal (strings, numbers, lists of them): constants a request cannot change */
  literalNames: Set<string>;
  /** top-level functions that return models, by name */
  factories: Map<string, FactoryResult[]>;
  /** module-level `Annotated[...]` type aliases, by name */
  typeAliases: Map<string, string>;
  /** filled once every unit's exports are merged */
  bindings: Map<string, GlobalBinding>;
  hasHandlers: boolean;
  /** every class defined at any level of the file, by name */
  fileClasses: Set<string>;
  /** the file's functions and methods by qualified name, the calls between them, its module-level objects */
  defs: Map<string, FunctionDef>;
  edges: CallEdge[];
  instances: Map<string, string>;
  /** objects of imported classes (`worker = ModelWorker()` with ModelWorker from another module), for the workspace index */
  importedInstances: Map<string, string>;
  /** functions the handlers reach (not the handlers themselves), filled with the exports */
  requestPaths: Map<string, RequestPath>;
  /** the file's request handlers by qualified name (filled with the exports) */
  handlers: Map<string, string>;
  /** functions every caller in the file runs under no_grad (callGraph.gradOffFunctions) */
  gradOff: Set<string>;
  /** functions that block until a streamed generation ends (callGraph.drainingFunctions) */
  drainers: Set<string>;
  /** functions that run inference themselves (filled with the exports) */
  inferring: Set<string>;
  /** every class of the file with its bases qualified (what the workspace summary needs) */
  classInfos: ClassInfo[];
  /** what the other files of the workspace contribute */
  external: ExternalFacts;
}

const FLAGS = {
  trains: /\.backward\(|\boptim\.|\boptimizer\b|\bTrainer\(|\.fit\(|\btraining_step\b|\.train\(\s*\)/,
  usesAccelerator: /\bcuda\b|["']mps["']|\bdevice_map\b|["']xpu|\.to\(\s*(self\.)?device\b|\bDEVICE\b/,
  precisionChosen: /float16|bfloat16|\.half\(\)|quantize_dynamic|autocast|qint8|load_in_[48]bit|BitsAndBytes|GPTQ|AWQ|fp16|bf16|torch_dtype|\bdtype\s*=\s*["']auto["']/,
  sessOptions: /\bsess_options\b/,
  // Compilers and runtimes that run fixed input shapes: padding to the traced length is required there.
  staticRuntime: /\b(torch\.neuron|torch_neuronx?|optimum\.neuron|tensorrt|torch_tensorrt|openvino|torch_xla|coremltools|tflite_runtime)\b/,
};

export function textFlags(text: string): TextFlags {
  return {
    trains: FLAGS.trains.test(text), usesAccelerator: FLAGS.usesAccelerator.test(text), precisionChosen: FLAGS.precisionChosen.test(text),
    sessOptions: FLAGS.sessOptions.test(text), gradOff: /requires_grad\s*=\s*False/.test(text), staticRuntime: FLAGS.staticRuntime.test(text),
  };
}

/** A transformers model class used as a base (`class BertNer(BertForTokenClassification)`): the backbone comes with it. */
const TRANSFORMER_HEAD = /(^|\.)(Bert|DistilBert|Roberta|XLMRoberta|Deberta\w*|DeBERTa\w*|Electra|Albert|Camembert|MPNet|T5|GPT2|Llama|Mistral|Qwen\d*)(Model|For\w+)$/;
// A PreTrainedModel subclass is heavy by what it builds (a backbone, Linear layers), not by its base: a wrapper that
// forwards to a remote or compiled model has no layers of its own.
const TRANSFORMER_BACKBONE = /\b(Auto|Bert|DistilBert|Roberta|XLMRoberta|Deberta\w*|Electra|Albert|Camembert|MPNet|T5\w*|GPT2|Llama|Mistral|Qwen\d*)(Model|Encoder\w*|For\w+)(\.from_pretrained)?\(/;

const WEIGHTS = /\b(Linear|Conv\w*|Embedding\w*|LSTM\w*|GRU\w*|RNN\w*|\w*Norm\w*|Parameter|MultiheadAttention|Transformer\w*|Bilinear|PReLU)\(|from_pretrained\(|load_state_dict|torch\.load|torch\.hub|timm\.|torchvision|models\.\w+\(|register_buffer|super\(\)\.__init__\(\s*\w/;

export function classInfo(name: string, bases: string[], text: string): ClassInfo {
  return {
    name, bases,
    setsEval: /\bself\.eval\(\)|\.train\(False\)/.test(text),
    modeDependent: /Dropout|BatchNorm|dropout|batch_norm|InstanceNorm/.test(text),
    // Linear layers, or a transformer backbone with a head (`self.bert = BertModel.from_pretrained(...)`), and no convolutions.
    // (The body only: the header `class BertForTokenClassification(PreTrainedModel):` names no backbone.)
    linearHeavy: ((text.match(/\bLinear\(/g)?.length ?? 0) >= 2 || TRANSFORMER_BACKBONE.test(text.slice(text.indexOf(':'))) || bases.some((b) => TRANSFORMER_HEAD.test(b))) && !/Conv\d?d\(/.test(text),
    weightless: !WEIGHTS.test(text),
  };
}

/** Bases that make a class a torch module: nn.Module, Lightning, and transformers' pretrained-model bases (custom heads on BERT & co.). */
export const TORCH_MODULE = /^torch\.nn\.(Module|Sequential)$|^(nn|torch\.nn)\.Module$|^(pl|lightning|pytorch_lightning)\.LightningModule$|^transformers\.(\w+\.)*\w*PreTrainedModel$|^(transformers|pytorch_transformers|pytorch_pretrained_bert)\.(\w+\.)*[A-Z]\w*(Model|For[A-Z]\w*)$/;

/** A context with only imports and torch module classes, from every unit's outline in document order. */
export function mergeOutlines(outlines: readonly UnitOutline[], importAnchor: number, importLine: number, external: ExternalFacts = NO_EXTERNAL): ModuleContext {
  const imports = new Map<string, string>();
  for (const o of outlines) for (const [k, v] of o.imports) imports.set(k, v);
  // Imports inside functions (common in handlers) are resolved too; module ones win on conflict.
  for (const o of outlines) for (const [k, v] of o.nestedImports) if (!imports.has(k)) imports.set(k, v);
  // A class is a torch module when a base is nn.Module (or similar) or an earlier module class, here or imported.
  const moduleClasses = new Map<string, ClassInfo>(external.classes);
  const fileClasses = new Set<string>();
  const classInfos: ClassInfo[] = [];
  for (const o of outlines) for (const c of o.classes) if (c.name) fileClasses.add(c.name);
  for (const o of outlines) {
    for (const c of o.classes) {
      const bases = c.bases.map((b) => qualifyWith(imports, b));
      classInfos.push({ ...c, bases });
      // Weightless only when nothing it inherits from can hold layers either.
      if (c.name && bases.some((b) => TORCH_MODULE.test(b) || moduleClasses.has(b))) moduleClasses.set(c.name, { ...c, bases, weightless: c.weightless && !bases.some((b) => moduleClasses.has(b)) });
    }
  }
  return {
    imports, moduleClasses, importAnchor, importLine, moduleNames: new Set(), literalNames: new Set(), firstDefinition: new Map(), registrations: new Map(), strings: new Map(), factories: new Map(), typeAliases: new Map(),
    bentoServices: new Set(), keyTails: [], bindings: new Map(), hasHandlers: false,
    flags: { trains: false, usesAccelerator: false, precisionChosen: false, sessOptions: false, gradOff: false, staticRuntime: false },
    fileClasses, defs: new Map(), edges: [], instances: new Map(), importedInstances: new Map(), requestPaths: new Map(), handlers: new Map(), classInfos, external,
    inferring: new Set(), gradOff: new Set(), drainers: new Set(),
  };
}

export function qualifyWith(imports: ReadonlyMap<string, string>, dotted: string): string {
  const dot = dotted.indexOf('.');
  const head = dot < 0 ? dotted : dotted.slice(0, dot);
  const q = imports.get(head);
  return q ? q + dotted.slice(head.length) : dotted;
}

/** The context before any unit's exports are merged: imports, classes and every unit's declarations. */
export function mergeDecls(ctx: ModuleContext, decls: readonly UnitDecls[]): void {
  // Filled in place: module views made before the merge hold these same collections.
  for (const c of [ctx.moduleNames, ctx.literalNames, ctx.firstDefinition, ctx.registrations, ctx.strings, ctx.factories, ctx.typeAliases, ctx.bentoServices, ctx.bindings,
    ctx.defs, ctx.instances, ctx.importedInstances, ctx.requestPaths]) c.clear();
  Object.assign(ctx, { keyTails: [], hasHandlers: false, sagemakerReturns: undefined, edges: [],
    flags: { trains: false, usesAccelerator: false, precisionChosen: false, sessOptions: false, gradOff: false, staticRuntime: false } });
  const tails = new Set<string>();
  decls.forEach((decls, index) => {
    for (const n of decls.moduleNames) ctx.moduleNames.add(n);
    for (const n of decls.functionNames) if (!ctx.firstDefinition.has(n)) ctx.firstDefinition.set(n, index);
    for (const [n, kind] of decls.registrations) if (!ctx.registrations.has(n)) ctx.registrations.set(n, kind);
    for (const s of decls.bentoServices) ctx.bentoServices.add(s);
    for (const [n, v] of decls.strings) if (!ctx.strings.has(n)) ctx.strings.set(n, v);
    for (const n of decls.literals) ctx.literalNames.add(n);
    if (decls.factory && !ctx.factories.has(decls.factory[0])) ctx.factories.set(...decls.factory);
    for (const [n, t] of decls.typeAliases) ctx.typeAliases.set(n, t);
    for (const t of decls.keyTails) tails.add(t);
    if (decls.topFunction === 'model_fn' && !ctx.sagemakerReturns) ctx.sagemakerReturns = decls.returnNames ?? [];
    for (const f of Object.keys(ctx.flags) as (keyof TextFlags)[]) ctx.flags[f] ||= decls.flags[f];
    for (const d of decls.defs) if (!ctx.defs.has(d.name)) ctx.defs.set(d.name, d);
    for (const e of decls.edges) ctx.edges.push(e);
    for (const [name, cls] of decls.instances) {
      if (ctx.fileClasses.has(cls)) ctx.instances.set(name, cls);
      else if (ctx.imports.has(cls) || cls === OPAQUE) ctx.importedInstances.set(name, cls);
    }
  });
  // Imported factories and model bindings of other files: the file's own names win.
  for (const [n, results] of ctx.external.factories) if (!ctx.factories.has(n)) ctx.factories.set(n, results);
  for (const b of ctx.external.bindings) tails.add(b.key);
  // A getter's results count when they name something of the module (`ENCODER`, `SESSIONS[*]`, `state.x`).
  for (const [name, results] of [...ctx.factories]) {
    const kept = results.map((r) => (r && 'ref' in r && !r.ref.startsWith('state.') && !ctx.moduleNames.has(r.ref.replace(/\[\*\]$/, '')) ? null : r));
    if (kept.some((r) => r)) ctx.factories.set(name, kept); else ctx.factories.delete(name);
  }
  for (const d of decls) for (const [callee, names] of d.callAssignments) if (ctx.factories.has(callee)) for (const t of names) tails.add(t);
  ctx.keyTails = [...tails].sort();
}

/**
 * What the rest of the workspace tells one file (code/workspace/index.ts computes it from the other
 * files' summaries): torch module classes, model bindings and factories it imports, and which of its
 * functions handlers in other files reach. Plain data, compared by digest like the rest of the context.
 */
export interface ExternalFacts {
  /** qualified import path (`model.Net`, `.nets.Encoder`) → a torch module class defined in another file */
  classes: [string, ClassInfo][];
  /** local names bound by `from m import x` to a model another file binds at module scope */
  bindings: ExportedBinding[];
  /** local names of factories imported from other files */
  factories: [string, FactoryResult[]][];
  /** this file's functions reached from handlers in other files */
  entries: [string, RequestPath][];
  /** local names of functions imported from other files that run a model themselves (`caption(path)`) */
  inferring: string[];
  /** local names of functions imported from other files that are cached factories (`@st.cache_resource def load_model()`): their body runs once per key */
  cached?: string[];
}

export const NO_EXTERNAL: ExternalFacts = { classes: [], bindings: [], factories: [], entries: [], inferring: [] };

/** Global id of a module-scope key. */
export function moduleGid(key: string): string {
  return `module:${key}`;
}

export function sagemakerGid(i: number): string {
  return `sagemaker:${i}`;
}

const INFER_METHODS: Record<ModelKind, Set<string>> = {
  // inference/infer: the generation entry points of many research models (XTTS, Tacotron2, VITS) beside forward.
  'torch': new Set(['forward', 'generate', 'predict', 'predict_step', 'transcribe', 'detect', 'encode_image', 'encode_text', 'inference', 'infer', 'inference_stream']),
  // chat/stream_chat/chat_stream/stream_generate: the generation helpers of remote-code chat models (ChatGLM, Qwen, InternLM, Baichuan).
  'hf-model': new Set(['forward', 'generate', 'chat', 'stream_chat', 'chat_stream', 'stream_generate', 'encode_image', 'encode_text', 'get_image_features', 'get_text_features']),
  'tokenizer': new Set(),
  'pipeline': new Set(['predict']),
  'encoder': new Set(['encode', 'predict', 'rank', 'compute_score', 'encode_queries', 'encode_corpus', 'embed_query', 'embed_documents']),
  'ort': new Set(['run', 'run_with_iobinding', 'run_with_ort_values']),
  'other': new Set(['predict', 'predict_proba', 'transcribe', 'generate', 'create_completion', 'create_chat_completion', 'encode', 'translate_batch',
    'generate_batch', 'invoke', 'embed_query', 'embed_documents', 'track', 'enhance', 'readtext', 'ocr', 'tts', 'align', 'detect', 'segment', 'infer',
    'compute_score', 'rerank', 'embed', 'encode_image', 'encode_text', 'classify', 'recognize', 'caption', 'synthesize', 'upscale',
    'inference', 'infer', 'inference_stream', 'tts_to_file', 'language_detection', 'detect_language']),
};

/** Whether a call of `method` ('__call__' for `model(x)`) on a binding of `kind` runs inference. */
export function isInferenceMethod(kind: ModelKind, method: string): boolean {
  return method === '__call__' ? kind !== 'tokenizer' && kind !== 'ort' : INFER_METHODS[kind].has(method);
}

/** Completes the context with every unit's exports: the effective binding per global id and its uses. */
export function mergeExports(ctx: ModuleContext, exports: readonly UnitExports[]): void {
  const bindings = new Map<string, GlobalBinding>();
  for (const b of ctx.external.bindings) bindings.set(moduleGid(b.key), { ...b, gid: moduleGid(b.key), owner: 'external', methods: new Set(b.chain), escapes: false, used: false });
  let handlers = 0;
  const handlerNames = ctx.handlers;
  handlerNames.clear();
  // The Streamlit script body reruns on every interaction: what module code calls runs per interaction too.
  if ([...ctx.imports.values()].some((q) => q === 'streamlit' || q.startsWith('streamlit.'))) handlerNames.set(MODULE_CODE, 'the Streamlit script body, which reruns on every interaction');
  for (const e of exports) for (const [n, kind] of e.handlerNames) if (!handlerNames.has(n)) handlerNames.set(n, kind);
  exports.forEach((e, u) => {
    e.moduleBindings.forEach((b, i) => bindings.set(moduleGid(b.key), { ...b, gid: moduleGid(b.key), owner: `${u}#${i}`, methods: new Set(b.chain), escapes: false, used: false }));
    e.returned?.forEach((b, i) => { if (b) bindings.set(sagemakerGid(i), { ...b, gid: sagemakerGid(i), owner: `${u}#r${i}`, methods: new Set(b.chain), escapes: false, used: false }); });
    handlers += e.handlerNames.length;
  });
  for (const e of exports) {
    for (const [gid, ms] of e.methods) {
      const b = bindings.get(gid);
      if (!b) continue;
      for (const m of ms) {
        b.methods.add(m);
        if (isInferenceMethod(b.kind, m)) b.used = true;
      }
    }
    for (const gid of e.called) {
      const b = bindings.get(gid);
      if (b && isInferenceMethod(b.kind, '__call__')) b.used = true;
    }
    for (const gid of e.escapes) {
      const b = bindings.get(gid);
      if (b) b.escapes = true;
    }
  }
  ctx.bindings.clear();
  for (const [k, b] of bindings) ctx.bindings.set(k, b);
  ctx.hasHandlers = handlers > 0;
  ctx.inferring.clear();
  for (const e of exports) {
    for (const [fn, gid, method] of e.inference) {
      const b = gid ? bindings.get(gid) : undefined;
      if (!gid || (b && isInferenceMethod(b.kind, method))) ctx.inferring.add(fn);
    }
  }
  ctx.drainers.clear();
  for (const f of drainingFunctions({ defs: ctx.defs, edges: ctx.edges, instances: ctx.instances, classes: ctx.fileClasses })) ctx.drainers.add(f);
  ctx.gradOff.clear();
  for (const f of gradOffFunctions({ defs: ctx.defs, edges: ctx.edges, instances: ctx.instances, classes: ctx.fileClasses })) ctx.gradOff.add(f);
  ctx.requestPaths.clear();
  const paths = requestPaths({ defs: ctx.defs, edges: ctx.edges, instances: ctx.instances, classes: ctx.fileClasses, handlers: handlerNames, entries: ctx.external.entries,
    eventLoop: servesOnLoop(ctx.imports.values()) });
  for (const [k, p] of paths) ctx.requestPaths.set(k, p);
}

/** Renames unit indices in a digest: the same unit before and after an edit gets the same name. */
export type UnitAlias = (index: number) => string;

const ownerAlias = (alias: UnitAlias, owner: string): string => {
  const at = owner.lastIndexOf('#');
  return `${alias(Number(owner.slice(0, at)))}${owner.slice(at)}`;
};

/** A canonical string of the imports and module classes. */
export function outlineDigest(ctx: ModuleContext): string {
  return JSON.stringify([[...ctx.imports], [...ctx.moduleClasses], ctx.external]);
}

/** A canonical string of what mergeDecls adds (units named through `alias`). */
export function declsDigest(ctx: ModuleContext, alias: UnitAlias): string {
  const sorted = <T>(it: Iterable<T>): T[] => [...it].sort();
  return JSON.stringify([
    sorted(ctx.moduleNames), sorted(ctx.literalNames), [...ctx.firstDefinition].map(([n, k]) => [n, alias(k)]), [...ctx.registrations], sorted(ctx.bentoServices),
    ctx.sagemakerReturns ?? null, ctx.keyTails, ctx.flags, ctx.importAnchor < 0 ? -1 : alias(ctx.importAnchor), [...ctx.strings], [...ctx.factories], [...ctx.typeAliases],
  ]);
}

/** A canonical string of what mergeExports adds. */
export function exportsDigest(ctx: ModuleContext, alias: UnitAlias): string {
  return JSON.stringify([ctx.hasHandlers, [...ctx.requestPaths].sort((a, b) => (a[0] < b[0] ? -1 : 1)), [...ctx.inferring].sort(), [...ctx.gradOff].sort(), [...ctx.drainers].sort(),
    [...ctx.bindings.values()].map((b) => [b.gid, b.kind, b.loader, b.key, ownerAlias(alias, b.owner), [...b.methods].sort(), b.escapes, b.used])]);
}

/** A canonical string of one unit's contributions: equal before and after an edit, the merged context is unchanged. */
export function contributionDigest(outline: UnitOutline, decls: UnitDecls, exports: UnitExports): string {
  return JSON.stringify([outline, decls, exports], (_k, v: unknown) => (v instanceof Map ? [...v].map(([k, x]) => [k, x instanceof Set ? [...x] : x]) : v instanceof Set ? [...v] : v));
}

const externalDigests = new WeakMap<ExternalFacts, string>();

/** A canonical string of what the workspace tells a file (memoised: the index hands out the same object until something changes). */
export function externalDigest(e: ExternalFacts): string {
  if (e === NO_EXTERNAL) return '';
  let d = externalDigests.get(e);
  if (d === undefined) externalDigests.set(e, d = JSON.stringify(e));
  return d;
}
