/**
 * Which names hold a loaded model, tokenizer, ONNX Runtime session or pipeline (locals, globals,
 * `self.` attributes set in `__init__`/`setup`/`initialize`, `app.state.x`, `MODELS["x"]`), which
 * calls run inference on them, whether a region runs without autograd, and whether `.eval()` was
 * called. Memoised per module; rules query it by node.
 */
import type { Node } from 'web-tree-sitter';
import {
  classBases, dottedName, enclosingClass, hasKwargsSplat, keywordArg, methodName, positionalArgs, PythonModule, qualify, qualifiedCallee, receiver,
} from './semantics';
import { decoratorNames } from './serving';
import { ancestry } from './ancestry';

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
  /** the loader call (the root of `load(...).to(dev).eval()`) */
  call: Node;
  /** the assignment statement */
  stmt: Node;
  /** methods chained on the load or called on the name anywhere in the file (`eval`, `half`, `to`, ...) */
  methods: Set<string>;
  /** whether the name is passed to code we cannot see (a function that might call `.eval()`) */
  escapes: boolean;
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
  bindings: Binding[];
  /** local nn.Module subclasses by name (their instances are torch models) */
  moduleClasses: Map<string, Node>;
  /** `torch.set_grad_enabled(False)` at module level, or parameters frozen with `requires_grad_(False)` */
  gradOffEverywhere: boolean;
  /** the file trains (backward, optimizers, Trainer): grad is needed somewhere, rules about inference mode stay quiet */
  trains: boolean;
  /** the file places work on an accelerator (cuda, mps, device_map, xpu) */
  usesAccelerator: boolean;
  /** scope node id + key → binding */
  byScope: Map<string, Binding>;
  /** last segments of binding keys (`model` of `self.model`): a cheap text filter before tree walks */
  keyTails: string[];
  /** inferenceCall results by call id */
  inference: Map<number, InferenceCall | undefined>;
}

const memo = new WeakMap<PythonModule, ModelFacts>();

export function modelFacts(mod: PythonModule, text: string): ModelFacts {
  let f = memo.get(mod);
  if (!f) {
    f = computeFacts(mod, text);
    memo.set(mod, f);
  }
  return f;
}

/** What `loader(...)` loads, from its qualified callee; undefined when it loads nothing we know. */
export function loaderKind(q: string, moduleClasses: Map<string, Node>): ModelKind | undefined {
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
function scopeOf(target: Node, key: string): Node {
  if (/^(self|cls)\./.test(key)) return enclosingClass(target) ?? target.tree.rootNode;
  if (!/^[A-Za-z_]\w*$/.test(key)) return target.tree.rootNode;
  for (let p = target.parent; p; p = p.parent) {
    if (p.type === 'function_definition') {
      const body = p.childForFieldName('body');
      const globals = body?.namedChildren.some((s) => s?.type === 'global_statement' && s.namedChildren.some((n) => n?.text === key));
      return globals ? target.tree.rootNode : p;
    }
    if (p.type === 'class_definition') return p;
  }
  return target.tree.rootNode;
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
  }
  return undefined;
}

