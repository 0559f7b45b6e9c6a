import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { testModelsDir } from '../helpers/testModels';
import { applyEdits, assertFixture, findingsFor } from '../helpers/rules';
import { mergeConfig } from '../../server/src/config';
import { analyzeCode } from '../../server/src/engine';
import { ModelCache } from '../../server/src/modelRefs';
import { modelResolver } from '../../server/src/cost/resolve';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import type { Finding } from '../../server/src/rules/types';

const fx = (id: string, file: string): string => path.join(FIXTURES, 'python', id, file);
const byRule = (found: Finding[], id: string): Finding[] => found.filter((f) => f.rule === id);

/** Every fixture file of every rule: `fires*.py` fire on their marked lines, everything else stays silent. */
describe('Python rules over their fixtures', () => {
  for (const id of ['PY002', 'PY003', 'PY004', 'PY005', 'PY006', 'PY007', 'PY008', 'PY009', 'PY010', 'PY012', 'PY013']) {
    for (const file of fs.readdirSync(path.join(FIXTURES, 'python', id)).sort()) {
      it(`${id} ${file}`, async () => {
        await assertFixture(fx(id, file), id);
      });
    }
  }
});

describe('Python rule quick fixes', () => {
  it('PY002 decorates a sync handler below its route decorator, or wraps the statement', async () => {
    const code = 'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\nnet = torch.jit.load("m.pt")\n\n@app.post("/")\ndef f(x: float):\n    y = net(torch.tensor([x]))\n    return y.tolist()\n';
    const [f] = byRule(await findingsFor(code), 'PY002');
    assert.deepStrictEqual(f.fixes!.map((x) => x.title), ['Decorate `f` with @torch.inference_mode()', 'Wrap in `with torch.inference_mode():`']);
    assert.match(applyEdits(code, f.fixes![0].edits), /@app\.post\("\/"\)\n@torch\.inference_mode\(\)\ndef f/);
    assert.match(applyEdits(code, f.fixes![1].edits), /def f\(x: float\):\n {4}with torch\.inference_mode\(\):\n {8}y = net\(torch\.tensor\(\[x\]\)\)\n {4}return/);
  });

  it('PY002 only wraps in async handlers and adds `import torch` when missing', async () => {
    const code = 'from fastapi import FastAPI\nfrom transformers import AutoModel\napp = FastAPI()\nm = AutoModel.from_pretrained("x")\n\n@app.post("/")\nasync def f(ids: list[int]):\n    return m(ids)\n';
    const [f] = byRule(await findingsFor(code), 'PY002');
    assert.deepStrictEqual(f.fixes!.map((x) => x.title), ['Wrap in `with torch.inference_mode():`']);
    const fixed = applyEdits(code, f.fixes![0].edits);
    assert.match(fixed, /^from fastapi import FastAPI\nfrom transformers import AutoModel\nimport torch\n/);
    assert.match(fixed, /async def f\(ids: list\[int\]\):\n {4}with torch\.inference_mode\(\):\n {8}return m\(ids\)\n/);
  });

  it('PY003 adds `.eval()` after the load, and the fixed file is clean', async () => {
    const code = 'import torch\nimport torchvision\nnet = torchvision.models.resnet18()\n\n@torch.inference_mode()\ndef f(x):\n    return net(x)\n';
    const [f] = byRule(await findingsFor(code), 'PY003');
    const fixed = applyEdits(code, f.fixes![0].edits);
    assert.match(fixed, /resnet18\(\)\nnet\.eval\(\)\n/);
    assert.deepStrictEqual(byRule(await findingsFor(fixed), 'PY003'), []);
  });

  it('PY006 fits the fix to the device: torch_dtype on GPU, quantize_dynamic on CPU', async () => {
    const gpu = 'import torch\nfrom transformers import AutoModel\nm = AutoModel.from_pretrained("bert").to("cuda")\n\n@torch.inference_mode()\ndef f(x):\n    return m(x)\n';
    const [g] = byRule(await findingsFor(gpu), 'PY006');
    assert.match(applyEdits(gpu, g.fixes![0].edits), /from_pretrained\("bert", torch_dtype=torch\.float16\)\.to\("cuda"\)/);
    const cpu = gpu.replace('.to("cuda")', '');
    const [c] = byRule(await findingsFor(cpu), 'PY006');
    const fixed = applyEdits(cpu, c.fixes![0].edits);
    assert.match(fixed, /\nm = torch\.ao\.quantization\.quantize_dynamic\(m, \{torch\.nn\.Linear\}, dtype=torch\.qint8\)\n/);
    assert.deepStrictEqual(byRule(await findingsFor(fixed), 'PY006'), []);
  });

  it('PY007 adds SessionOptions and providers, and the fixed file is clean', async () => {
    const code = 'import onnxruntime as ort\nfrom fastapi import FastAPI\napp = FastAPI()\nsession = ort.InferenceSession("m.onnx")\n';
    const [f] = byRule(await findingsFor(code), 'PY007');
    const fixed = applyEdits(code, f.fixes![0].edits);
    assert.match(fixed, /sess_options = ort\.SessionOptions\(\)\nsess_options\.intra_op_num_threads = 1 {2}#.*\nsess_options\.inter_op_num_threads = 1\nsession = ort\.InferenceSession\("m\.onnx", sess_options=sess_options, providers=\["CPUExecutionProvider"\]\)/);
    assert.deepStrictEqual(byRule(await findingsFor(fixed), 'PY007'), []);
  });

  it('PY008 offers a plain def (when nothing is awaited) and asyncio.to_thread', async () => {
    const code = 'from fastapi import FastAPI\nfrom transformers import pipeline\napp = FastAPI()\nclf = pipeline("text-classification")\n\n@app.post("/")\nasync def f(text: str):\n    return clf(text, top_k=2)[0]\n';
    const [f] = byRule(await findingsFor(code), 'PY008');
    assert.strictEqual(f.fixes!.length, 2);
    assert.match(applyEdits(code, f.fixes![0].edits), /@app\.post\("\/"\)\ndef f\(text: str\):/);
    const threaded = applyEdits(code, f.fixes![1].edits);
    assert.match(threaded, /^import asyncio\n/m);
    assert.match(threaded, /return \(await asyncio\.to_thread\(clf, text, top_k=2\)\)\[0\]/);
    assert.deepStrictEqual(byRule(await findingsFor(threaded), 'PY008'), []);
    const awaits = code.replace('    return clf', '    await audit(text)\n    return clf');
    assert.deepStrictEqual(byRule(await findingsFor(awaits), 'PY008')[0].fixes!.map((x) => x.title), ['Run it in a worker thread (`await asyncio.to_thread(...)`)']);
  });
});

describe('request paths the semantic layer knows', () => {
  const cases: Array<[string, string]> = [
    ['Litestar', 'from litestar import post\n@post("/p")\ndef h(data: dict) -> dict:\n    m = torch.load("m.pt")\n    return m\n'],
    ['add_api_route', 'from fastapi import FastAPI\napp = FastAPI()\ndef h():\n    m = torch.load("m.pt")\n    return m\napp.add_api_route("/p", h, methods=["POST"])\n'],
    ['add_url_rule', 'from flask import Flask\napp = Flask(__name__)\ndef h():\n    m = torch.load("m.pt")\n    return m\napp.add_url_rule("/p", "h", h)\n'],
    ['Django view', 'from rest_framework.decorators import api_view\n@api_view(["POST"])\ndef h(request):\n    m = torch.load("m.pt")\n    return m\n'],
    ['Django class view', 'from django.views import View\nclass V(View):\n    def post(self, request):\n        m = torch.load("m.pt")\n        return m\n'],
    ['Ray Serve', 'from ray import serve\n@serve.deployment(num_replicas=2)\nclass D:\n    def __call__(self, request):\n        m = torch.load("m.pt")\n        return m\n'],
    ['BentoML service', 'import bentoml\n@bentoml.service\nclass S:\n    @bentoml.api\n    def predict(self, x):\n        m = torch.load("m.pt")\n        return m\n'],
    ['BentoML svc.api', 'import bentoml\nsvc = bentoml.Service("s")\n@svc.api(input=JSON(), output=JSON())\ndef predict(x):\n    m = torch.load("m.pt")\n    return m\n'],
    ['TorchServe', 'from ts.torch_handler.base_handler import BaseHandler\nclass H(BaseHandler):\n    def preprocess(self, data):\n        m = torch.load("m.pt")\n        return m\n'],
    ['Triton', 'class TritonPythonModel:\n    def execute(self, requests):\n        m = torch.load("m.pt")\n        return m\n'],
    ['Gradio Interface', 'import gradio as gr\ndef h(x):\n    m = torch.load("m.pt")\n    return m\ngr.Interface(fn=h, inputs="text", outputs="text").launch()\n'],
    ['Gradio click', 'import gradio as gr\ndef h(x):\n    m = torch.load("m.pt")\n    return m\nwith gr.Blocks() as demo:\n    btn = gr.Button()\n    btn.click(h, inputs=None, outputs=None)\n'],
    ['Streamlit body', 'import streamlit as st\nm = torch.load("m.pt")\nst.write(m)\n'],
  ];
  for (const [name, body] of cases) {
    it(`PY001 fires in a ${name} handler`, async () => {
      const code = `import torch\n${body}`;
      const found = byRule(await findingsFor(code), 'PY001');
      assert.strictEqual(found.length, 1, `${name}: ${JSON.stringify(found)}`);
      assert.strictEqual(code.split('\n')[found[0].range.start.line].includes('torch.load'), true);
    });
  }

  it('PY001 stays silent for a Streamlit load behind st.cache_resource and for unregistered functions', async () => {
    const cached = 'import streamlit as st\nimport torch\n@st.cache_resource\ndef load():\n    return torch.load("m.pt")\nm = load()\nst.write(m)\n';
    const plain = 'import gradio as gr\nimport torch\ndef helper():\n    return torch.load("m.pt")\n';
    assert.deepStrictEqual(byRule(await findingsFor(cached), 'PY001'), []);
    assert.deepStrictEqual(byRule(await findingsFor(plain), 'PY001'), []);
  });
});

describe('PY011 workspace ONNX model worth quantizing', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-py011-'));
    const big = (name: string, opType: string, domain = ''): void => {
      const w = floatTensor('w', [512, 1024], seededFloats(512 * 1024, 7));
      const m = model({
        nodes: [node(opType, ['x', 'w'], ['y'], {}, { domain })], initializers: [w],
        inputs: [valueInfo('x', DataType.FLOAT, [1, 512])], outputs: [valueInfo('y', DataType.FLOAT, [1, 1024])],
        extraOpsets: domain ? { [domain]: 1 } : undefined,
      });
      fs.writeFileSync(path.join(dir, name), encodeModel(m));
    };
    big('encoder.onnx', 'MatMul');
    big('already_quantized.onnx', 'MatMulInteger');
    const tiny = model({
      nodes: [node('MatMul', ['x', 'w'], ['y'])], initializers: [floatTensor('w', [4, 4], seededFloats(16, 1))],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 4])], outputs: [valueInfo('y', DataType.FLOAT, [1, 4])],
    });
    fs.writeFileSync(path.join(dir, 'tiny.onnx'), encodeModel(tiny));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('flags the path string of a large float32 model, directly or through a module constant', async () => {
    await findingsFor('');
    const code = [
      'import onnxruntime as ort',
      'MODEL = "models/encoder.onnx"',
      'a = ort.InferenceSession("encoder.onnx", providers=["CPUExecutionProvider"])',
      'b = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])',
      'c = ort.InferenceSession("tiny.onnx", providers=["CPUExecutionProvider"])',
      'd = ort.InferenceSession("already_quantized.onnx", providers=["CPUExecutionProvider"])',
      'e = ort.InferenceSession("missing.onnx", providers=["CPUExecutionProvider"])',
      'f = ort.InferenceSession(f"{MODEL}", providers=["CPUExecutionProvider"])',
    ].join('\n');
    const config = mergeConfig();
    fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'encoder.onnx'), path.join(dir, 'models', 'encoder.onnx'));
    const found = byRule(analyzeCode(code, 'python', config, modelResolver(path.join(dir, 'serve.py'), [], new ModelCache(), config)), 'PY011');
    assert.deepStrictEqual(found.map((f) => [f.range.start.line, f.range.start.character]), [[1, 8], [2, 25]]);
    assert.match(found[0].message, /2\.0 MiB of float32 weights/);
    assert.strictEqual(found[0].severity, 'information');
    // Without a resolver (no file system at hand) the rule stays silent.
    assert.deepStrictEqual(byRule(analyzeCode(code, 'python', config), 'PY011'), []);
  });

  it('finds a real model through a workspace root', async () => {
    await findingsFor('');
    const code = 'import onnxruntime as ort\ns = ort.InferenceSession("mlp_mnist_like.onnx", providers=["CPUExecutionProvider"])\n';
    const config = mergeConfig();
    const found = byRule(analyzeCode(code, 'python', config, modelResolver(path.join(dir, 'serve.py'), [testModelsDir()], new ModelCache(), config)), 'PY011');
    assert.strictEqual(found.length, 1);
  });
});
