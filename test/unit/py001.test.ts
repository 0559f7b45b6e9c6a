import * as assert from 'assert';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { applyEdits, assertFixture, findingsFor } from '../helpers/rules';
import { mergeConfig } from '../../server/src/config';

const dir = path.join(FIXTURES, 'python', 'PY001');

describe('PY001 model load on the request path', () => {
  it('fires on every loader in route handlers and loops', async () => {
    const found = await assertFixture(path.join(dir, 'fires.py'), 'PY001');
    assert.ok(found.every((f) => f.severity === 'warning'));
    assert.match(found[0].message, /AutoTokenizer\.from_pretrained.*`embed`.*route handler/);
    assert.match(found.find((f) => f.message.includes("jit"))!.message, /inside a loop in `rescore`/);
  });

  it('lets a loop load a different model per item at start-up, not the same one again', async () => {
    await assertFixture(path.join(dir, 'per_item_models.py'), 'PY001');
  });

  it('fires in an uncached FastAPI dependency provider, not in a cached one', async () => {
    const [f] = await assertFixture(path.join(dir, 'depends_provider.py'), 'PY001');
    assert.match(f.message, /`get_tokenizer`, a FastAPI dependency \(Depends\), resolved per request/);
  });

  it('stays silent on module-level, lazy, cached and one-off loads', async () => {
    await assertFixture(path.join(dir, 'clean.py'), 'PY001');
  });

  it('knows OpenCV DNN loads, and stays silent on loads only a model switch triggers', async () => {
    await assertFixture(path.join(dir, 'opencv_dnn.py'), 'PY001');
    await assertFixture(path.join(dir, 'switch_cache.py'), 'PY001');
    await assertFixture(path.join(dir, 'switch_cache.py'), 'PY012');
  });

  it('follows the request path through helpers, methods of module-level objects and Cog predictors', async () => {
    const found = await assertFixture(path.join(dir, 'helpers.py'), 'PY001');
    assert.match(found[0].message, /`embed` → `run_model` → `fresh_encoder`/);
    assert.match(found[1].message, /`score` → `Scorer\.score`/);
    await assertFixture(path.join(dir, 'cog_predictor.py'), 'PY001');
    // PyTriton: the function given to triton.bind(infer_func=...) serves every request batch.
    const [triton] = await assertFixture(path.join(FIXTURES, 'python', 'PY002', 'fires_pytriton.py'), 'PY001');
    assert.match(triton.message, /a PyTriton inference function \(triton\.bind\)|`classify` → `load_head`/);
  });

  it('an architecture handed to a loader that reads its weights is one finding, at the loader', async () => {
    await assertFixture(path.join(dir, 'weights_handed_over.py'), 'PY001');
  });

  it('stays silent in an endpoint whose purpose is to swap the model (`POST /switch_model`)', async () => {
    await assertFixture(path.join(FIXTURES, 'python', 'PY012', 'switch_endpoint.py'), 'PY001');
  });

  it('a Ray Serve deployment method its constructor calls (`self.load()`) is start-up, not a handle endpoint', async () => {
    const code = 'import torch\nfrom ray import serve\nfrom torchvision import models\n\n@serve.deployment\nclass Classifier:\n    def __init__(self):\n' +
      '        self.prepare()\n\n    def prepare(self):\n        self.net = models.resnet18(weights=None).eval()\n\n    def load(self):\n        self.other = torch.jit.load("m.pt")\n\n' +
      '    def reload(self):\n        self.net = torch.jit.load("m.pt")\n\n    @torch.inference_mode()\n    def __call__(self, x):\n        return self.net(x)\n';
    assert.deepStrictEqual((await findingsFor(code)).filter((f) => f.rule === 'PY001').map((f) => f.range.start.line), [16]);
  });

  it('a pipeline built and called in one expression is one load, and the call of it is not another', async () => {
    const code = 'from fastapi import FastAPI\nfrom transformers import pipeline\napp = FastAPI()\n\n@app.post("/")\ndef f(lines: list):\n    return pipeline("text-classification", model="org/m")(lines)\n';
    assert.deepStrictEqual((await findingsFor(code)).filter((x) => x.rule === 'PY001').map((x) => x.range.start.line), [6]);
  });

  it('resolves import aliases', async () => {
    const code = 'import onnxruntime as rt\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get("/")\ndef f():\n    s = rt.InferenceSession("m.onnx")\n    return s\n';
    const [f] = await findingsFor(code);
    assert.strictEqual(f.rule, 'PY001');
    assert.match(f.message, /onnxruntime\.InferenceSession/);
  });

  it('moves a load that does not depend on the request to module scope', async () => {
    const code = [
      'import onnxruntime as ort',
      'from fastapi import FastAPI',
      '',
      'app = FastAPI()',
      '',
      '',
      '@app.post("/predict")',
      'def predict(x: list):',
      '    session = ort.InferenceSession(',
      '        "model.onnx",',
      '    )',
      '    return session.run(None, {"x": x})',
      '',
    ].join('\n');
    const [f] = await findingsFor(code);
    assert.strictEqual(f.fixes?.length, 1);
    assert.strictEqual(applyEdits(code, f.fixes![0].edits), [
      'import onnxruntime as ort',
      'from fastapi import FastAPI',
      '',
      'app = FastAPI()',
      '',
      '',
      'session = ort.InferenceSession(',
      '    "model.onnx",',
      ')',
      '',
      '',
      '@app.post("/predict")',
      'def predict(x: list):',
      '    return session.run(None, {"x": x})',
      '',
    ].join('\n'));
  });

  it('leaves `pass` when the load was the only statement', async () => {
    const code = 'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get("/")\ndef warm():\n    net = torch.load("m.pt")\n';
    const [f] = await findingsFor(code);
    assert.strictEqual(applyEdits(code, f.fixes![0].edits),
      'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\nnet = torch.load("m.pt")\n\n\n@app.get("/")\ndef warm():\n    pass\n');
  });

  it('offers no fix when the load depends on request data or the name is rebound', async () => {
    const dependsOnRequest = 'from transformers import AutoModel\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get("/")\ndef f(name: str):\n    m = AutoModel.from_pretrained(name)\n    return m\n';
    const rebound = 'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get("/")\ndef f():\n    m = torch.load("a.pt")\n    m = m.half()\n    return m\n';
    for (const code of [dependsOnRequest, rebound]) {
      const [f] = await findingsFor(code);
      assert.strictEqual(f.rule, 'PY001');
      assert.deepStrictEqual(f.fixes, []);
    }
  });

  it('is silenced by an ignore comment and by configuration', async () => {
    const code = 'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get("/")\ndef f():\n    m = torch.load("a.pt")  # inference-lens: ignore[PY001]\n    return m\n';
    assert.deepStrictEqual(await findingsFor(code), []);
    const loud = code.replace('  # inference-lens: ignore[PY001]', '');
    assert.strictEqual((await findingsFor(loud)).length, 1);
    assert.deepStrictEqual(await findingsFor(loud, 'python', mergeConfig({ rules: { PY001: 'off' } })), []);
    assert.strictEqual((await findingsFor(loud, 'python', mergeConfig({ rules: { PY001: 'error' } })))[0].severity, 'error');
  });

  it('still finds loads in a file with syntax errors', async () => {
    const code = 'import torch\nfrom fastapi import FastAPI\napp = FastAPI()\n\ndef broken(:\n    pass\n\n@app.get("/")\ndef f():\n    m = torch.load("a.pt")\n    return m\n';
    const found = await findingsFor(code);
    assert.deepStrictEqual(found.map((f) => f.range.start.line), [9]);
  });
});
