/**
 * A quantized model is priced as quantized: the MLP converted by our own quantizer (int8 dynamic, static
 * int8 QDQ, int4 weight-only, fp16) is read back, and its estimate must rest on the arithmetic it really
 * runs (int8 MACs at the int8 peak, the weights at their stored bytes) and offer only the what-ifs that
 * still apply. `npm run test:models` does the same on the shared BERT-like encoder.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { quantizeModel, Method } from '../../server/src/quantize/convert';
import { readModelFile } from '../../server/src/onnx/reader';
import { modelCost } from '../../server/src/onnx/cost';
import { countNodes } from '../../server/src/onnx/shapes';
import { costJson, costMarkdown } from '../../server/src/cost/report';
import { estimateOf } from '../helpers/estimate';
import { testModel } from '../helpers/testModels';

describe('quantized models priced as quantized (our own quantizer on the MLP)', function () {
  this.timeout(60000);
  let dir: string;
  const mlp = testModel('mlp_mnist_like.onnx');
  const out: Partial<Record<Method, string>> = {};
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-qcost-'));
    for (const method of ['int8-dynamic', 'int8-static', 'int4-weight', 'fp16'] as const) {
      out[method] = path.join(dir, `mlp.${method}.onnx`);
      await quantizeModel(mlp, { method, out: out[method], calibrationSamples: 4 });
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the float32 original: every MAC in fp32, the int8 what-if offered, no fp16 what-if on a CPU instance', () => {
    const e = estimateOf(mlp);
    assert.deepStrictEqual(e.byPrecision, { fp32: e.macs });
    assert.ok(e.report.int8 && e.report.int8.speedup > 1);
    assert.strictEqual(e.report.fp16, undefined);
    assert.ok(costJson(e.report).int8Estimate);
  });

  for (const method of ['int8-dynamic', 'int8-static'] as const) {
    it(`${method}: the same MACs, all int8, a faster estimate, and no int8 what-if`, () => {
      const base = estimateOf(mlp);
      const q = estimateOf(out[method]!);
      assert.strictEqual(q.macs, base.macs, 'quantizing changes the arithmetic, not the work');
      // int8-dynamic leaves the 10-wide output layer in float32 (too small to pay): 0.5 % of the MACs
      assert.ok((q.byPrecision.int8 ?? 0) > 0.99 * base.macs, JSON.stringify(q.byPrecision));
      assert.ok(q.report.work.weightBytes < base.report.work.weightBytes / 3, 'int8 weights read at their stored size');
      assert.ok(q.report.perf.p95Ms < base.report.perf.p95Ms, `${q.report.perf.p95Ms} vs ${base.report.perf.p95Ms}`);
      assert.strictEqual(q.report.int8, undefined);
      assert.strictEqual(costJson(q.report).int8Estimate, undefined);
      assert.doesNotMatch(costMarkdown('mlp', q.report), /int8 quantization/, 'the hover offers no int8 what-if');
      assert.match(costMarkdown('mlp', base.report), /int8 quantization \*\(estimate, ×2\)\*/);
      if (method === 'int8-static') {
        // the DequantizeLinear nodes ORT folds into QLinear kernels neither run nor write their float output
        const g = readModelFile(out[method]!).graph;
        const intoGemm = new Set(g.nodes.filter((n) => n.opType === 'Gemm').flatMap((n) => n.inputs));
        const folded = g.nodes.filter((n) => n.opType === 'DequantizeLinear' && intoGemm.has(n.outputs[0])).length;
        assert.ok(folded >= 6, String(folded));
        assert.strictEqual(q.report.work.nodes, g.nodes.length - folded);
      }
    });
  }

  it('int4 weight-only (MatMulNBits): weights an eighth, compute at the precision its accuracy_level gives', () => {
    const base = estimateOf(mlp);
    const q = estimateOf(out['int4-weight']!);
    const node = readModelFile(out['int4-weight']!).graph.nodes.find((n) => n.opType === 'MatMulNBits')!;
    const level = node.attributes.get('accuracy_level');
    const int8Compute = level?.kind === 'int' && level.value === 4;
    assert.ok((q.byPrecision[int8Compute ? 'int8' : 'fp32'] ?? 0) > base.macs / 2, JSON.stringify(q.byPrecision));
    assert.ok(q.report.work.weightBytes < base.report.work.weightBytes / 4);
    assert.ok(q.report.perf.p95Ms < base.report.perf.p95Ms);
  });

  it('fp16: MACs in fp16, weights halved; int8 still offered (it applies to a float model)', () => {
    const base = estimateOf(mlp);
    const h = estimateOf(out.fp16!);
    assert.strictEqual(h.byPrecision.fp16, base.macs);
    assert.ok(Math.abs(h.report.work.weightBytes - base.report.work.weightBytes / 2) < base.report.work.weightBytes * 0.01);
    assert.ok(h.report.int8);
    assert.strictEqual(h.report.fp16, undefined);
  });
});

describe('the per-node overhead pays for the nodes that run', () => {
  it('Silero VAD: the If branch not taken and Constant nodes are not paid for', () => {
    const file = testModel('silero_vad.onnx');
    const e = estimateOf(file);
    const cost = modelCost(readModelFile(file));
    const running = cost.nodes.filter((nc) => nc.counted && nc.opType !== 'Constant').length;
    assert.strictEqual(e.report.work.nodes, running);
    assert.ok(running < countNodes(readModelFile(file)) / 2, `${running} of ${countNodes(readModelFile(file))}`);
  });
});
