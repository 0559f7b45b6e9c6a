/** Conversions of the larger shared models: BERT-like (int8, int4, fp16), MobileNetV2 and SqueezeNet (static int8). */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { DataType } from '../../server/src/onnx/model';
import { seededFloats } from '../../server/src/onnx/builder';
import { compareModels } from '../../server/src/quantize/ab';
import { quantizeModel } from '../../server/src/quantize/convert';
import { readNpy } from '../../server/src/quantize/samples';
import { convertAndCheck, npy } from '../helpers/quantize';
import { SHARED_MODELS } from '../helpers/paths';
import { estimateOf } from '../helpers/estimate';

const shared = (name: string): string => path.join(SHARED_MODELS, name);

describe('quantization of the shared models', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-quant-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('int8 dynamic: BERT-like MatMuls, Gemms and embeddings, under 0.3× the size', async () => {
    const { summary, out } = await convertAndCheck(dir, shared('bert_small_like.onnx'), { method: 'int8-dynamic' }, 0.99);
    assert.ok(summary.sizeRatio <= 0.3, `size ratio ${summary.sizeRatio}`);
    const m = readModelFile(out);
    const ops = m.graph.nodes.map((n) => `${n.domain}.${n.opType}`);
    assert.ok(ops.filter((o) => o === 'com.microsoft.DynamicQuantizeMatMul').length >= 12);
    assert.ok(ops.includes('.DequantizeLinear'), 'embedding tables are quantized (Gather + DequantizeLinear)');
    assert.ok(!m.graph.nodes.some((n) => n.opType === 'MatMul' && m.graph.initializers.some((i) => i.name === n.inputs[1])), 'no float MatMul weight is left');
    // priced as quantized: the same MACs, nearly all int8, a faster estimate, and no int8 what-if
    const base = estimateOf(shared('bert_small_like.onnx')), q = estimateOf(out);
    assert.strictEqual(q.macs, base.macs);
    assert.ok((q.byPrecision.int8 ?? 0) > 0.9 * q.macs, JSON.stringify(q.byPrecision));
    assert.ok(q.report.perf.p95Ms < base.report.perf.p95Ms / 1.5, `estimate p95 ${q.report.perf.p95Ms} vs ${base.report.perf.p95Ms}`);
    assert.ok(base.report.int8 && !q.report.int8);
  });

  it('int4 MatMulNBits: at most 0.2× the MatMul weight bytes, cosine ≥ 0.98', async () => {
    const src = readModelFile(shared('bert_small_like.onnx'));
    const { summary, out } = await convertAndCheck(dir, shared('bert_small_like.onnx'), { method: 'int4-weight', blockSize: 32 }, 0.98);
    const converted = new Set(summary.converted.map((c) => c.weight));
    const before = src.graph.initializers.filter((t) => converted.has(t.name)).reduce((a, t) => a + t.byteLength, 0);
    const m = readModelFile(out);
    const after = m.graph.initializers.filter((t) => [...converted].some((w) => t.name.startsWith(`${w}_`))).reduce((a, t) => a + t.byteLength, 0);
    assert.ok(after / before <= 0.2, `int4 weights are ${(after / before).toFixed(3)}× the float ones`);
    const nb = m.graph.nodes.filter((n) => n.opType === 'MatMulNBits');
    assert.ok(nb.length >= 12);
    const a = nb[0].attributes;
    assert.deepStrictEqual(['K', 'N', 'bits', 'block_size', 'accuracy_level'].map((k) => a.has(k)), [true, true, true, true, true]);
  });

  it('fp16 keeps float32 inputs and outputs and halves the size', async () => {
    const { summary, out } = await convertAndCheck(dir, shared('bert_small_like.onnx'), { method: 'fp16' }, 0.999);
    assert.ok(summary.sizeRatio > 0.45 && summary.sizeRatio < 0.55, `fp16 size ratio ${summary.sizeRatio}`);
    const m = readModelFile(out);
    assert.ok(m.graph.inputs.every((v) => v.elemType === DataType.INT64));
    assert.ok(m.graph.outputs.every((v) => v.elemType === DataType.FLOAT), 'keep_io_types');
    assert.ok(m.graph.nodes.some((n) => n.opType === 'Cast'), 'casts at the boundaries');
  });

  it('static int8 QDQ on MobileNetV2 with synthetic calibration says so, and agrees', async () => {
    const { summary, out } = await convertAndCheck(dir, shared('mobilenet_v2.onnx'), { method: 'int8-static', calibrationSamples: 4 }, 0.99);
    assert.strictEqual(summary.calibration?.source, 'synthetic');
    assert.ok(summary.notes.some((n) => /SYNTHETIC/.test(n)));
    const m = readModelFile(out);
    assert.ok(m.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length > 50);
    assert.strictEqual(summary.convertedByOp.Conv, 52);
    assert.ok(summary.sizeRatio < 0.3);
    const base = estimateOf(shared('mobilenet_v2.onnx')), q = estimateOf(out);
    assert.ok((q.byPrecision.int8 ?? 0) > 0.9 * q.macs, JSON.stringify(q.byPrecision));
    assert.ok(q.report.perf.p95Ms < base.report.perf.p95Ms, `estimate p95 ${q.report.perf.p95Ms} vs ${base.report.perf.p95Ms}`);
    assert.ok(base.report.int8 && !q.report.int8);
  });

  it('static int8 with percentile calibration on real .npy samples', async () => {
    const calib = path.join(dir, 'calib');
    for (let s = 0; s < 2; s++) {
      fs.mkdirSync(path.join(calib, `s${s}`), { recursive: true });
      fs.writeFileSync(path.join(calib, `s${s}`, 'input.npy'), npy(seededFloats(3 * 224 * 224, 40 + s, 1), [1, 3, 224, 224]));
    }
    assert.deepStrictEqual(readNpy(path.join(calib, 's0', 'input.npy')).dims, [1, 3, 224, 224]);
    const { summary } = await convertAndCheck(dir, shared('squeezenet1_1.onnx'), { method: 'int8-static', calibrationDir: calib, calibrationMethod: 'percentile', percentile: 99.99 }, 0.98);
    assert.strictEqual(summary.calibration?.source, 'real');
    assert.strictEqual(summary.calibration?.samples, 2);
    assert.match(summary.calibration!.method, /percentile/);
  });

  it('cancellation stops the conversion and leaves no file behind', async () => {
    const out = path.join(dir, 'cancelled.onnx');
    const ac = new AbortController();
    const p = quantizeModel(shared('bert_small_like.onnx'), { method: 'int8-dynamic', out, signal: ac.signal });
    setImmediate(() => ac.abort(new Error('cancelled by test')));
    await assert.rejects(p, /cancelled by test/);
    assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.startsWith('cancelled')), []);
  });

  it('cancellation kills the model process of an A/B run', async () => {
    const ac = new AbortController();
    const p = compareModels(shared('mobilenet_v2.onnx'), shared('squeezenet1_1.onnx'), { signal: ac.signal, benchSeconds: 30 });
    setTimeout(() => ac.abort(new Error('stop')), 300);
    await assert.rejects(p, /stop/);
  });
});
