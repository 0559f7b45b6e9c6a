import type { Node } from 'web-tree-sitter';
import type { Finding, Fix, PythonContext, PythonRule } from '../types';
import {
  enclosingFunction, enclosingLoop, enclosingStatement, functionLocals, functionName, PythonModule,
  qualifiedCallee, topLevelStatement, assignedNames, positionalArgs,
} from '../../code/python/semantics';
import { isCachedFactory, requestContext, switchesModel } from '../../code/python/serving';
import { loadedBy } from '../../code/python/bindings';
import { LAZY_GUARD, switchGuard } from '../../code/python/callGraph';
import { dedentedStatement, insertionAt, lineRange, nodeRange } from '../helpers';

const NO_CLASSES = new Map<string, { weightless?: boolean }>();

/** What a call loads (a model, tokenizer, session, pipeline), by qualified callee; undefined when nothing. */
/** `torch.load(io.BytesIO(body))`, or `buf = io.BytesIO(body)` then `torch.load(buf)`: a tensor from the request. */
function readsRequestBytes(call: Node): boolean {
  const arg = positionalArgs(call)[0];
  if (!arg) return false;
  if (BYTES_IO.test(arg.text)) return true;
  const fn = arg.type === 'identifier' ? enclosingFunction(call) : undefined;
  return !!fn && new RegExp(`\\b${arg.text}\\s*=\\s*(io\\.)?BytesIO\\(`).test(fn.text);
}

const BYTES_IO = /^(io\.)?BytesIO\(/;

export function loaderName(mod: PythonModule, call: Node): string | undefined {
  const q = qualifiedCallee(mod, call);
  // `torch.load(io.BytesIO(body))` deserialises a request's tensor, not a model.
  if (q === 'torch.load' && readsRequestBytes(call)) return undefined;
  return q && loadedBy(mod, call, q, NO_CLASSES) ? q : undefined;
}

/** Lazy initialisation (`if MODEL is None: MODEL = load()`) or a cached factory loads once: not per request. */
function loadsOnce(mod: PythonModule, call: Node, fn: Node | undefined): boolean {
  for (let f = fn; f; f = enclosingFunction(f)) if (isCachedFactory(mod, f)) return true;
  for (let p = call.parent; p && p !== fn; p = p.parent) {
    if (p.type === 'if_statement') {
      const cond = p.childForFieldName('condition')?.text ?? '';
      if (LAZY_GUARD.test(cond) || (fn && switchGuard(cond, fn.text))) return true;
    }
  }
  return false;
}

/**
 * `{name: load(f"{name}.onnx") for name in HEADS}`, or one replica per device: each iteration loads another
 * model, which is the point (at start-up).
 */
function loadsDifferentModelPerItem(call: Node, loop: Node): boolean {
  const clause = loop.type === 'for_statement' ? loop : loop.namedChildren.find((c) => c?.type === 'for_in_clause');
  const targets = clause?.childForFieldName('left');
  if (!targets) return false;
  const perItem = new Set(targets.type === 'identifier' ? [targets.text] : targets.descendantsOfType('identifier').map((n) => n?.text ?? ''));
  // Names the loop body derives from the item (`path = os.path.join(root, name)`).
  const body = loop.type === 'for_statement' ? loop.childForFieldName('body') : null;
  for (const stmt of body?.descendantsOfType('expression_statement') ?? []) {
    const right = stmt?.namedChild(0)?.childForFieldName('right');
    if (stmt && right?.descendantsOfType('identifier').some((n) => !!n && perItem.has(n.text))) for (const n of assignedNames(stmt)) perItem.add(n);
  }
  const args = call.childForFieldName('arguments');
  if (args?.descendantsOfType('identifier').some((n) => !!n && perItem.has(n.text))) return true;
  // One replica per device (`for device in devices: m = load(...); m.to(device)`): each copy is another model.
  const text = body?.text ?? '';
  return [...perItem].some((n) => /^\w+$/.test(n) && new RegExp(`\\.(to|cuda)\\(\\s*${n}\\b`).test(text));
}

/**
 * `model = RRDBNet(...)` then `RealESRGANer(model_path=p, model=model)`: the architecture is handed to a
 * loader that reads the weights into it; that later load is the one finding, not both.
 */
const WEIGHTS_ARG = /path|\.(pth?|onnx|bin|safetensors|ckpt)\b|pretrained|weights|checkpoint|ckpt/i;

function handedToLoader(mod: PythonModule, call: Node, fn: Node, loader: string): boolean {
  const assign = call.parent?.type === 'assignment' && call.parent.childForFieldName('right')?.id === call.id ? call.parent : undefined;
  const name = assign?.childForFieldName('left');
  // Only an architecture constructor (`RRDBNet(...)`): a call that reads weights itself (`from_pretrained`,
  // `RealESRGANer(model_path=p, ...)`) is a load, whoever it is handed to next.
  if (name?.type !== 'identifier' || !/^[A-Z]/.test(loader.slice(loader.lastIndexOf('.') + 1)) || WEIGHTS_ARG.test(call.childForFieldName('arguments')?.text ?? '')) return false;
  return mod.calls.some((c) => c.startIndex > call.endIndex && c.endIndex <= fn.endIndex && c.id !== call.id &&
    (c.childForFieldName('arguments')?.namedChildren ?? []).some((a) => (a?.type === 'keyword_argument' ? a.childForFieldName('value') : a)?.text === name.text) &&
    !!loaderName(mod, c));
}

function check(ctx: PythonContext): Finding[] {
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const loader = loaderName(ctx.module, call);
    if (!loader) continue;
    // A cached factory of another file (`@st.cache_resource def load_model()`) loads once per key.
    if (ctx.module.context.external.cached?.includes(ctx.module.calleeText.get(call.id) ?? '')) continue;
    const fn = enclosingFunction(call);
    const loop = enclosingLoop(call);
    const request = requestContext(ctx.module, call);
    if (!loop && !request) continue;
    if (loadsOnce(ctx.module, call, fn)) continue;
    // `POST /switch_model`: loading is what the endpoint is for (an admin action, not a per-query cost).
    if (switchesModel(request)) continue;
    if (!request && loop && loadsDifferentModelPerItem(call, loop)) continue;
    if (fn && handedToLoader(ctx.module, call, fn, loader)) continue;
    const short = loader.split('.').slice(-2).join('.');
    const where = loop
      ? `inside a loop${fn ? ` in \`${functionName(fn)}\`` : ''}, so it loads once per item`
      : request!.fn ? `in \`${functionName(request!.fn)}\`, ${request!.kind}, so it loads on every request`
        : `in ${request!.kind}, so it loads every time`;
    findings.push({
      rule: PY001.id,
      message: `\`${short}(...)\` runs ${where}: load it once at start-up and reuse it.`,
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: moveToModuleScope(ctx, call, fn),
    });
  }
  return findings;
}

