/**
 * Which Python code runs once per request: route handlers of FastAPI/Starlette/Flask/Django/Litestar
 * (decorators and `add_api_route`/`add_url_rule` registrations), Ray Serve deployments, BentoML APIs,
 * TorchServe handlers, the Triton Python backend, Gradio callbacks and the Streamlit script body.
 * Computed once per module (memoised) and queried by node.
 */
import type { Node } from 'web-tree-sitter';
import { ancestry } from './ancestry';
import { MODULE_CODE, qualifiedName } from './callGraph';
import {
  cached, classBases, decoratorsOf, memoIn, dottedName, enclosingClass, functionName, importsPackage, positionalArgs, PythonModule, qualifiedCallee, qualify,
} from './semantics';

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'route', 'api_route', 'websocket', 'trace']);
const LITESTAR = /^litestar(\.handlers)?\.(get|post|put|delete|patch|head|route|websocket)$/;
const DJANGO_DECORATORS = /^(rest_framework\.decorators\.api_view|django\.views\.decorators\.(http\.require_\w+|csrf\.csrf_exempt))$/;
const TORCHSERVE_METHODS = new Set(['handle', 'preprocess', 'inference', 'postprocess']);
const SAGEMAKER_FNS = new Set(['input_fn', 'predict_fn', 'output_fn', 'transform_fn']);
const KSERVE_METHODS = new Set(['predict', 'preprocess', 'postprocess', 'explain']);
const VIEW_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'dispatch_request']);
export const NO_GRAD = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.autograd.no_grad', 'torch.autograd.grad_mode.no_grad',
  'torch.autograd.grad_mode.inference_mode']);
export const SET_GRAD = new Set(['torch.set_grad_enabled', 'torch.autograd.set_grad_enabled']);
const CACHED = /(^|\.)(lru_cache|cache|cached_property|cached|cache_resource|cache_data|experimental_singleton|singleton|memoize)$/;

/** Function node id → why it runs per request ("a route handler (@app.post)"). */
export function requestHandlers(mod: PythonModule): Map<number, string> {
  return cached(mod, 'handlers', () => computeHandlers(mod));
}

function decoratorCallee(dec: Node): Node | undefined {
  const e = dec.namedChild(0);
  return (e?.type === 'call' ? e.childForFieldName('function') : e) ?? undefined;
}

/** Qualified decorator names of a definition (memoised: every method of a class asks for the class's). */
export function decoratorNames(mod: PythonModule, def: Node): string[] {
  return memoIn(cached(mod, 'decorators', () => new Map<number, string[]>()), def, () =>
    decoratorsOf(def).map((d) => dottedName(decoratorCallee(d) ?? null)).filter((n): n is string => !!n).map((n) => qualify(mod, n)));
}

/** A function decorated with a cache (lru_cache, st.cache_resource, ...) runs its body once per key. */
export function isCachedFactory(mod: PythonModule, fn: Node): boolean {
  return decoratorNames(mod, fn).some((n) => CACHED.test(n));
}

function computeHandlers(mod: PythonModule): Map<number, string> {
  const out = new Map<number, string>();
  const usesViews = importsPackage(mod, 'django') || importsPackage(mod, 'rest_framework') || importsPackage(mod, 'flask');
  for (const fn of mod.functions) {
    const kind = decoratedKind(mod, fn, mod.context.bentoServices) ?? classMethodKind(mod, fn, usesViews);
    if (kind) out.set(fn.id, kind);
  }
  // Registrations anywhere in the file name the first function of that name.
  const { registrations, firstDefinition } = mod.context;
  if (!registrations.size) return out;
  const seen = new Set<string>();
  for (const fn of mod.functions) {
    const name = fn.childForFieldName('name')?.text;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const kind = registrations.get(name);
    // A cached provider (`@lru_cache def get_model()`) runs its body once, not per request.
    if (kind && firstDefinition.get(name) === mod.unit.index && !out.has(fn.id) && !isCachedFactory(mod, fn)) out.set(fn.id, kind);
  }
  return out;
}

function decoratedKind(mod: PythonModule, fn: Node, bentoServices: ReadonlySet<string>): string | undefined {
  for (const dec of decoratorsOf(fn)) {
    const callee = decoratorCallee(dec);
    const name = dottedName(callee ?? null);
    if (!callee || !name) continue;
    const q = qualify(mod, name);
    if (q === 'bentoml.api' || (callee.type === 'attribute' && name.endsWith('.api') && bentoServices.has(name.split('.')[0]))) {
      return `a BentoML API (@${name})`;
    }
    if (q === 'ray.serve.batch') return 'a Ray Serve batch handler (@serve.batch)';
    if (q === 'jina.requests') return 'a Jina executor endpoint (@requests)';
    if (LITESTAR.test(q)) return `a Litestar route handler (@${name})`;
    if (DJANGO_DECORATORS.test(q)) return `a Django view (@${name})`;
    if (callee.type === 'attribute') {
      const method = callee.childForFieldName('attribute')?.text;
      const obj = callee.childForFieldName('object')?.text ?? '';
      if (method && ROUTE_METHODS.has(method) && !/^(pytest|mock|unittest|functools|typing|click)\b/.test(obj)) {
        return `a route handler (@${name})`;
      }
    }
  }
  return undefined;
}

