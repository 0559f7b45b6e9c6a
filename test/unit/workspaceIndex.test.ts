/**
 * The request path as a call graph (pure), module resolution, and the workspace index: facts one file
 * gets from the others, computed from real summaries of parsed files.
 */
import * as assert from 'assert';
import { requestPaths, gradOffFunctions, CallEdge, FunctionDef } from '../../server/src/code/python/callGraph';
import { ModuleMap } from '../../server/src/code/workspace/modules';
import { WorkspaceIndex } from '../../server/src/code/workspace/index';
import { analyzeCodeFiles, summarizePython } from '../../server/src/engine';
import { initParsers } from '../../server/src/code/treeSitter';
import { mergeConfig } from '../../server/src/config';

const def = (name: string, extra: Partial<FunctionDef> = {}): [string, FunctionDef] => [name, { name, async: false, cached: false, generator: false, ...extra }];
const edge = (from: string, to: string, extra: Partial<CallEdge> = {}): CallEdge => ({ from, to, deferred: false, awaited: false, iterated: false, noGrad: false, ...extra });

describe('request paths (call graph)', () => {
  const defs = new Map([def('route', { async: true }), def('helper'), def('deep'), def('Worker.run'), def('cached', { cached: true }), def('threaded'), def('gen', { generator: true })]);
  const g = {
    defs, instances: new Map([['worker', 'Worker']]), classes: new Set(['Worker']), handlers: new Map([['route', 'a route handler (@app.post)']]), eventLoop: true,
    edges: [edge('route', 'helper'), edge('helper', 'deep'), edge('route', '@worker.run'), edge('route', 'cached'), edge('route', 'threaded', { deferred: true }), edge('route', 'gen')],
  };

  it('reaches methods of objects an attribute holds (`self.enc = Encoder()`)', () => {
    const p = requestPaths({
      defs: new Map([def('Svc.handle'), def('Svc.__init__'), def('Encoder.embed')]), instances: new Map([['Svc.enc', 'Encoder']]), classes: new Set(['Svc', 'Encoder']),
      handlers: new Map([['Svc.handle', 'a handler']]), edges: [edge('Svc.handle', '@Svc.enc.embed')],
    });
    assert.deepStrictEqual(p.get('Encoder.embed')?.chain, ['Svc.handle', 'Encoder.embed']);
  });

  it('reaches helpers, methods of module-level objects and handed-over functions, with the shortest chain', () => {
    const p = requestPaths(g);
    assert.deepStrictEqual(p.get('deep')?.chain, ['route', 'helper', 'deep']);
    assert.deepStrictEqual(p.get('Worker.run')?.chain, ['route', 'Worker.run']);
    assert.ok(p.has('threaded'));
    assert.ok(!p.has('cached'), 'a cached factory runs once per key');
    assert.ok(!p.has('route'), 'handlers have their own context');
  });

  it('knows what runs on an async handler\'s event loop', () => {
    const p = requestPaths(g);
    assert.strictEqual(p.get('deep')?.onLoop, true);
    assert.strictEqual(p.get('threaded')?.onLoop, false, 'handed to a thread');
    assert.strictEqual(p.get('gen')?.onLoop, false, 'a generator that is not iterated here runs elsewhere');
    assert.strictEqual(requestPaths({ ...g, eventLoop: false }).get('deep')?.onLoop, false, 'Flask-style frameworks give async views a thread');
  });

  it('a helper is without autograd when every caller runs it under no_grad', () => {
    const off = gradOffFunctions({ defs, instances: new Map(), classes: new Set(), edges: [edge('route', 'helper', { noGrad: true }), edge('helper', 'deep'), edge('route', 'threaded', { noGrad: true }), edge('other', 'threaded')] });
    assert.deepStrictEqual([...off].sort(), ['deep', 'helper']);
  });
});

