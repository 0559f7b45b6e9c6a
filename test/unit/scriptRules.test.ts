import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { applyEdits, assertFixture, findingsFor } from '../helpers/rules';
import { languageOfPath } from '../../server/src/code/treeSitter';
import { mergeConfig } from '../../server/src/config';

const dir = path.join(FIXTURES, 'script');

describe('JS/TS rules over their fixtures', () => {
  for (const rule of fs.readdirSync(dir).sort()) {
    for (const file of fs.readdirSync(path.join(dir, rule)).sort()) {
      it(`${rule} ${file}: fires exactly on the marked lines`, async () => {
        const p = path.join(dir, rule, file);
        await assertFixture(p, rule, languageOfPath(p));
      });
    }
  }
});

describe('JS001 session created on the request path', () => {
  it('names the handler and the reason', async () => {
    const [f] = await findingsFor("import * as ort from 'onnxruntime-node';\nconst app = express();\napp.post('/p', async (req, res) => {\n  const s = await ort.InferenceSession.create('m.onnx', {});\n});\n", 'javascript');
    assert.strictEqual(f.rule, 'JS001');
    assert.match(f.message, /route handler \(app\.post\('\/p'\)\).*on every request/);
  });

  it('hoists a request-independent create to a module-level promise', async () => {
    const code = [
      "const ort = require('onnxruntime-node');",
      "const app = require('express')();",
      '',
      "app.post('/predict', async (req, res) => {",
      "  const session = await ort.InferenceSession.create('model.onnx', { executionProviders: ['cpu'] });",
      '  res.json(await session.run(req.body));',
      '});',
      '',
    ].join('\n');
    const [f] = await findingsFor(code, 'javascript');
    assert.strictEqual(f.rule, 'JS001');
    assert.strictEqual(applyEdits(code, f.fixes![0].edits), [
      "const ort = require('onnxruntime-node');",
      "const app = require('express')();",
      '',
      "const sessionPromise = ort.InferenceSession.create('model.onnx', { executionProviders: ['cpu'] });",
      '',
      "app.post('/predict', async (req, res) => {",
      '  const session = await sessionPromise;',
      '  res.json(await session.run(req.body));',
      '});',
      '',
    ].join('\n'));
  });

  it('offers no fix when the create depends on the request or on a later declaration', async () => {
    const dependsOnRequest = "import * as ort from 'onnxruntime-node';\nexport async function POST(req) {\n  const s = await ort.InferenceSession.create(req.url, {});\n}\n";
    const later = "import * as ort from 'onnxruntime-node';\nexport async function POST(req) {\n  const s = await ort.InferenceSession.create(MODEL, {});\n}\nconst MODEL = 'm.onnx';\n";
    for (const code of [dependsOnRequest, later]) {
      const [f] = await findingsFor(code, 'typescript');
      assert.strictEqual(f.rule, 'JS001');
      assert.deepStrictEqual(f.fixes, []);
    }
  });

  it('is silenced by an ignore comment and by configuration', async () => {
    const code = "import { pipeline } from '@huggingface/transformers';\nexport const handler = async () => {\n  const p = await pipeline('x'); // inference-lens: ignore[JS001]\n};\n";
    assert.deepStrictEqual(await findingsFor(code, 'typescript'), []);
    const loud = code.replace(' // inference-lens: ignore[JS001]', '');
    assert.deepStrictEqual((await findingsFor(loud, 'typescript')).map((f) => f.rule), ['JS001']);
    assert.deepStrictEqual(await findingsFor(loud, 'typescript', mergeConfig({ rules: { JS001: 'off' } })), []);
  });

  it('still finds creates in a file with syntax errors', async () => {
    const code = "import * as ort from 'onnxruntime-node';\nconst app = express();\nfunction broken( {\n\napp.get('/x', async (req, res) => {\n  const s = await ort.InferenceSession.create('m.onnx', {x: 1});\n});\n";
    assert.deepStrictEqual((await findingsFor(code, 'javascript')).map((f) => [f.rule, f.range.start.line]), [['JS001', 5]]);
  });
});

describe('JS002 through helpers', () => {
  it('names the helper and the pipeline it runs', async () => {
    const code = [
      "import { pipeline } from '@huggingface/transformers';",
      'let cached;',
      "const getExtractor = () => (cached ??= pipeline('feature-extraction', 'Xenova/all-MiniLM-L6-v2'));",
      'async function embed(text) {',
      '  const extractor = await getExtractor();',
      "  const out = await extractor(text, { pooling: 'mean', normalize: true });",
      '  return Array.from(out.data);',
      '}',
      'export async function index(chunks) {',
      '  const vectors = [];',
      '  for (const chunk of chunks) vectors.push(await embed(chunk));',
      '  return vectors;',
      '}',
    ].join('\n');
    const found = await findingsFor(code, 'javascript');
    assert.deepStrictEqual(found.map((f) => [f.rule, f.range.start.line]), [['JS002', 10]]);
    assert.match(found[0].message, /`embed\(\.\.\.\)` \(which runs the `extractor` pipeline\).*let `embed` take the whole array/);
  });
});

describe('JS003 / JS004 quick fixes', () => {
  it('JS003 adds explicit options', async () => {
    const code = "import * as ort from 'onnxruntime-node';\nimport Fastify from 'fastify';\nconst s = await ort.InferenceSession.create('m.onnx');\n";
    const [f] = await findingsFor(code, 'javascript');
    assert.strictEqual(f.severity, 'information');
    assert.strictEqual(applyEdits(code, f.fixes![0].edits),
      "import * as ort from 'onnxruntime-node';\nimport Fastify from 'fastify';\nconst s = await ort.InferenceSession.create('m.onnx', { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: Number(process.env.ORT_INTRA_OP_THREADS) || 1 });\n");
  });

  it('JS003 stays silent in a one-off script and fires once the file serves', async () => {
    const script = "const ort = require('onnxruntime-node');\nasync function main() {\n  const s = await ort.InferenceSession.create('./model.onnx');\n  console.log(await s.run({}));\n}\nmain();\n";
    assert.deepStrictEqual(await findingsFor(script, 'javascript'), []);
    const served = `${script}require('node:http').createServer((req, res) => res.end()).listen(8080);\n`;
    assert.deepStrictEqual((await findingsFor(served, 'javascript')).map((f) => [f.rule, f.range.start.line]), [['JS003', 2]]);
  });

  it('JS004 switches to the quantized variant', async () => {
    const code = "import { pipeline } from '@huggingface/transformers';\nconst p = await pipeline('t', 'm', { dtype: 'fp32' });\nconst q = await pipeline('t', 'm', { quantized: false });\n";
    const found = await findingsFor(code, 'javascript');
    const fixed = found.reduce((text, f) => applyEdits(text, f.fixes![0].edits), code);
    assert.strictEqual(fixed, code.replace("'fp32'", "'q8'").replace('quantized: false', 'quantized: true'));
  });
});
