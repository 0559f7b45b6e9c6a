/**
 * `analyze --format sarif` against the OASIS SARIF 2.1.0 schema (test/fixtures/sarif), and the exit
 * codes of `--fail-on`. Runs analyze in-process (runAnalyze) on a scratch workspace: code, a model,
 * and an inference-lens.json whose rule severities and budgets the output must follow.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { runAnalyze } from '../../server/src/cli/analyze';
import { failsGate, parseFailOn } from '../../server/src/cli/failOn';
import { sarifLevel } from '../../server/src/cli/sarif';
import { UsageError } from '../../server/src/cli/args';
import { RULES } from '../../server/src/rules/registry';
import { renderTextView } from '../../server/src/onnx/textView';
import { readModelFile } from '../../server/src/onnx/reader';
import { FIXTURES, REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';

interface Run { code: number; stdout: string; stderr: string }

async function analyze(...argv: string[]): Promise<Run> {
  const out: string[] = [], err: string[] = [];
  const code = await runAnalyze(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Sarif = any;

describe('analyze --format sarif and --fail-on', () => {
  let ws: string;
  const cwd = process.cwd();
  const validate = (() => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // Not a type guard: a valid log stays `any` for the checks that follow.
    return ajv.compile(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sarif', 'sarif-schema-2.1.0.json'), 'utf8'))) as ((d: unknown) => boolean) & { errors?: unknown };
  })();
  const writeConfig = (c: object): void => fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify(c));

  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-sarif-'));
    fs.copyFileSync(path.join(REPO, 'examples', 'app', 'serve.py'), path.join(ws, 'serve.py'));
    fs.mkdirSync(path.join(ws, 'models'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'models', 'mlp_mnist_like.onnx'));
    // Relative paths in the log are relative to the folder analyze runs in (%SRCROOT%).
    process.chdir(ws);
  });
  after(() => {
    process.chdir(cwd);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('validates against the SARIF 2.1.0 schema, and so does a log with no results', async () => {
    writeConfig({});
    const r = await analyze('.', '--format', 'sarif');
    assert.strictEqual(r.code, 0, r.stderr);
    const log: Sarif = JSON.parse(r.stdout);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    assert.ok(log.runs[0].results.length > 5);
    const empty = path.join(ws, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const none: Sarif = JSON.parse((await analyze(empty, '--format', 'sarif')).stdout);
    assert.ok(validate(none), JSON.stringify(validate.errors, null, 2));
    assert.deepStrictEqual(none.runs[0].results, []);
    // The validator does reject what breaks the schema.
    assert.ok(!validate({ ...log, version: '2.0.0' }));
  });

  it('lists every rule in the driver with its docs page and default level', async () => {
    writeConfig({});
    const log: Sarif = JSON.parse((await analyze('.', '--format', 'sarif')).stdout);
    const rules = log.runs[0].tool.driver.rules;
    assert.deepStrictEqual(rules.map((r: { id: string }) => r.id), RULES.map((r) => r.id));
    for (const [i, r] of rules.entries()) {
      assert.strictEqual(r.name, RULES[i].name);
      assert.ok(r.shortDescription.text && r.fullDescription.text, r.id);
      assert.strictEqual(r.helpUri, `https://github.com/inference-lens/inference-lens/blob/main/docs/rules/${r.id}.md`);
      assert.ok(fs.existsSync(path.join(REPO, 'docs', 'rules', `${r.id}.md`)), `docs page of ${r.id}`);
      assert.strictEqual(r.defaultConfiguration.level, sarifLevel(RULES[i].defaultSeverity));
    }
    for (const res of log.runs[0].results) assert.strictEqual(rules[res.ruleIndex].id, res.ruleId);
  });

  it('code results carry a 1-based region; model results the .onnx, the node or tensor, and the text-view line', async () => {
    writeConfig({});
    const log: Sarif = JSON.parse((await analyze('.', '--format', 'sarif')).stdout);
    const results = log.runs[0].results;
    const code = results.find((x: Sarif) => x.ruleId === 'PY001');
    assert.deepStrictEqual(code.locations[0].physicalLocation.artifactLocation, { uri: 'serve.py', uriBaseId: '%SRCROOT%' });
    const text = fs.readFileSync('serve.py', 'utf8').split('\n');
    const region = code.locations[0].physicalLocation.region;
    assert.ok(region.startLine >= 1 && text[region.startLine - 1].length >= region.startColumn - 1);
    assert.strictEqual(log.runs[0].originalUriBaseIds['%SRCROOT%'].uri, `file://${fs.realpathSync(ws)}/`.replace(/^file:\/\/(?!\/)/, 'file:///'));

    const view = renderTextView(readModelFile('models/mlp_mnist_like.onnx')).text.split('\n');
    const model = results.filter((x: Sarif) => x.locations[0].physicalLocation.artifactLocation.uri === 'models/mlp_mnist_like.onnx');
    assert.deepStrictEqual(model.map((x: Sarif) => x.ruleId).sort(), ['ONNX001', 'ONNX011']);
    for (const x of model) {
      assert.strictEqual(x.locations[0].physicalLocation.region, undefined, 'no line region in a binary file');
      const [logical] = x.locations[0].logicalLocations;
      assert.ok(view[x.properties.textViewLine - 1].includes(logical.name), `${x.ruleId}: '${logical.name}' on text-view line ${x.properties.textViewLine}`);
    }
    assert.strictEqual(new Set(model.map((x: Sarif) => x.partialFingerprints['inferenceLens/v1'])).size, model.length, 'fingerprints tell model results apart');
    const quantizable = model.find((x: Sarif) => x.ruleId === 'ONNX001');
    assert.strictEqual(quantizable.level, 'note');
  });

  it('takes rule severities from inference-lens.json, in the driver and in the results', async () => {
    writeConfig({ rules: { ONNX011: 'error', ONNX001: 'off', PY001: 'hint' } });
    const log: Sarif = JSON.parse((await analyze('.', '--format', 'sarif')).stdout);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    const rule = (id: string) => log.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === id);
    assert.deepStrictEqual(rule('ONNX011').defaultConfiguration, { level: 'error', enabled: true });
    assert.deepStrictEqual(rule('ONNX001').defaultConfiguration, { level: 'none', enabled: false });
    assert.strictEqual(rule('PY001').properties.severity, 'hint');
    const results = log.runs[0].results;
    assert.ok(!results.some((x: Sarif) => x.ruleId === 'ONNX001'));
    assert.strictEqual(results.find((x: Sarif) => x.ruleId === 'ONNX011').level, 'error');
    assert.deepStrictEqual([...new Set(results.filter((x: Sarif) => x.ruleId === 'PY001').map((x: Sarif) => x.properties.severity))], ['hint']);
  });

  it('--fail-on: exit 0 by default, 1 once a finding meets the threshold, usage error on a bad value', async () => {
    writeConfig({ rules: { ONNX011: 'error' } });
    assert.strictEqual((await analyze('.')).code, 0, 'findings alone never fail');
    assert.strictEqual((await analyze('.', '--fail-on', 'error')).code, 1);
    assert.strictEqual((await analyze('.', '--fail-on', 'warning', '--format', 'sarif')).code, 1);
    writeConfig({});
    assert.strictEqual((await analyze('models', '--fail-on', 'info')).code, 1, 'ONNX001 is information');
    writeConfig({ rules: { ONNX001: 'hint' } });
    assert.strictEqual((await analyze('models', '--fail-on', 'info')).code, 0, 'only hints on the model');
    assert.strictEqual((await analyze('models', '--fail-on', 'budget')).code, 0, 'no budgets, nothing over one');
    writeConfig({ budgets: { modelBytes: 1000 } });
    assert.strictEqual((await analyze('models', '--fail-on', 'budget')).code, 1);
    assert.strictEqual((await analyze('models', '--fail-on', 'error')).code, 0, 'ONNX090 is a warning by default');
    await assert.rejects(analyze('.', '--fail-on', 'never'), UsageError);
    await assert.rejects(analyze('.', '--fail-on'), UsageError);
  });

  it('gates by severity rank, and budget by rule', () => {
    assert.deepStrictEqual(['error', 'warning', 'information', 'hint'].map((severity) => failsGate('warning', { rule: 'PY001', severity })), [true, true, false, false]);
    assert.deepStrictEqual(['error', 'warning', 'information', 'hint'].map((severity) => failsGate('info', { rule: 'PY001', severity })), [true, true, true, false]);
    assert.ok(failsGate('budget', { rule: 'PY090', severity: 'hint' }) && !failsGate('budget', { rule: 'PY001', severity: 'error' }));
    assert.strictEqual(parseFailOn(undefined), undefined);
    assert.throws(() => parseFailOn(true), /--fail-on must be one of error, warning, info, budget/);
  });
});
