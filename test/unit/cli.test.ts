import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { DIST, REPO } from '../helpers/paths';
import { TEST_MODEL_PARAMS, testModelsDir } from '../helpers/testModels';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI analyze', () => {
  it('reports every in-repository test model with exact parameter counts as JSON', () => {
    const r = cli('analyze', testModelsDir(), '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.strictEqual(out.tool, 'inference-lens');
    for (const [file, params] of Object.entries(TEST_MODEL_PARAMS)) {
      const f = out.files.find((x: { path: string }) => path.basename(x.path) === file);
      assert.ok(f, file);
      assert.strictEqual(f.kind, 'model');
      assert.strictEqual(f.model.params, params, file);
      for (const key of ['weightBytes', 'nodes', 'opCounts', 'inputs', 'outputs', 'opsets']) assert.ok(key in f.model, key);
    }
  });

  it('finds PY001 in the example app, 0-based positions as in LSP', () => {
    const r = cli('analyze', 'examples/app', '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const [file] = JSON.parse(r.stdout).files;
    assert.strictEqual(file.kind, 'code');
    // PY011 depends on whether `npm run demo` built the example model; the rest is fixed.
    const rules = file.diagnostics.map((d: { rule: string }) => d.rule).filter((r: string) => r !== 'PY011');
    assert.deepStrictEqual(rules, ['PY001', 'PY007', 'PY001', 'PY002', 'PY001', 'PY007', 'PY004']);
    assert.strictEqual(file.diagnostics[0].range.start.line, 24);
  });

  it('finds the JS/TS rules in the Node example', () => {
    const r = cli('analyze', 'examples/node-app', '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const [file] = JSON.parse(r.stdout).files;
    assert.deepStrictEqual(file.diagnostics.map((d: { rule: string; range: { start: { line: number } } }) => `${d.rule}@${d.range.start.line + 1}`),
      ['JS003@15', 'JS001@37', 'JS002@46', 'JS001@53', 'JS004@54']);
  });

  it('exits 2 on usage errors and says why', () => {
    assert.strictEqual(cli().code, 2);
    const bad = cli('analyze', '--format', 'xml', 'examples');
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of text, json/);
    assert.strictEqual(cli('analyze').code, 2);
    assert.strictEqual(cli('frobnicate').code, 2);
  });

  it('prints the usage for --help on any command', () => {
    for (const cmd of ['analyze', 'bench', 'quantize', 'compare', 'text-view']) {
      const r = cli(cmd, '--help');
      assert.strictEqual(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'), cmd);
    }
  });

  it('reports an unreadable path in one line and still runs', () => {
    const r = cli('analyze', 'no/such/dir', 'examples/app');
    assert.strictEqual(r.code, 0);
    assert.strictEqual(r.stderr.trim(), 'inference-lens: cannot read no/such/dir: no such file or directory');
    // PY011 adds findings once `npm run demo` has generated the example model: count what was printed.
    const printed = r.stdout.split('\n').filter((l) => l.startsWith('examples/app/serve.py:')).length;
    assert.ok(printed >= 7, r.stdout);
    assert.match(r.stdout, new RegExp(`1 file\\(s\\) analysed, ${printed} finding\\(s\\)`));
  });
});
