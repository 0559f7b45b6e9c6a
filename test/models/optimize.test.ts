/**
 * "Optimize model" on every shared model: the original untouched, the copy passes python3-onnx's full
 * checker and agrees with the original (cosine ≥ 0.9999), and the fixable findings it targets are gone.
 * BERT-like: its four attention blocks fused into com.microsoft Attention; with --skip-layernorm and
 * ORT's saved graph too. GPT-2: its tanh GELUs fused into FastGelu.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runOptimization } from '../../server/src/bench/runner';
import { compareModels } from '../../server/src/quantize/ab';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { OPTIMIZE_MIN_COSINE } from '../../server/src/optimize/report';
import { checkModel, pythonWithOnnx } from '../helpers/pythonOnnx';
import { hash } from '../helpers/quantize';
import { SHARED_MODELS } from '../helpers/paths';

const FIXED = ['ONNX003', 'ONNX004', 'ONNX005', 'ONNX006', 'ONNX007', 'ONNX008'];

describe('optimize on the shared models', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-opt-models-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const models = fs.readdirSync(SHARED_MODELS).filter((f) => f.endsWith('.onnx')).sort();
  for (const f of models) {
    it(`${f}: checked, agreeing, its cleanup findings gone`, async () => {
      const src = path.join(SHARED_MODELS, f);
      const before = hash(src);
      const out = path.join(dir, f.replace(/\.onnx$/, '.opt.onnx'));
      await runOptimization(src, { out });
      assert.strictEqual(hash(src), before);
      if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
      const ab = await compareModels(src, out, { bench: false, count: 2 });
      assert.ok(ab.minCosine >= OPTIMIZE_MIN_COSINE, `${f}: cosine ${ab.minCosine}`);
      const left = analyzeModelFile(out, mergeConfig()).findings.filter((x) => FIXED.includes(x.rule));
      assert.deepStrictEqual(left.map((x) => `${x.rule} ${x.message}`), []);
    });
  }

  it('bert_small_like: 4 attention blocks fused into com.microsoft Attention, outputs agree at batch 2, seq 128', async () => {
    const src = path.join(SHARED_MODELS, 'bert_small_like.onnx');
    const s = await runOptimization(src, { out: path.join(dir, 'bert.attention.onnx'), only: ['ONNX009'] });
    assert.strictEqual(s.opsAfter['com.microsoft.Attention'], 4);
    assert.strictEqual(s.opsAfter.Softmax, undefined);
    assert.match(s.passes.map((p) => p.notes.join(' ')).join(' '), /fused 4 multi-head attention blocks/);
    if (pythonWithOnnx()) assert.strictEqual(checkModel(s.output), null);
    const ab = await compareModels(src, s.output, { bench: false, count: 2, dims: { batch: 2, seq: 128 } });
    for (const o of ab.outputs) assert.ok(o.cosine >= OPTIMIZE_MIN_COSINE && o.maxAbsError < 1e-4, `${o.name}: cosine ${o.cosine}, max abs ${o.maxAbsError}`);
    const left = analyzeModelFile(s.output, mergeConfig()).findings.filter((x) => x.rule === 'ONNX009');
    assert.deepStrictEqual(left.map((x) => x.message), []);
  });

  it('decoder_gpt2_tiny: 4 tanh GELUs fused into com.microsoft FastGelu, outputs agree', async () => {
    const src = path.join(SHARED_MODELS, 'decoder_gpt2_tiny.onnx');
    const s = await runOptimization(src, { out: path.join(dir, 'gpt2.gelu.onnx'), only: ['ONNX009'] });
    assert.strictEqual(s.opsAfter['com.microsoft.FastGelu'], 4);
    assert.strictEqual(s.opsAfter.Tanh, undefined);
    assert.ok((await compareModels(src, s.output, { bench: false, count: 2 })).minCosine >= OPTIMIZE_MIN_COSINE);
  });

  it('ppocr_v4_det (real, opset 11): upgraded to opset 17, checked, agreeing, its ONNX010 finding gone', async () => {
    const src = path.join(SHARED_MODELS, 'ppocr_v4_det.onnx');
    const s = await runOptimization(src, { out: path.join(dir, 'ppocr.op17.onnx'), only: ['ONNX010'] });
    assert.match(s.passes[0].notes[0], /opset 11 → 17/);
    assert.strictEqual(s.nodesAfter, s.nodesBefore, 'its ops (Clip-11, Resize-11, BatchNormalization, ...) kept their meaning: only the version changes');
    if (pythonWithOnnx()) assert.strictEqual(checkModel(s.output), null);
    const ab = await compareModels(src, s.output, { bench: false, count: 1 });
    for (const o of ab.outputs) assert.ok(o.cosine >= OPTIMIZE_MIN_COSINE && o.maxAbsError < 1e-4, `${o.name}: cosine ${o.cosine}, max abs ${o.maxAbsError}`);
    assert.deepStrictEqual(analyzeModelFile(s.output, mergeConfig()).findings.filter((x) => x.rule === 'ONNX010'), []);
  });

  it('bert_small_like with --skip-layernorm: 9 SkipLayerNormalization, same outputs; --ort: ORT\'s extended graph', async () => {
    const src = path.join(SHARED_MODELS, 'bert_small_like.onnx');
    const s = await runOptimization(src, { out: path.join(dir, 'bert.skip.onnx'), skipLayerNorm: true });
    assert.strictEqual(s.opsAfter['com.microsoft.SkipLayerNormalization'], 9);
    assert.strictEqual(s.opsAfter['com.microsoft.Gelu'], 4);
    assert.ok((await compareModels(src, s.output, { bench: false, count: 2 })).minCosine >= OPTIMIZE_MIN_COSINE);
    const o = await runOptimization(src, { out: path.join(dir, 'bert.ort.onnx'), ort: true });
    assert.ok(o.nodesAfter < o.nodesBefore / 1.5, `${o.nodesBefore} → ${o.nodesAfter}`);
    assert.ok((await compareModels(src, o.output, { bench: false, count: 2 })).minCosine >= OPTIMIZE_MIN_COSINE);
  });
});
