import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DIST, REPO, SHARED_MODELS } from '../helpers/paths';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI analyze on the shared models', () => {
  it('reports every shared model with exact parameter counts as JSON', () => {
    const r = cli('analyze', SHARED_MODELS, '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.strictEqual(out.tool, 'inference-lens');
    const ref = JSON.parse(fs.readFileSync(path.join(SHARED_MODELS, 'reference.json'), 'utf8'));
    for (const m of Object.values<{ file: string; params: number }>(ref.models)) {
      const f = out.files.find((x: { path: string }) => path.basename(x.path) === m.file);
      assert.ok(f, m.file);
      assert.strictEqual(f.kind, 'model');
      assert.strictEqual(f.model.params, m.params, m.file);
      for (const key of ['weightBytes', 'nodes', 'opCounts', 'inputs', 'outputs', 'opsets']) assert.ok(key in f.model, key);
    }
  });

  it('prints the text view, and model findings point at its lines (textViewLine)', () => {
    const model = path.join(SHARED_MODELS, 'bert_small_like.onnx');
    const view = cli('text-view', model);
    assert.strictEqual(view.code, 0, view.stderr);
    const lines = view.stdout.split('\n');
    assert.match(lines[0], /^<ir_version: 8, opset_import: \["" : 17\]/);
    const r = JSON.parse(cli('analyze', model, '--format', 'json').stdout);
    const d = r.files[0].diagnostics.find((x: { rule: string }) => x.rule === 'ONNX009');
    assert.strictEqual(d.textViewLine, d.range.start.line);
    assert.match(lines[d.textViewLine], /= Softmax /);
    const annotated = cli('text-view', model, '--findings').stdout;
    assert.match(annotated, /= Softmax .*\n\s+# {2}\^ information ONNX009: 4 decomposed attention blocks/);
    assert.strictEqual(cli('text-view').code, 2);
    const broken = cli('text-view', path.join(REPO, 'package.json'));
    assert.strictEqual(broken.code, 1);
    assert.match(broken.stderr, /package\.json/);
  });
});