/**
 * `name = loader(args)` whose arguments do not depend on the function's locals moves verbatim to
 * module scope, just above the top-level statement that holds it; the function then reads the
 * global. Anything else (a load that uses request data, a name the function rebinds) gets no fix:
 * a wrong automatic move is worse than none.
 */
function moveToModuleScope(ctx: PythonContext, call: Node, fn: Node | undefined): Fix[] {
  const stmt = enclosingStatement(call);
  if (!stmt || stmt.type !== 'expression_statement') return [];
  const assign = stmt.namedChild(0);
  if (assign?.type !== 'assignment' || assign.childForFieldName('left')?.type !== 'identifier') return [];
  const right = assign.childForFieldName('right');
  if (!right || !right.descendantsOfType('call').some((c) => c?.id === call.id)) return [];
  const name = assign.childForFieldName('left')!.text;
  if (ctx.module.moduleNames.has(name)) return [];

  const scope = fn ?? null;
  if (scope) {
    const locals = functionLocals(scope);
    const used = right.descendantsOfType('identifier').filter((id) => id && !isAttributeName(id) && !isKeywordName(id));
    if (used.some((id) => id && locals.has(id.text))) return [];
    // The name must be bound only here, or the function would keep a local of that name.
    let bindings = 0;
    for (const s of scope.descendantsOfType('expression_statement')) if (s && assignedNames(s).includes(name)) bindings++;
    if (bindings !== 1) return [];
  } else {
    return []; // a module-level loop: the load already is module code; hoisting it out of the loop needs judgement
  }

  const top = topLevelStatement(stmt);
  const block = stmt.parent!;
  const onlyStatement = block.namedChildren.filter((c) => c && c.type !== 'comment').length === 1;
  const indent = ' '.repeat(stmt.startPosition.column);
  const moved = dedentedStatement(ctx.text, stmt);
  return [{
    title: `Load \`${name}\` once at module scope`,
    edits: [
      { range: insertionAt(top.startPosition.row), newText: `${moved}\n\n\n` },
      { range: lineRange(stmt.startPosition.row, stmt.endPosition.row), newText: onlyStatement ? `${indent}pass\n` : '' },
    ],
  }];
}