describe('module resolution', () => {
  const m = new ModuleMap();
  for (const f of ['/ws/app/main.py', '/ws/app/models/__init__.py', '/ws/app/models/net.py', '/ws/other/net.py', '/ws/utils.py']) m.add(f);

  it('resolves absolute, package and relative imports', () => {
    assert.strictEqual(m.resolveModule('/ws/app/main.py', 'app.models.net'), '/ws/app/models/net.py');
    assert.strictEqual(m.resolveModule('/ws/app/main.py', 'models'), '/ws/app/models/__init__.py');
    assert.strictEqual(m.resolveModule('/ws/app/models/net.py', '..main'), '/ws/app/main.py');
    assert.strictEqual(m.resolveModule('/ws/app/main.py', '.models.net'), '/ws/app/models/net.py');
    assert.strictEqual(m.resolveModule('/ws/app/main.py', 'torch'), undefined);
  });

  it('prefers the candidate closest to the importing file', () => {
    assert.strictEqual(m.resolveModule('/ws/other/serve.py', 'net'), '/ws/other/net.py');
    assert.strictEqual(m.resolveModule('/ws/app/models/x.py', 'net'), '/ws/app/models/net.py');
    assert.deepStrictEqual(m.resolveQualified('/ws/app/main.py', 'app.models.net.Net'), { file: '/ws/app/models/net.py', rest: 'Net' });
  });
});

