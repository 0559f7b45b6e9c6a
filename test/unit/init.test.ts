/** `inference-lens init`, inference-lens.json's schema, and comments in inference-lens.json. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { initConfigText, InitModel, runInit } from '../../server/src/cli/init';
import { runAnalyze } from '../../server/src/cli/analyze';
import { parseConfig, readWorkspaceConfig, stripJsonComments } from '../../server/src/config';
import { REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';

const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', 'inference-lens.schema.json'), 'utf8'));
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);

/** What the editor and the CLI make of a config text: the parsed layer and the problems reported. */
function read(text: string): { raw: Record<string, unknown>; problems: string[] } {
  const raw = JSON.parse(stripJsonComments(text));
  const problems: string[] = [];
  parseConfig(raw, 'inference-lens.json', problems);
  return { raw, problems };
}

const silent = (): void => { /* output not checked */ };

describe('inference-lens init', () => {
  const models: InitModel[] = [
    { path: 'models/enc.onnx', weightBytes: 44_756_180, dims: { batch: 1, seq: 128 }, p95Ms: 12.3, per1k: 0.00041, perMonth: 130.2 },
    { path: 'vad.onnx', weightBytes: 1_807_522, dims: { batch: 1 }, p95Ms: 0.5, per1k: 0.00002, perMonth: 110 },
  ];

  it('writes commented JSON that parses without problems and fits the schema', () => {
    const text = initConfigText(models, 'g5.xlarge');
    assert.match(text, /^\/\/ Inference Lens settings/);
    assert.match(text, /\/\/ {3}seq: models\/enc\.onnx\n/);
    assert.match(text, /\/\/ {3}batch: models\/enc\.onnx, vad\.onnx\n/);
    const { raw, problems } = read(text);
    assert.deepStrictEqual(problems, []);
    assert.ok(validate(raw), JSON.stringify(validate.errors));
    assert.deepStrictEqual(raw.dims, { batch: 1, seq: 128 });
    assert.strictEqual(raw.instance, 'g5.xlarge');
    // 1.5x the largest figure, rounded up to 2 significant digits.
    assert.deepStrictEqual(raw.budgets, { modelBytes: 68_000_000, p95Ms: 19, costPer1k: 0.00062, monthlyCost: 200 });
    assert.deepStrictEqual(raw.rules, {});
  });

  it('says so when there is no model, and still writes a valid file', () => {
    const { raw, problems } = read(initConfigText([], 'c7i.xlarge'));
    assert.deepStrictEqual(problems, []);
    assert.ok(validate(raw), JSON.stringify(validate.errors));
    assert.deepStrictEqual([raw.dims, raw.budgets], [{}, {}]);
  });

  it('init on a folder: detects the model, refuses to overwrite without --force, and the budgets pass the gate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-init-'));
    try {
      fs.mkdirSync(path.join(dir, 'models'));
      fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(dir, 'models', 'mlp.onnx'));
      assert.strictEqual(await runInit([dir], silent, silent), 0);
      const text = fs.readFileSync(path.join(dir, 'inference-lens.json'), 'utf8');
      assert.match(text, /Models found: models\/mlp\.onnx \(2\.0 MiB of weights\)/);
      const problems: string[] = [];
      const layer = readWorkspaceConfig(dir, problems);
      assert.deepStrictEqual(problems, []);
      assert.deepStrictEqual(layer.dims, { batch: 1 });
      assert.ok(layer.cost?.budgets?.modelBytes && layer.cost.budgets.modelBytes > 2_000_000);
      const errs: string[] = [];
      assert.strictEqual(await runInit([dir], silent, (s) => errs.push(s)), 1);
      assert.match(errs[0], /exists; --force overwrites it/);
      assert.strictEqual(await runInit([dir, '--force', '--instance', 'c7i.large'], silent, silent), 0);
      assert.strictEqual(readWorkspaceConfig(dir).cost?.instance, 'c7i.large');
      assert.strictEqual(await runAnalyze([dir, '--fail-on', 'budget'], silent, silent), 0, 'today\'s model is within the budgets init wrote');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('inference-lens.json schema', () => {
  it('has a property for every editor setting (trace aside), with the same bench options', () => {
    const settings = Object.keys(PKG.contributes.configuration.properties).map((k) => k.replace(/^inferenceLens\./, '')).filter((k) => k !== 'trace.server');
    assert.deepStrictEqual(Object.keys(SCHEMA.properties).filter((k) => k !== '$schema').sort(), settings.sort());
    assert.deepStrictEqual(SCHEMA.properties.bench.properties, PKG.contributes.configuration.properties['inferenceLens.bench'].properties);
  });

  it('is what VS Code validates inference-lens.json with, as JSON with comments', () => {
    assert.deepStrictEqual(PKG.contributes.jsonValidation, [{ fileMatch: 'inference-lens.json', url: './schemas/inference-lens.schema.json' }]);
    assert.ok(PKG.contributes.languages.some((l: { id: string; filenames?: string[] }) => l.id === 'jsonc' && l.filenames?.includes('inference-lens.json')));
  });

  it('rejects what the reader rejects', () => {
    for (const bad of [{ rules: { PY001: 'loud' } }, { dims: { batch: 0 } }, { budgets: { p95: 3 } }, { utilization: 2 }, { traffic: { hoursPerDay: 25 } }, { colour: 'red' }]) {
      assert.ok(!validate(bad), JSON.stringify(bad));
    }
  });
});

describe('comments in inference-lens.json', () => {
  it('become spaces outside strings, so offsets stay; strings keep slashes and escaped quotes', () => {
    const text = '{\n  // a comment "with quotes"\n  "a": "http://x/*y*/", /* block\n spans */ "b": "q\\"//"\n}';
    const stripped = stripJsonComments(text);
    assert.strictEqual(stripped.length, text.length);
    assert.strictEqual(stripped.split('\n').length, text.split('\n').length);
    assert.deepStrictEqual(JSON.parse(stripped), { a: 'http://x/*y*/', b: 'q"//' });
  });
});