function computeFacts(mod: PythonModule, text: string): ModelFacts {
  const moduleClasses = new Map<string, Node>();
  for (const cls of mod.classes) {
    const bases = classBases(mod, cls);
    const name = cls.childForFieldName('name')?.text;
    if (name && bases.some((b) => /^torch\.nn\.(Module|Sequential)$|^(nn|torch\.nn)\.Module$|^(pl|lightning|pytorch_lightning)\.LightningModule$/.test(b) || moduleClasses.has(b))) {
      moduleClasses.set(name, cls);
    }
  }
  const bindings: Binding[] = [];
  const byScope = new Map<string, Binding>();
  for (const call of mod.calls) {
    const q = qualifiedCallee(mod, call);
    if (!q) continue;
    const kind = loaderKind(q, moduleClasses);
    if (!kind) continue;
    // Climb the chain `load(...).to(d).eval()` (and `await`) to the assignment that binds it.
    let top: Node = call;
    const methods: string[] = [];
    while (top.parent?.type === 'attribute' && top.parent.parent?.type === 'call') {
      methods.push(top.parent.childForFieldName('attribute')!.text);
      top = top.parent.parent;
    }
    const assign = top.parent;
    if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== top.id) continue;
    const left = assign.childForFieldName('left');
    const key = keyOf(left);
    if (!key || !left) continue;
    const b: Binding = { key, kind, loader: q, call, stmt: assign.parent ?? assign, methods: new Set(methods), escapes: false };
    bindings.push(b);
    byScope.set(`${scopeOf(left, key).id}:${key}`, b);
  }
  linkSageMakerModel(mod, byScope);
  const facts: ModelFacts = {
    bindings, moduleClasses, byScope, inference: new Map(), keyTails: [],
    gradOffEverywhere: false,
    trains: /\.backward\(|\boptim\.|\boptimizer\b|\.zero_grad\(|\bTrainer\(|\.fit\(|\btraining_step\b|\.train\(\s*\)/.test(text),
    usesAccelerator: /\bcuda\b|["']mps["']|\bdevice_map\b|["']xpu|\.to\(\s*(self\.)?device\b|\bDEVICE\b/.test(text),
  };
  // Methods called on a bound name anywhere, and names handed to code we cannot see.
  const keyTails = facts.keyTails = [...new Set(bindings.map((b) => b.key.split('.').pop()!.replace(/^\w+\[/, '')))];
  for (const call of mod.calls) {
    const callee = mod.calleeText.get(call.id) ?? '';
    const dot = callee.lastIndexOf('.');
    const m = dot > 0 && /^\w+$/.test(callee.slice(dot + 1)) ? callee.slice(dot + 1) : undefined;
    const recv = m && keyTails.some((k) => callee.slice(0, dot).includes(k)) ? receiver(call) : undefined;
    if (m && recv) {
      const b = bindingOf(mod, facts, recv);
      if (b) {
        b.methods.add(m === 'train' && positionalArgs(call)[0]?.text === 'False' ? 'eval' : m);
        if (m === 'requires_grad_' && positionalArgs(call)[0]?.text === 'False') b.methods.add('no_grad');
      }
    }
    const q = qualifiedCallee(mod, call) ?? '';
    if (SET_GRAD.has(q) && positionalArgs(call)[0]?.text === 'False' && call.parent?.type === 'expression_statement' &&
      (call.parent.parent?.type === 'module' || isSetupMethod(call))) facts.gradOffEverywhere = true;
    if (/^(torch\.|self\.|print$|len$|isinstance$|getattr$|setattr$|hasattr$|type$|id$|logger\.|logging\.)/.test(q)) continue;
    const argsText = call.text.slice(callee.length);
    if (!keyTails.some((k) => argsText.includes(k))) continue;
    for (const arg of positionalArgs(call)) {
      const b = bindingOf(mod, facts, arg);
      if (b) b.escapes = true;
    }
  }
  if (/requires_grad\s*=\s*False/.test(text)) facts.gradOffEverywhere = true;
  return facts;
}

/**
 * The SageMaker inference toolkit passes what `model_fn` returns as the second argument of
 * `predict_fn`/`transform_fn`: bind that parameter (or the names unpacked from it) to model_fn's bindings.
 */
function linkSageMakerModel(mod: PythonModule, byScope: Map<string, Binding>): void {
  const top = (name: string): Node | undefined => mod.functions.find((f) => f.parent?.type === 'module' && f.childForFieldName('name')?.text === name);
  const modelFn = top('model_fn');
  if (!modelFn) return;
  const ret = modelFn.descendantsOfType('return_statement').find((r) => !!r)?.namedChild(0);
  if (!ret) return;
  const returned = (ret.type === 'expression_list' || ret.type === 'tuple' ? ret.namedChildren : [ret])
    .map((n) => (n?.type === 'identifier' ? byScope.get(`${modelFn.id}:${n.text}`) : undefined));
  for (const name of ['predict_fn', 'transform_fn']) {
    const fn = top(name);
    const param = fn?.childForFieldName('parameters')?.namedChildren[1];
    const pname = param?.type === 'identifier' ? param.text : param?.namedChild(0)?.text;
    if (!fn || !pname) continue;
    if (returned.length === 1 && returned[0]) byScope.set(`${fn.id}:${pname}`, returned[0]);
    for (const stmt of fn.childForFieldName('body')?.namedChildren ?? []) {
      const a = stmt?.type === 'expression_statement' ? stmt.namedChild(0) : undefined;
      if (a?.type !== 'assignment' || a.childForFieldName('right')?.text !== pname) continue;
      const targets = a.childForFieldName('left')?.namedChildren ?? [];
      targets.forEach((t, i) => {
        if (t?.type === 'identifier' && returned[i]) byScope.set(`${fn.id}:${t.text}`, returned[i]!);
      });
    }
  }
}

function isSetupMethod(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'function_definition') return /^(__init__|setup|initialize|load_model|startup|lifespan)$/.test(p.childForFieldName('name')?.text ?? '');
  }
  return false;
}

/** The binding an expression refers to (`model`, `self.model`, `request.app.state.model`), looked up scope by scope. */
export function bindingOf(mod: PythonModule, facts: ModelFacts, expr: Node | null | undefined): Binding | undefined {
  const key = keyOf(expr);
  if (!key || !expr) return undefined;
  if (/^(self|cls)\./.test(key)) {
    const cls = enclosingClass(expr);
    return cls ? facts.byScope.get(`${cls.id}:${key}`) : undefined;
  }
  for (let f = ancestry(expr).fn; f; f = ancestry(f).fn) {
    const b = facts.byScope.get(`${f.id}:${key}`);
    if (b) return b;
  }
  return facts.byScope.get(`${expr.tree.rootNode.id}:${key}`);
}

const INFER_METHODS: Record<ModelKind, Set<string>> = {
  'torch': new Set(['forward', 'generate', 'predict', 'predict_step', 'transcribe', 'detect', 'encode_image', 'encode_text']),
  'hf-model': new Set(['forward', 'generate']),
  'tokenizer': new Set(),
  'pipeline': new Set(['predict']),
  'encoder': new Set(['encode', 'predict', 'rank']),
  'ort': new Set(['run', 'run_with_iobinding', 'run_with_ort_values']),
  'other': new Set(['predict', 'predict_proba', 'transcribe', 'generate', 'create_completion', 'create_chat_completion', 'encode', 'translate_batch',
    'generate_batch', 'invoke', 'embed_query', 'embed_documents', 'track']),
};

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
  if (!facts.bindings.length) return undefined;
  const callee = mod.calleeText.get(call.id);
  if (callee !== undefined && !facts.keyTails.some((k) => callee.includes(k))) return undefined;
  const fn = call.childForFieldName('function');
  const direct = bindingOf(mod, facts, fn);
  if (direct) return direct.kind === 'tokenizer' || direct.kind === 'ort' ? undefined : { binding: direct, method: '__call__' };
  const m = methodName(call);
  const b = m ? bindingOf(mod, facts, receiver(call)) : undefined;
  if (b && m && INFER_METHODS[b.kind].has(m)) return { binding: b, method: m };
  return undefined;
}

/** Bindings that some call in the module runs inference on. */
export function usedForInference(mod: PythonModule, facts: ModelFacts): Set<Binding> {
  const used = new Set<Binding>();
  for (const call of mod.calls) {
    const inf = inferenceCall(mod, facts, call);
    if (inf) used.add(inf.binding);
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
  const cls = facts.moduleClasses.get(b.loader);
  return !!cls && /\bself\.eval\(\)|\.train\(False\)/.test(cls.text);
}

/** Whether the binding's parameters were frozen or autograd is off for the whole file. */
export function gradNeverTracked(facts: ModelFacts, b: Binding): boolean {
  return facts.gradOffEverywhere || b.methods.has('no_grad');
}

/** Keyword argument present on the loader call (`torch_dtype=...`), or a `**kwargs` that may hold it. */
export function loaderHasKeyword(b: Binding, ...names: string[]): boolean {
  return hasKwargsSplat(b.call) || names.some((n) => keywordArg(b.call, n) !== undefined);
}
