import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { readModelFile } from '../../server/src/onnx/reader';
import { inferShapes } from '../../server/src/onnx/shapes';
import { computeSummary, modelCost } from '../../server/src/onnx/cost';
import { summarize, summaryMarkdown } from '../../server/src/onnx/summary';
import { allGraphs } from '../../server/src/onnx/model';
import { DIST, REPO, SHARED_MODELS } from '../helpers/paths';
import { pythonShapes, pythonWithOnnx } from '../helpers/pythonOnnx';

interface RefModel {
  file: string; params: number; macs?: number; referenceDims?: number[][]; inputs?: Array<{ name: string; shape: Array<string | number> }>;
  feed?: Record<string, { dims: number[] }>;
}
const REF = JSON.parse(fs.readFileSync(path.join(SHARED_MODELS, 'reference.json'), 'utf8')) as { models: Record<string, RefModel> };

/**
 * The dims reference.json measured at, as symbolic-dim values: `referenceDims` for the first input, or
 * the `feed` it ran the model with (silero_vad needs its 1536-sample window: at the default 128
 * samples its 8 kHz branch convolves 4 frames with a 7-wide kernel, which no runtime accepts either).
 */
function refDims(r: RefModel): Record<string, number> {
  const out: Record<string, number> = {};
  const shape = r.inputs?.[0]?.shape ?? [];
  const vals = r.referenceDims?.[0] ?? [];
  shape.forEach((d, i) => { if (typeof d === 'string') out[d] = vals[i]; });
  if (r.feed) {
    const m = readModelFile(path.join(SHARED_MODELS, r.file));
    for (const input of m.graph.inputs) {
      const fed = r.feed[input.name]?.dims;
      input.shape?.forEach((d, i) => { if (typeof d === 'string' && fed?.[i] !== undefined) out[d] = fed[i]; });
    }
  }
  return out;
}