/** Ray Serve calls these itself (health checks, user_config updates), not per request. */
const RAY_LIFECYCLE = new Set(['check_health', 'reconfigure']);
/** Set-up methods of a deployment (KServe's `load`, warm-ups): the replica runs them before it serves. */
const RAY_SETUP = /^(load|load_model|setup|initialize|warmup|warm_up)$/;

/** `self.load()` in the class's `__init__`: a method the constructor runs is start-up code. */
function calledFromInit(cls: Node, name: string): boolean {
  const init = cls.childForFieldName('body')?.namedChildren.find((d) => d?.type === 'function_definition' && d.childForFieldName('name')?.text === '__init__');
  return !!init && new RegExp(`\\bself\\.${name}\\(`).test(init.text);
}

function classMethodKind(mod: PythonModule, fn: Node, usesViews: boolean): string | undefined {
  const cls = fn.parent?.type === 'block' ? fn.parent.parent : fn.parent?.parent?.type === 'block' ? fn.parent.parent.parent : undefined;
  const name = fn.childForFieldName('name')?.text ?? '';
  if (!cls || cls.type !== 'class_definition') {
    // A TorchServe custom handler module: `def handle(data, context)` at module level.
    const params = fn.childForFieldName('parameters')?.namedChildren.map((p) => p?.text) ?? [];
    if (name === 'handle' && params.length === 2 && params[1] === 'context' && !enclosingClass(fn)) return 'a TorchServe handler function';
    // SageMaker inference toolkit: input_fn/predict_fn/output_fn/transform_fn run per invocation (model_fn once).
    if (SAGEMAKER_FNS.has(name) && params.length >= 2 && !enclosingClass(fn)) return `a SageMaker inference handler (\`${name}\`)`;
    if (enclosingClass(fn) || ancestry(fn).fn) return undefined; // module-level functions only
    // An AzureML entry script: `init()` once per container, `run(data)` per scoring request.
    if (name === 'run' && params.length === 1 && mod.context.firstDefinition.has('init')) return 'an AzureML scoring function (`run`, after `init`)';
    // A Django function-based view takes the request first (urls.py may route to it from another file).
    if (params[0] === 'request' && importsPackage(mod, 'django')) return `a Django view (\`${name}(request, ...)\`)`;
    return undefined;
  }
  const className = cls.childForFieldName('name')?.text ?? '';
  const bases = classBases(mod, cls);
  if (decoratorNames(mod, cls).some((d) => d === 'ray.serve.deployment' || d === 'ray.serve.ingress')) {
    if (name === '__call__') return "a Ray Serve deployment's `__call__`";
    // Other deployments call any public method through a handle (`handle.method.remote(...)`), per request.
    if (!name.startsWith('_') && !RAY_LIFECYCLE.has(name) && !RAY_SETUP.test(name) && !calledFromInit(cls, name)) return `a Ray Serve deployment method (\`${name}\`, called through a handle)`;
  }
  if (TORCHSERVE_METHODS.has(name) && bases.some((b) => /(^ts\.torch_handler\.|BaseHandler$|^ts\.)/.test(b))) {
    return `a TorchServe handler's \`${name}\``;
  }
  if (name === 'execute' && className === 'TritonPythonModel') return "the Triton Python backend's `execute`";
  if (name === 'predict' && bases.some((b) => /^cog\.(BasePredictor|predictor\.BasePredictor)$/.test(b))) return "a Cog predictor's `predict`";
  if (KSERVE_METHODS.has(name) && bases.some((b) => /^kserve\.(Model|model\.Model)$/.test(b))) return `a KServe model's \`${name}\``;
  // Seldon MLServer runtimes: `predict`/`predict_stream` per inference request (`load` once).
  if ((name === 'predict' || name === 'predict_stream') && bases.some((b) => /^mlserver(\.model)?\.MLModel$/.test(b))) return `an MLServer runtime's \`${name}\``;
  if (name === 'predict' && bases.some((b) => /^mlflow\.pyfunc\.(PythonModel|model\.PythonModel)$/.test(b))) return "an MLflow pyfunc model's `predict`";
  if (usesViews && VIEW_METHODS.has(name) && bases.some((b) => /(^|\.)(\w*View|APIView|ViewSet|MethodView)$/.test(b))) {
    return `a class-based view method (\`${name}\`)`;
  }
  return undefined;
}