function isAttributeName(id: Node): boolean {
  return id.parent?.type === 'attribute' && id.parent.childForFieldName('attribute')?.id === id.id;
}

function isKeywordName(id: Node): boolean {
  return id.parent?.type === 'keyword_argument' && id.parent.childForFieldName('name')?.id === id.id;
}

export const PY001: PythonRule = {
  id: 'PY001',
  name: 'model-load-on-request-path',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A model, tokenizer, ONNX Runtime session or pipeline is loaded per request or per item.',
    whatItDoes:
      'Flags calls that load a model, tokenizer, ONNX Runtime `InferenceSession`, transformers `pipeline` ' +
      '(and `from_pretrained`, `torch.load`, `torch.hub.load`, torchvision/timm constructors, `SentenceTransformer`, ' +
      'whisper, ultralytics, vLLM, llama.cpp, spaCy, Keras, joblib, OpenCV DNN, classes of other packages given weights ' +
      'to read such as `Reranker(model_name_or_path=...)`, ...) inside a request handler or a loop body. Request ' +
      'handlers: FastAPI/Starlette/Flask/Django/Litestar routes (decorators, `add_api_route`, `add_url_rule`, `urls.path`, ' +
      'Django function views taking `request` first), AzureML `run` (beside `init`), ' +
      'Ray Serve `__call__`, BentoML APIs, TorchServe `handle`/`preprocess`/`inference`/`postprocess`, Triton `execute`, ' +
      'KServe and MLflow `predict`, SageMaker `predict_fn`, Cog `predict`, Jina `@requests`, Gradio callbacks and the ' +
      'Streamlit script body, and everything they call: helpers of the file or of other modules of the workspace, `self.` ' +
      'methods, methods of module-level objects (the message names the chain). A load inside a helper is reported in the ' +
      'helper. `torch.load(io.BytesIO(...))` of a request body (directly or through a name) is not a model load; an ' +
      'architecture built without weights and handed to a loader that reads them (`RealESRGANer(model=arch, model_path=p)`) ' +
      'is reported once, at that loader. Lazy ' +
      'initialisation (`if MODEL is None:`), one-entry caches that reload only when the requested model changes ' +
      '(`if name != CACHE["name"]:`), endpoints whose purpose is to swap the model (`POST /switch_model`), cached factories (`lru_cache`, `st.cache_resource`, also imported from another file) and loops outside a ' +
      'request that load a different model per item (`{h: load(f"{h}.onnx") for h in HEADS}` at start-up) are not flagged.',
    whyItCosts:
      'Loading reads and deserialises every weight, allocates the model, and for ONNX Runtime builds and ' +
      'optimises the graph: typically hundreds of milliseconds to seconds, often 10-1000x the inference ' +
      'itself. Done per request it dominates latency and cost and multiplies peak memory under concurrency; ' +
      'done per item it turns a batch job into a reload loop.',
    example: [
      'from fastapi import FastAPI',
      'from transformers import AutoModel',
      '',
      'app = FastAPI()',
      '',
      '@app.post("/embed")',
      'def embed(text: str):',
      '    model = AutoModel.from_pretrained("bert-base-uncased")',
      '    return model(**tokenize(text))',
    ].join('\n'),
    useInstead: [
      'from fastapi import FastAPI',
      'from transformers import AutoModel',
      '',
      'app = FastAPI()',
      'model = AutoModel.from_pretrained("bert-base-uncased")',
      '',
      '@app.post("/embed")',
      'def embed(text: str):',
      '    return model(**tokenize(text))',
      '',
      '# Or load in the FastAPI lifespan (start-up hook), keeping import cheap for tests and workers:',
      '@asynccontextmanager',
      'async def lifespan(app: FastAPI):',
      '    app.state.model = AutoModel.from_pretrained("bert-base-uncased")',
      '    yield',
      '',
      'app = FastAPI(lifespan=lifespan)   # handlers read request.app.state.model',
      '',
      '# Or cache a factory: @functools.lru_cache(maxsize=1) (st.cache_resource in Streamlit).',
    ].join('\n'),
  },
  check,
};
