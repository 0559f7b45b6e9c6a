/** `inference-lens optimize`: JSON and text output, the A/B verdict, usage errors, the original kept. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli as cli } from '../helpers/cli';
import { fusionModel, oldOpsetModel, wasteModel } from '../helpers/optimizeModels';
import { hash } from '../helpers/quantize';

describe('CLI optimize', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-ocli-'));
    fs.writeFileSync(path.join(dir, 'waste.onnx'), wasteModel());
    fs.writeFileSync(path.join(dir, 'fusion.onnx'), fusionModel());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--format json: the passes, node counts, sizes, the A/B outputs and the verdict', () => {
    const src = path.join(dir, 'waste.onnx');
    const before = hash(src);
    const r = cli('optimize', src, '--format', 'json', '--no-bench');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.optimize.output, path.join(dir, 'waste.opt.onnx'));
    assert.deepStrictEqual([j.optimize.nodesBefore, j.optimize.nodesAfter], [14, 4]);
    assert.ok(j.optimize.passes.some((p: { rule: string; changed: number }) => p.rule === 'ONNX006' && p.changed === 1));
    assert.ok(j.ab.outputs[0].cosine >= 0.9999);
    assert.strictEqual(j.verdict, 'outputs agree (speed not measured)');
    assert.strictEqual(hash(src), before);
  });

  it('text output with --only: the one pass, then the A/B lines', () => {
    const r = cli('optimize', path.join(dir, 'fusion.onnx'), '--only', 'ONNX009', '--no-bench');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /fusion\.onnx → fusion\.onnx009\.onnx/);
    assert.match(r.stdout, /fused 1 LayerNorm into LayerNormalization/);
    assert.match(r.stdout, /fused 2 GELUs into com\.microsoft Gelu/);
    assert.match(r.stdout, /nodes 21 → 5/);
    assert.match(r.stdout, /min cosine 1\.0000|min cosine 0\.9999/);
    assert.doesNotMatch(r.stdout, /ONNX004/);
  });

  it('--ort saves the graph onnxruntime builds at the extended level, with what is portable and what is not', () => {
    const r = cli('optimize', path.join(dir, 'fusion.onnx'), '--ort', '--no-bench', '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.optimize.output, path.join(dir, 'fusion.ort.onnx'));
    assert.ok(j.optimize.nodesAfter < j.optimize.nodesBefore, 'onnxruntime fused the LayerNorm and the GELUs');
    assert.match(j.optimize.passes[0].notes.join(' '), /not portable: to other runtimes/);
    assert.ok(j.ab.outputs[0].cosine >= 0.9999);
    assert.strictEqual(cli('optimize', path.join(dir, 'fusion.onnx'), '--ort', '--only', 'ONNX004').code, 2);
  });

  it('usage errors: an unknown rule; refuses an opset upgrade it cannot do, and to write over the original', () => {
    const src = path.join(dir, 'waste.onnx');
    const old = path.join(dir, 'op11.onnx');
    fs.writeFileSync(old, oldOpsetModel({ opset: 11, softmaxAxis: 1 }));
    let r = cli('optimize', old, '--only', 'ONNX010', '--no-ab');
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /Softmax over other than the last axis/);
    assert.ok(!fs.existsSync(path.join(dir, 'op11.onnx010.onnx')), 'nothing written');
    r = cli('optimize', src, '--only', 'PY001');
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /no fix for 'PY001'/);
    r = cli('optimize', src, '--out', src, '--no-ab');
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /refusing to write/);
  });
});