export interface RequestContext {
  /** why the code runs per request */
  kind: string;
  /** the handler function, or the helper a handler reaches; absent for a Streamlit script body */
  fn?: Node;
  /** reached through calls: the qualified names from the handler to `fn` */
  chain?: string[];
  /** reached through direct calls from an async handler: it runs on the event loop */
  onLoop?: boolean;
}

/**
 * Whether `node` runs once per request: inside a handler (or a function nested in one), inside a
 * function a handler calls (transitively, see callGraph.ts), or in a Streamlit script body.
 */
export function requestContext(mod: PythonModule, node: Node): RequestContext | undefined {
  const handlers = requestHandlers(mod);
  const a = ancestry(node);
  for (let scope = a.scope; scope; scope = ancestry(scope).scope) {
    const kind = handlers.get(scope.id);
    if (kind) return { kind, fn: scope };
  }
  const paths = mod.context.requestPaths;
  if (paths.size) {
    for (let fn = a.fn; fn; fn = ancestry(fn).fn) {
      const p = paths.get(qualifiedName(fn));
      if (p) return { kind: reachedKind(p.chain, p.rootKind), fn, chain: p.chain, onLoop: p.onLoop };
    }
  }
  if (!a.scope && !a.cls && importsPackage(mod, 'streamlit')) return { kind: 'the Streamlit script body, which reruns on every interaction' };
  return undefined;
}

/** Endpoints whose purpose is to (re)load or swap the served model: `POST /switch_model`, `def reload_model()`. */
const MODEL_SWITCH = /^(switch|swap|change|set|select|reload|load|unload|update)_?(the_)?(model|checkpoint|weights|voice|speaker|engine)s?$/i;

/** Whether the request is an endpoint that switches models on purpose (its root handler's name says so): loads there are the point. */
export function switchesModel(req: RequestContext | undefined): boolean {
  const root = req?.chain ? req.chain[0] : req?.fn ? functionName(req.fn) : undefined;
  return !!root && MODEL_SWITCH.test(root.slice(root.lastIndexOf('.') + 1));
}

/** Where per-request work runs, for a message: "in `f` (which runs per request: ...), on every request" or "inside a loop, once per item". */
export function whereItRuns(req: RequestContext | undefined): string {
  if (!req) return 'inside a loop, once per item';
  return req.fn ? `in \`${functionName(req.fn)}\`${req.chain ? ` (${req.kind})` : ''}, on every request` : `in ${req.kind}`;
}

/** "which runs per request: `detect` → `run_model` (`detect` is a route handler (@app.post))". */
function reachedKind(chain: readonly string[], rootKind: string): string {
  const shown = chain.map((n) => (n === MODULE_CODE ? 'the script body' : `\`${n}\``));
  return `which runs per request: ${shown.join(' → ')} (${shown[0]} is ${rootKind})`;
}

/** Whether the file is serving code: it has a request handler, handlers of other files reach its functions, or it imports a serving framework. */
export function isServingModule(mod: PythonModule): boolean {
  if (mod.context.hasHandlers || mod.context.external.entries.length) return true;
  return ['fastapi', 'flask', 'starlette', 'django', 'litestar', 'ray.serve', 'bentoml', 'gradio', 'streamlit', 'ts', 'triton_python_backend_utils',
    'sanic', 'aiohttp', 'grpc', 'kserve', 'quart', 'falcon', 'tornado', 'mlserver']
    .some((p) => importsPackage(mod, p));
}

/** Whether `node` runs under `with torch.no_grad()/inference_mode()/set_grad_enabled(False)` or in a function decorated with one. */
export function inNoGradScope(mod: PythonModule, node: Node): boolean {
  const a = ancestry(node);
  for (let w = a.withStmt; w; w = ancestry(w).withStmt) {
    for (const item of w.descendantsOfType('with_item')) {
      const value = item?.childForFieldName('value');
      const call = value?.type === 'as_pattern' ? value.namedChild(0) : value;
      if (call?.type !== 'call') continue;
      const q = qualifiedCallee(mod, call) ?? '';
      if (NO_GRAD.has(q) || (SET_GRAD.has(q) && positionalArgs(call)[0]?.text === 'False')) return true;
    }
  }
  for (let f = a.fn; f; f = ancestry(f).fn) if (decoratorNames(mod, f).some((d) => NO_GRAD.has(d))) return true;
  return false;
}
