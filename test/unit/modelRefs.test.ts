import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initParsers, parse, CodeLanguage } from '../../server/src/code/treeSitter';
import { modelPathAt } from '../../server/src/modelRefs';

/** The model `modelPathAt` finds with the cursor on the first occurrence of `marker` (plus `offset`). */
function at(dir: string, lang: CodeLanguage, code: string, marker: string, offset = 1): string | undefined {
  const idx = code.indexOf(marker) + offset;
  const before = code.slice(0, idx).split('\n');
  const tree = parse(lang, code);
  try {
    const ref = modelPathAt(tree, { line: before.length - 1, character: before[before.length - 1].length }, dir, []);
    return ref && path.relative(dir, ref.file);
  } finally {
    tree.delete();
  }
}

describe('model paths named in code (hover targets)', () => {
  let dir: string;
  before(async () => {
    await initParsers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-refs-'));
    fs.mkdirSync(path.join(dir, 'models'));
    for (const f of ['m.onnx', 'models/enc.onnx']) fs.writeFileSync(path.join(dir, f), 'x');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('JS/TS: a literal, a const holding a path, path.join, and the create call', () => {
    const js = [
      "import * as ort from 'onnxruntime-node';",
      "import path from 'node:path';",
      "const MODEL = 'm.onnx';",
      "const ENC = path.join(__dirname, 'models', 'enc.onnx');",
      'const a = await ort.InferenceSession.create(MODEL);',
      'const b = await ort.InferenceSession.create(ENC, { executionProviders: ["cpu"] });',
      "const c = await ort.InferenceSession.create('missing.onnx');",
      'const d = await ort.InferenceSession.create(buffer);',
    ].join('\n');
    assert.strictEqual(at(dir, 'typescript', js, "'m.onnx'"), 'm.onnx');
    assert.strictEqual(at(dir, 'typescript', js, "'enc.onnx'"), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'typescript', js, 'create(MODEL)', 8), 'm.onnx'); // on MODEL
    assert.strictEqual(at(dir, 'typescript', js, 'create(MODEL)'), 'm.onnx'); // on create
    assert.strictEqual(at(dir, 'typescript', js, 'InferenceSession.create(ENC'), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'typescript', js, "create('missing"), undefined);
    assert.strictEqual(at(dir, 'typescript', js, 'create(buffer'), undefined);
    assert.strictEqual(at(dir, 'typescript', js, 'path.join', 0), undefined);
  });

  it('Python: a variable, os.path.join, Path / and the InferenceSession call', () => {
    const py = [
      'import os',
      'from pathlib import Path',
      'import onnxruntime as ort',
      'MODEL = "m.onnx"',
      'ENC = os.path.join(os.path.dirname(__file__), "models", "enc.onnx")',
      'ENC2 = Path(__file__).parent / "models" / "enc.onnx"',
      'a = ort.InferenceSession(MODEL)',
      'b = ort.InferenceSession(ENC2, providers=["CPUExecutionProvider"])',
      'c = ort.InferenceSession(ENC)',
    ].join('\n');
    assert.strictEqual(at(dir, 'python', py, 'ession(MODEL)'), 'm.onnx');
    assert.strictEqual(at(dir, 'python', py, 'ession(ENC2'), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'python', py, 'ession(ENC)'), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'python', py, '"enc.onnx")'), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'python', py, 'ENC2 ='), path.join('models', 'enc.onnx'));
    assert.strictEqual(at(dir, 'python', py, 'import os', 8), undefined);
  });
});