describe('workspace index', () => {
  before(initParsers);

  const NET = 'import torch.nn as nn\n\nclass Base(nn.Module):\n    pass\n\nclass Net(Base):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        self.drop = nn.Dropout(0.1)\n';
  const LOADER = 'import torch\nfrom transformers import AutoModel\n\nencoder = AutoModel.from_pretrained("x")\n\ndef load_model():\n    m = torch.jit.load("m.pt")\n    return m\n\ndef run(x):\n    return encoder(x)\n';
  const APP = 'from fastapi import FastAPI\nfrom nets import Net\nfrom loader import encoder, load_model, run\n\napp = FastAPI()\n\n@app.post("/")\ndef route(x: list):\n    return run(x)\n';

  it('tells a file the torch classes (through bases in other files), models, factories and entries it imports', () => {
    const ix = new WorkspaceIndex();
    ix.set('/ws/nets.py', summarizePython(NET));
    ix.set('/ws/loader.py', summarizePython(LOADER));
    ix.set('/ws/app.py', summarizePython(APP));
    const app = ix.externalFor('/ws/app.py');
    assert.deepStrictEqual(app.classes.map(([q]) => q), ['nets.Net']);
    assert.deepStrictEqual(app.bindings.map((b) => [b.key, b.kind]), [['encoder', 'hf-model']]);
    assert.deepStrictEqual(app.factories.map(([n]) => n), ['load_model']);
    assert.deepStrictEqual(ix.externalFor('/ws/loader.py').entries.map(([n, p]) => [n, p.chain]), [['run', ['route', 'loader.run']]]);
  });

  it('follows methods of objects held in attributes and objects of classes imported from other files', () => {
    const WORKER = 'import torch\nfrom transformers import AutoModel\n\nclass Worker:\n    def __init__(self):\n        self.model = AutoModel.from_pretrained("x")\n\n    def embed(self, x):\n        torch.cuda.empty_cache()\n        return self.model(x)\n';
    const SERVE = 'from fastapi import FastAPI\nfrom worker import Worker\n\napp = FastAPI()\nworker = Worker()\n\nclass Holder:\n    def __init__(self):\n        self.w = Worker()\n\n    def run(self, x):\n        return self.w.embed(x)\n\nholder = Holder()\n\n@app.post("/a")\ndef a(x: list):\n    return worker.embed(x)\n\n@app.post("/b")\ndef b(x: list):\n    return holder.run(x)\n';
    const found = analyzeCodeFiles([
      { file: '/ws/worker.py', text: WORKER, lang: 'python' as const },
      { file: '/ws/serve.py', text: SERVE, lang: 'python' as const },
    ], () => mergeConfig());
    const flush = found.get('/ws/worker.py')!.find((f) => f.rule === 'PY012');
    assert.ok(flush, JSON.stringify(found.get('/ws/worker.py')!.map((f) => f.rule)));
    assert.match(flush.message, /`a` → `worker\.Worker\.embed`|`Holder\.run` → `worker\.Worker\.embed`/);
  });

  it('changes nothing when a summary comes back the same, and forgets deleted files', () => {
    const ix = new WorkspaceIndex();
    assert.strictEqual(ix.set('/ws/loader.py', summarizePython(LOADER)), true);
    assert.strictEqual(ix.set('/ws/loader.py', summarizePython(LOADER)), false);
    ix.set('/ws/app.py', summarizePython(APP));
    assert.strictEqual(ix.externalFor('/ws/loader.py').entries.length, 1);
    assert.strictEqual(ix.delete('/ws/app.py'), true);
    assert.strictEqual(ix.externalFor('/ws/loader.py').entries.length, 0);
  });

  it('an edit that only moves calls patches the request graph: same answers as an index built afresh, after every step', () => {
    // The same functions in every variant (shape unchanged): only who calls whom, and which function is a route, moves.
    const helpers = (body: string): string => `def embed(x):\n    ${body}\n\ndef prep(x):\n    return x\n`;
    const app = (route: string, call: string): string => `from fastapi import FastAPI\nfrom helpers import embed, prep\n\napp = FastAPI()\n\n${route}\ndef route(x: list):\n    return ${call}(x)\n`;
    const steps: [string, string][] = [
      ['/ws/app.py', app('@app.post("/")', 'embed')],
      ['/ws/helpers.py', helpers('return prep(x)')],
      ['/ws/app.py', app('@app.post("/")', 'prep')],
      ['/ws/app.py', app('', 'embed')],
      ['/ws/helpers.py', helpers('return x')],
      ['/ws/app.py', app('@app.get("/")', 'embed')],
      ['/ws/helpers.py', helpers('return prep(x)')],
    ];
    const current = new Map([['/ws/app.py', app('@app.post("/")', 'embed')], ['/ws/helpers.py', helpers('return x')]]);
    const live = new WorkspaceIndex();
    for (const [f, t] of current) live.set(f, summarizePython(t));
    const seen = new Set<string>();
    for (const [file, text] of steps) {
      current.set(file, text);
      live.set(file, summarizePython(text));
      const fresh = new WorkspaceIndex();
      for (const [f, t] of current) fresh.set(f, summarizePython(t));
      for (const f of current.keys()) assert.deepStrictEqual(live.externalFor(f), fresh.externalFor(f), `${f} after editing ${file}`);
      seen.add(live.externalFor('/ws/helpers.py').entries.map(([n, p]) => `${n}:${p.chain.join('>')}`).join(','));
    }
    // The steps really moved the request path (embed alone, embed and prep, prep alone, nothing).
    assert.ok(seen.size >= 3, [...seen].join(' | '));
  });

  it('reads a model through a module imported whole (`import svc.state as st` then `st.session.run(...)`)', () => {
    const found = analyzeCodeFiles([
      { file: '/ws/svc/state.py', text: 'import onnxruntime as ort\n\nsession = ort.InferenceSession("m.onnx", providers=["CPUExecutionProvider"])\n', lang: 'python' as const },
      { file: '/ws/svc/logic.py', text: 'import numpy as np\nimport svc.state as st\n\n\ndef score(x):\n    return st.session.run(None, {"x": np.asarray(x)})\n', lang: 'python' as const },
      { file: '/ws/svc/routes.py', text: 'from fastapi import FastAPI\nfrom svc.logic import score\n\napp = FastAPI()\n\n\n@app.post("/")\nasync def route(x: list):\n    return score(x)\n', lang: 'python' as const },
    ], () => mergeConfig());
    assert.deepStrictEqual(found.get('/ws/svc/logic.py')!.map((f) => `${f.rule}@${f.range.start.line}`), ['PY008@5']);
  });

  it('a FastAPI dependency imported from another file runs per request: the service it constructs loads per request', () => {
    const files = (provider: string) => [
      { file: '/ws/svc/engine.py', text: 'import onnxruntime as ort\n\n\nclass Engine:\n    def __init__(self):\n        self.prepare()\n\n    def prepare(self):\n        self.session = ort.InferenceSession("m.onnx", providers=["CPUExecutionProvider"])\n', lang: 'python' as const },
      { file: '/ws/svc/deps.py', text: provider, lang: 'python' as const },
      { file: '/ws/svc/routes.py', text: 'from fastapi import APIRouter, Depends\nfrom svc.deps import get_engine\n\nrouter = APIRouter()\n\n\n@router.post("/run")\ndef run(x: list, engine=Depends(get_engine)):\n    return engine.session.run(None, {"x": x})\n', lang: 'python' as const },
    ];
    const perRequest = analyzeCodeFiles(files('from svc.engine import Engine\n\n\ndef get_engine():\n    return Engine()\n'), () => mergeConfig());
    assert.deepStrictEqual(perRequest.get('/ws/svc/engine.py')!.map((f) => `${f.rule}@${f.range.start.line}`), ['PY001@8']);
    // The same provider behind lru_cache builds the engine once.
    const cached = analyzeCodeFiles(files('from functools import lru_cache\n\nfrom svc.engine import Engine\n\n\n@lru_cache\ndef get_engine():\n    return Engine()\n'), () => mergeConfig());
    assert.deepStrictEqual(cached.get('/ws/svc/engine.py')!.filter((f) => f.rule === 'PY001'), []);
  });

  it('a module only other files\' handlers reach is serving code (PY007), and a cached factory of another file loads once', () => {
    const found = analyzeCodeFiles([
      { file: '/ws/predictor.py', text: 'import onnxruntime as ort\n\n\nclass Predictor:\n    def __init__(self, path):\n        self.session = ort.InferenceSession(path)\n\n    def predict(self, x):\n        return self.session.run(None, {"x": x})\n', lang: 'python' as const },
      { file: '/ws/app.py', text: 'from fastapi import FastAPI\nfrom predictor import Predictor\n\napp = FastAPI()\npredictor = Predictor("m.onnx")\n\n\n@app.post("/")\ndef route(x: list):\n    return predictor.predict(x)\n', lang: 'python' as const },
      { file: '/ws/loaders.py', text: 'import streamlit as st\nimport torch\n\n\n@st.cache_resource\ndef load_model():\n    return torch.jit.load("m.pt").eval()\n', lang: 'python' as const },
      { file: '/ws/page.py', text: 'import streamlit as st\nimport torch\nfrom loaders import load_model\n\nmodel = load_model()\nx = st.number_input("x")\nwith torch.inference_mode():\n    st.write(model(torch.tensor([x])))\n', lang: 'python' as const },
    ], () => mergeConfig());
    assert.deepStrictEqual(found.get('/ws/predictor.py')!.map((f) => `${f.rule}@${f.range.start.line}`), ['PY007@5']);
    assert.deepStrictEqual(found.get('/ws/page.py')!.filter((f) => f.rule === 'PY001'), []);
    // The same factory without its cache loads on every rerun of the script.
    const uncached = analyzeCodeFiles([
      { file: '/ws/loaders.py', text: 'import torch\n\n\ndef load_model():\n    return torch.jit.load("m.pt").eval()\n', lang: 'python' as const },
      { file: '/ws/page.py', text: 'import streamlit as st\nimport torch\nfrom loaders import load_model\n\nmodel = load_model()\n', lang: 'python' as const },
    ], () => mergeConfig());
    assert.ok(uncached.get('/ws/page.py')!.some((f) => f.rule === 'PY001'), JSON.stringify(uncached.get('/ws/page.py')));
  });

  it('analyses files as one workspace: a class from another file is a model, a helper another file routes to is on the request path', () => {
    const files = [
      { file: '/ws/nets.py', text: NET, lang: 'python' as const },
      { file: '/ws/loader.py', text: 'from transformers import AutoModel\n\ndef run(x):\n    m = AutoModel.from_pretrained("x")\n    return m(x)\n', lang: 'python' as const },
      { file: '/ws/app.py', text: 'import torch\nfrom fastapi import FastAPI\nfrom nets import Net\nfrom loader import run\n\napp = FastAPI()\nnet = Net()\n\n@app.post("/")\ndef route(x: list):\n    with torch.no_grad():\n        return net(torch.tensor(x)), run(x)\n', lang: 'python' as const },
    ];
    const found = analyzeCodeFiles(files, () => mergeConfig());
    assert.deepStrictEqual(found.get('/ws/app.py')!.map((f) => `${f.rule}@${f.range.start.line}`), ['PY003@6']);
    const loader = found.get('/ws/loader.py')!;
    assert.ok(loader.some((f) => f.rule === 'PY001' && f.range.start.line === 3 && /`route` → `app\.run`|`route` → `loader\.run`/.test(f.message)), JSON.stringify(loader.map((f) => f.message)));
  });

  it('places a method of an object built by a call it cannot follow, when one class of the workspace defines it', () => {
    const LDM = 'import torch\n\nclass ControlledDiffusion(torch.nn.Module):\n    def shift_for_low_memory(self, diffusing):\n        if diffusing:\n            self.model = self.model.cuda()\n        else:\n            self.model = self.model.cpu()\n\n    def predict(self, x):\n        return self.model(x)\n';
    const OTHER = 'class Scheduler:\n    def predict(self, x):\n        return x\n';
    const APP = 'import gradio as gr\nfrom factory import create_model\n\nmodel = create_model("cfg.yaml")\n\ndef process(image):\n    model.shift_for_low_memory(True)\n    out = model.predict(image)\n    model.shift_for_low_memory(False)\n    return out\n\ngr.Interface(fn=process, inputs="image", outputs="image").launch()\n';
    const found = analyzeCodeFiles([
      { file: '/ws/ldm.py', text: LDM, lang: 'python' as const },
      { file: '/ws/sched.py', text: OTHER, lang: 'python' as const },
      { file: '/ws/app.py', text: APP, lang: 'python' as const },
    ], () => mergeConfig());
    const moves = found.get('/ws/ldm.py')!.filter((f) => f.rule === 'PY009');
    assert.deepStrictEqual(moves.map((f) => f.range.start.line), [5, 7], JSON.stringify(found.get('/ws/ldm.py')));
    assert.match(moves[0].message, /`process` → `ldm\.ControlledDiffusion\.shift_for_low_memory`/);
    // `predict` is defined twice in the workspace and is a common verb: not placed.
    const ix = new WorkspaceIndex();
    for (const [f, t] of [['/ws/ldm.py', LDM], ['/ws/sched.py', OTHER], ['/ws/app.py', APP]]) ix.set(f, summarizePython(t));
    assert.deepStrictEqual(ix.externalFor('/ws/ldm.py').entries.map(([n]) => n), ['ControlledDiffusion.shift_for_low_memory']);
  });

  it('follows alternative constructors and the public methods of a Ray Serve deployment', () => {
    const INFER = 'class Predictor:\n    def __init__(self, model):\n        self.model = model\n        self.model.eval()\n\n    @classmethod\n    def from_dir(cls, path):\n        return cls(model=load(path))\n\n    def probabilities(self, batch, device="cuda"):\n        self.model.to(device)\n        return self.model(batch)\n';
    const SERVE = 'from ray import serve\nfrom infer import Predictor\n\n@serve.deployment\nclass Classifier:\n    def __init__(self, path):\n        self.predictor = Predictor.from_dir(path)\n\n    def check_health(self):\n        return True\n\n    def classify(self, batch):\n        return self.predictor.probabilities(batch)\n';
    const found = analyzeCodeFiles([
      { file: '/ws/infer.py', text: INFER, lang: 'python' as const },
      { file: '/ws/serve.py', text: SERVE, lang: 'python' as const },
    ], () => mergeConfig());
    const move = found.get('/ws/infer.py')!.find((f) => f.rule === 'PY009');
    assert.ok(move, JSON.stringify(found.get('/ws/infer.py')));
    assert.strictEqual(move.range.start.line, 10);
    assert.match(move.message, /Ray Serve deployment method \(`classify`/);
  });

  it('brings in what `from module import *` defines: its torch classes and its functions on the request path', () => {
    const MODEL = 'import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n';
    const PREDICT = 'import torch\nfrom model import *\n\nclf = Net()\nclf.load_state_dict(torch.load("net.pt"))\n\ndef predict(x):\n    return clf(torch.tensor(x)).argmax().item()\n';
    const SERVER = 'from flask import Flask, request\nfrom predict import *\n\napp = Flask(__name__)\n\n@app.post("/predict")\ndef route():\n    return {"label": predict(request.json["x"])}\n';
    const found = analyzeCodeFiles([
      { file: '/ws/model.py', text: MODEL, lang: 'python' as const },
      { file: '/ws/predict.py', text: PREDICT, lang: 'python' as const },
      { file: '/ws/server.py', text: SERVER, lang: 'python' as const },
    ], () => mergeConfig());
    const rules = found.get('/ws/predict.py')!.map((f) => `${f.rule}@${f.range.start.line}`);
    // Net has no dropout or batch norm (no PY003); the route reaches predict() without no_grad (PY002).
    assert.deepStrictEqual(rules.filter((r) => /PY00[23]/.test(r)), ['PY002@7'], JSON.stringify(found.get('/ws/predict.py')));
  });

  it('follows a local annotated with a class of another file (`predictor: Predictor = request.app["predictor"]`)', () => {
    const PREDICTOR = 'from transformers import pipeline\n\nclass Predictor:\n    def __init__(self):\n        self.pipe = pipeline("text-classification")\n\n    def predict(self, text):\n        return self.pipe(text)\n';
    const API = 'from aiohttp import web\nfrom predictor import Predictor\n\nasync def handle(request: web.Request) -> web.Response:\n    predictor: Predictor = request.app["predictor"]\n    return web.json_response(predictor.predict((await request.json())["text"]))\n\napp = web.Application()\napp["predictor"] = Predictor()\napp.router.add_post("/predict", handle)\n';
    const found = analyzeCodeFiles([
      { file: '/ws/predictor.py', text: PREDICTOR, lang: 'python' as const },
      { file: '/ws/api.py', text: API, lang: 'python' as const },
    ], () => mergeConfig());
    const blocking = found.get('/ws/predictor.py')!.find((f) => f.rule === 'PY008');
    assert.ok(blocking, JSON.stringify(found.get('/ws/predictor.py')));
    assert.strictEqual(blocking.range.start.line, 7);
    assert.match(blocking.message, /`handle` → `predictor\.Predictor\.predict`/);
  });

  it('flags a per-item loop over a helper of another file that runs a model through its own helpers (PY004)', () => {
    const TAGGING = 'import torch\nfrom transformers import CLIPModel, CLIPProcessor\n\nmodel = CLIPModel.from_pretrained("clip")\nprocessor = CLIPProcessor.from_pretrained("clip")\n\ndef classify(image, labels):\n    with torch.no_grad():\n        return model(**processor(text=labels, images=image, return_tensors="pt", padding=True))\n\ndef tag_item(path):\n    return classify(path, ["shirt", "shoe"])\n';
    const SCRIPT = 'import os\nfrom tagging import tag_item\n\nfor name in os.listdir("closet"):\n    print(tag_item(os.path.join("closet", name)))\n';
    const found = analyzeCodeFiles([
      { file: '/ws/tagging.py', text: TAGGING, lang: 'python' as const },
      { file: '/ws/tag_all.py', text: SCRIPT, lang: 'python' as const },
    ], () => mergeConfig());
    const perItem = found.get('/ws/tag_all.py')!.filter((f) => f.rule === 'PY004');
    assert.deepStrictEqual(perItem.map((f) => f.range.start.line), [4], JSON.stringify(found.get('/ws/tag_all.py')));
    assert.match(perItem[0].message, /`tag_item\(\.\.\.\)`, which runs a model/);
  });

  it('finds a class a package re-exports (`from svc.models import Embedder`) when its __init__.py is not in the workspace', () => {
    const EMBEDDER = 'from sentence_transformers import SentenceTransformer\n\nclass Embedder:\n    def __init__(self, name):\n        self.st = SentenceTransformer(name)\n\n    def embed(self, texts):\n        return self.st.encode(texts)\n';
    const ROUTES = 'from fastapi import APIRouter, Depends\nfrom svc.models import Embedder\n\nrouter = APIRouter()\nENGINE = Embedder("all-MiniLM-L6-v2")\n\ndef engine():\n    return ENGINE\n\n@router.post("/embeddings")\nasync def embeddings(texts: list[str], client: Embedder = Depends(engine)):\n    return client.embed(texts)\n';
    const OTHER = 'class Embedder:\n    pass\n';
    const files = [
      { file: '/ws/svc/models/embedding.py', text: EMBEDDER, lang: 'python' as const },
      { file: '/ws/svc/routes/embeddings.py', text: ROUTES, lang: 'python' as const },
    ];
    const found = analyzeCodeFiles(files, () => mergeConfig());
    const blocking = found.get('/ws/svc/models/embedding.py')!.find((f) => f.rule === 'PY008');
    assert.ok(blocking, JSON.stringify(found.get('/ws/svc/models/embedding.py')));
    assert.strictEqual(blocking.range.start.line, 7);
    // Two classes of that name inside the package: which one the __init__ exports is unknown, so neither.
    const twice = analyzeCodeFiles([...files, { file: '/ws/svc/models/legacy.py', text: OTHER, lang: 'python' as const }], () => mergeConfig());
    assert.ok(!twice.get('/ws/svc/models/embedding.py')!.some((f) => f.rule === 'PY008'));
  });
});