describe('model cost on the shared models', () => {
  for (const [name, r] of Object.entries(REF.models)) {
    it(`${name}: every op inferred, every shape known, params exact${r.macs ? ', MACs within 2% of reference.json' : ''}`, () => {
      const m = readModelFile(path.join(SHARED_MODELS, r.file));
      const dims = refDims(r);
      const c = modelCost(m, dims);
      assert.deepStrictEqual(c.unknownOps, []);
      assert.strictEqual(c.incomplete, undefined);
      // Nodes of an If branch that does not run at these dims are not inferred (nor counted).
      for (const nc of c.nodes.filter((x) => x.counted)) {
        for (const s of nc.outputShapes) assert.ok(s && s.every((d) => typeof d === 'number'), `${nc.graph}#${nc.index} ${nc.opType} ${nc.node.name}: ${JSON.stringify(s)}`);
      }
      assert.strictEqual(c.params, r.params);
      if (r.macs) {
        const err = Math.abs(c.macs - r.macs) / r.macs;
        assert.ok(err <= 0.02, `macs ${c.macs} vs reference ${r.macs} (${(err * 100).toFixed(2)}%)`);
      }
      assert.ok(c.flops >= 2 * c.macs);
      assert.ok(c.peakActivationBytes > 0 && c.peakActivationBytes <= c.activationBytes);
      for (const k of Object.keys(dims)) assert.strictEqual(c.dimsUsed[k], dims[k]);
    });
  }

  it("torchvision's published GFLOPS are MACs: mobilenet_v2 0.30, squeezenet1_1 0.35 match macs, not flops", () => {
    for (const [file, published] of [['mobilenet_v2.onnx', 0.30], ['squeezenet1_1.onnx', 0.35]] as const) {
      const c = modelCost(readModelFile(path.join(SHARED_MODELS, file)), { batch: 1 });
      assert.strictEqual(Math.round(c.macs / 1e7) / 100, published, `${file}: macs ${c.macs}`);
      assert.notStrictEqual(Math.round(c.flops / 1e7) / 100, published, `${file}: flops ${c.flops} would be 2× the table`);
      assert.ok(Math.abs(c.flops / 1e9 - 2 * published) < 0.05);
    }
  });

  it('the hover summary shows MACs per inference at the dims used', () => {
    const m = readModelFile(path.join(SHARED_MODELS, 'bert_small_like.onnx'));
    const md = summaryMarkdown('bert', { ...summarize(m), ...computeSummary(modelCost(m, { seq: 64 })) });
    assert.match(md, /- Compute: [\d.]+ MMACs \([\d.]+ MFLOPs\) per inference at batch=1, seq=64 · peak activations/);
    assert.doesNotMatch(summaryMarkdown('bert', summarize(m)), /Compute/);
  });

  it('counts LSTM gates, attention matmuls and embedding lookups the way the reference does', () => {
    const lstm = modelCost(readModelFile(path.join(SHARED_MODELS, 'lstm_classifier.onnx')), { batch: 1, seq: 128 });
    assert.strictEqual(lstm.opTypes.LSTM.macs, 117440512);
    const bert = modelCost(readModelFile(path.join(SHARED_MODELS, 'bert_small_like.onnx')), { batch: 1, seq: 128 });
    assert.strictEqual(bert.opTypes.Gather.macs, 0); // the embedding lookup moves bytes, it multiplies nothing
    // Scaling seq scales the projections linearly and QKᵀ/AV quadratically.
    const bert256 = modelCost(readModelFile(path.join(SHARED_MODELS, 'bert_small_like.onnx')), { batch: 1, seq: 256 });
    assert.ok(bert256.macs > 2 * bert.macs);
  });

  it('agrees with onnx.shape_inference on every shared model', function () {
    this.timeout(120000);
    const py = pythonWithOnnx();
    if (!py) this.skip();
    for (const r of Object.values(REF.models)) {
      const file = path.join(SHARED_MODELS, r.file);
      const inf = inferShapes(readModelFile(file), refDims(r));
      const ref = pythonShapes(py!, file, inf.dimsUsed);
      let compared = 0;
      for (const [name, v] of Object.entries(ref)) {
        if (v.shape.some((d) => d === null)) continue;
        assert.deepStrictEqual(inf.values.get(name)?.shape, v.shape, `${r.file}: ${name}`);
        assert.strictEqual(inf.values.get(name)?.elemType, v.elemType, `${r.file}: type of ${name}`);
        compared++;
      }
      const total = [...allGraphs(readModelFile(file).graph)].reduce((s, g) => s + g.nodes.length, 0);
      assert.ok(compared > 0 || total < 10, `${r.file}: nothing compared`);
    }
  });

  it('CLI analyze: macs, flops, memory, op types and dims per model; per-node detail with --detail', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'analyze', ...a], { cwd: REPO, encoding: 'utf8' });
    const r = run(path.join(SHARED_MODELS, 'bert_small_like.onnx'), '--format', 'json', '--dims', 'batch=2,seq=64');
    assert.strictEqual(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout).files[0].model;
    for (const k of ['macs', 'flops', 'activationBytes', 'peakActivationBytes', 'opTypes', 'unknownOps', 'dims']) assert.ok(k in m, k);
    assert.deepStrictEqual(m.dims, { batch: 2, seq: 64 });
    assert.strictEqual(m.nodeCosts, undefined);
    assert.deepStrictEqual(Object.keys(m.opTypes.MatMul).sort(), ['count', 'flops', 'macs', 'params']);
    const d = JSON.parse(run(path.join(SHARED_MODELS, 'mlp_mnist_like.onnx'), '--format', 'json', '--detail').stdout).files[0].model;
    assert.strictEqual(d.nodeCosts.length, 5);
    assert.deepStrictEqual(d.nodeCosts[0].outputShapes, [[1, 512]]);
    assert.strictEqual(d.nodeCosts.reduce((s: number, n: { macs: number }) => s + n.macs, 0), 535040);
    const t = run(path.join(SHARED_MODELS, 'squeezenet1_1.onnx'));
    assert.match(t.stdout, /compute: 349\.15 MMACs \([\d.]+ MFLOPs\) per inference; peak activations [\d.]+ MiB/);
    assert.match(t.stdout, /dims: +batch=1/);
  });
});
