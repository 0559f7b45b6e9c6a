/**
 * Conversions on the shared real models: every output loads in onnxruntime-node (in the worker
 * process), agrees with the original within the goal, passes python3-onnx's full checker when
 * installed, and the original file is untouched.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { compareModels } from '../../server/src/quantize/ab';
import { quantizeModel, QuantizeOptions } from '../../server/src/quantize/convert';
import { quantizeGuided } from '../../server/src/quantize/guided';
import { quantizeInt4, quantizeInt4KN, quantizeInt8, transpose } from '../../server/src/quantize/math';
import { floatToHalf, halfToFloat } from '../../server/src/quantize/tensorData';
import { parseCpuInfo } from '../../server/src/quantize/cpu';
import { readNpy } from '../../server/src/quantize/samples';
import { checkModel, pythonWithOnnx } from '../helpers/pythonOnnx';
import { SHARED_MODELS } from '../helpers/paths';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';

/** Rules about waste in the file: a conversion of ours must not add a finding of these to a model. */
const WASTE_RULES = ['ONNX000', 'ONNX004', 'ONNX005', 'ONNX006', 'ONNX007', 'ONNX008'];
const wasteFindings = (file: string): Set<string> =>
  new Set(analyzeModelFile(file, mergeConfig()).findings.filter((f) => WASTE_RULES.includes(f.rule)).map((f) => `${f.rule} ${f.message.replace(/'[^']*'/g, '…')}`));

const hash = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const shared = (name: string): string => path.join(SHARED_MODELS, name);

describe('quantization arithmetic', () => {
  it('int8 per-tensor and per-column codes reconstruct within half a step', () => {
    const w = seededFloats(64 * 32, 3, 0.5);
    for (const axis of [null, 1] as const) {
      for (const signed of [true, false]) {
        const q = quantizeInt8(w, 64, 32, axis, signed, false);
        for (let i = 0; i < w.length; i++) {
          const g = axis === 1 ? i % 32 : 0;
          const code = signed ? (q.codes[i] << 24) >> 24 : q.codes[i];
          const zp = signed ? (q.zeroPoints[g] << 24) >> 24 : q.zeroPoints[g];
          const back = (code - zp) * q.scales[g];
          assert.ok(Math.abs(back - w[i]) <= q.scales[g] / 2 + 1e-7, `axis ${axis} signed ${signed} at ${i}`);
        }
      }
    }
    // reduce_range uses 7 bits: codes stay within ±63
    const r = quantizeInt8(w, 64, 32, null, true, true);
    for (const c of r.codes) assert.ok(Math.abs((c << 24) >> 24) <= 63);
  });

  it('int4 blocks pack two codes per byte, low nibble first, and reconstruct within half a step', () => {
    const n = 3, k = 70, bs = 32; // K not a multiple of the block: the tail is padded
    const wt = seededFloats(n * k, 9, 1);
    for (const symmetric of [true, false]) {
      const q = quantizeInt4(wt, n, k, bs, symmetric);
      assert.strictEqual(q.kBlocks, 3);
      assert.strictEqual(q.packed.length, n * 3 * 16);
      for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) {
        const b = Math.floor(j / bs), within = j % bs;
        const byte = q.packed[(r * 3 + b) * 16 + (within >> 1)];
        const code = within & 1 ? byte >> 4 : byte & 15;
        const zp = symmetric ? 8 : (q.zeroPoints![r * 2 + (b >> 1)] >> ((b & 1) * 4)) & 15;
        const s = q.scales[r * 3 + b];
        assert.ok(Math.abs((code - zp) * s - wt[r * k + j]) <= s / 2 + 1e-6);
      }
    }
  });

  it('int4 from the [K, N] layout equals int4 from the transposed [N, K] one', () => {
    const k = 70, n = 5;
    const w = seededFloats(k * n, 11, 1);
    for (const symmetric of [true, false]) {
      const a = quantizeInt4KN(w, k, n, 32, symmetric), b = quantizeInt4(transpose(w, k, n), n, k, 32, symmetric);
      assert.deepStrictEqual([a.packed, a.scales, a.zeroPoints], [b.packed, b.scales, b.zeroPoints]);
    }
  });

  it('float16 conversion rounds to nearest and saturates instead of overflowing', () => {
    assert.strictEqual(floatToHalf(1), 0x3c00);
    assert.strictEqual(floatToHalf(-2), 0xc000);
    assert.strictEqual(floatToHalf(65504), 0x7bff);
    assert.strictEqual(floatToHalf(1e6), 0x7bff);
    assert.strictEqual(halfToFloat(floatToHalf(0.1)), 0.0999755859375);
    assert.strictEqual(halfToFloat(floatToHalf(2 ** -20)), 2 ** -20); // subnormal
  });

  it('reads CPU features from /proc/cpuinfo text', () => {
    assert.strictEqual(parseCpuInfo('model name\t: X\nflags\t\t: sse avx2 avx512_vnni\n').vnni, true);
    assert.strictEqual(parseCpuInfo('model name\t: X\nflags\t\t: sse avx2\n').vnni, false);
  });
});

describe('quantize models', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-quant-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function convertAndCheck(model: string, o: QuantizeOptions, minCosine: number) {
    const src = shared(model);
    const before = hash(src);
    const out = path.join(dir, `${path.basename(model, '.onnx')}.${o.method}.onnx`);
    const summary = await quantizeModel(src, { ...o, out });
    assert.strictEqual(hash(src), before, 'the original must be untouched');
    assert.ok(summary.nodesConverted > 0, 'something was converted');
    const ab = await compareModels(src, out, { bench: false, count: 3 });
    for (const x of ab.outputs) assert.ok(x.cosine >= minCosine, `${model} ${o.method} ${x.name}: cosine ${x.cosine} < ${minCosine}`);
    if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
    const had = wasteFindings(src);
    const added = [...wasteFindings(out)].filter((f) => !had.has(f));
    assert.deepStrictEqual(added, [], `${model} ${o.method}: findings the conversion caused`);
    return { summary, ab, out };
  }

  it('int8 dynamic: BERT-like MatMuls, Gemms and embeddings, under 0.3× the size', async () => {
    const { summary, out } = await convertAndCheck('bert_small_like.onnx', { method: 'int8-dynamic' }, 0.99);
    assert.ok(summary.sizeRatio <= 0.3, `size ratio ${summary.sizeRatio}`);
    const m = readModelFile(out);
    const ops = m.graph.nodes.map((n) => `${n.domain}.${n.opType}`);
    assert.ok(ops.filter((o) => o === 'com.microsoft.DynamicQuantizeMatMul').length >= 12);
    assert.ok(ops.includes('.DequantizeLinear'), 'embedding tables are quantized (Gather + DequantizeLinear)');
    assert.ok(!m.graph.nodes.some((n) => n.opType === 'MatMul' && m.graph.initializers.some((i) => i.name === n.inputs[1])), 'no float MatMul weight is left');
  });

  it('int8 dynamic per channel with uint8 weights on the MLP: top-1 agrees', async () => {
    const { ab, summary } = await convertAndCheck('mlp_mnist_like.onnx', { method: 'int8-dynamic', perChannel: true, signedWeights: false }, 0.99);
    assert.strictEqual(ab.outputs[0].top1Agreement, 1);
    assert.deepStrictEqual(summary.convertedByOp, { Gemm: 2 });
    assert.ok(summary.skipped.some((s) => /too small/.test(s.reason)), 'the 256×10 head is left float');
  });

  it('int4 MatMulNBits: at most 0.2× the MatMul weight bytes, cosine ≥ 0.98', async () => {
    const src = readModelFile(shared('bert_small_like.onnx'));
    const { summary, out } = await convertAndCheck('bert_small_like.onnx', { method: 'int4-weight', blockSize: 32 }, 0.98);
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

  it('int4 with zero points and block 128 also loads and agrees', async () => {
    await convertAndCheck('mlp_mnist_like.onnx', { method: 'int4-weight', blockSize: 128, symmetric: false, accuracyLevel: 1 }, 0.98);
  });

  it('fp16 keeps float32 inputs and outputs and halves the size', async () => {
    const { summary, out } = await convertAndCheck('bert_small_like.onnx', { method: 'fp16' }, 0.999);
    assert.ok(summary.sizeRatio > 0.45 && summary.sizeRatio < 0.55, `fp16 size ratio ${summary.sizeRatio}`);
    const m = readModelFile(out);
    assert.ok(m.graph.inputs.every((v) => v.elemType === DataType.INT64));
    assert.ok(m.graph.outputs.every((v) => v.elemType === DataType.FLOAT), 'keep_io_types');
    assert.ok(m.graph.nodes.some((n) => n.opType === 'Cast'), 'casts at the boundaries');
  });

  it('fp16 leaves blocked ops in float32 behind casts', async () => {
    // Resize is on the block list: its input is cast back to float32 and its output to fp16.
    const file = path.join(dir, 'resize.onnx');
    fs.writeFileSync(file, encodeModel(model({
      nodes: [node('Mul', ['x', 'w'], ['y']), node('Resize', ['y', '', 'scales'], ['z'], { mode: 'nearest' }), node('Relu', ['z'], ['out'])],
      initializers: [floatTensor('w', [1, 1, 4, 4], seededFloats(16, 2)), floatTensor('scales', [4], [1, 1, 2, 2])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 4, 4])], outputs: [valueInfo('out', DataType.FLOAT, [1, 1, 8, 8])],
    })));
    const out = path.join(dir, 'resize.fp16.onnx');
    const s = await quantizeModel(file, { method: 'fp16', out });
    assert.ok(s.skipped.some((x) => /Resize is on the fp16 block list/.test(x.reason)));
    const m = readModelFile(out);
    assert.strictEqual(m.graph.nodes.filter((n) => n.opType === 'Cast').length, 4); // x→16, y→32, z→16, out→32
    assert.strictEqual(m.graph.initializers.find((i) => i.name === 'scales')?.dataType, DataType.FLOAT);
    const ab = await compareModels(file, out, { bench: false, count: 2 });
    assert.ok(ab.minCosine > 0.999);
    if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
  });

  it('static int8 QDQ on MobileNetV2 with synthetic calibration says so, and agrees', async () => {
    const { summary, out } = await convertAndCheck('mobilenet_v2.onnx', { method: 'int8-static', calibrationSamples: 4 }, 0.99);
    assert.strictEqual(summary.calibration?.source, 'synthetic');
    assert.ok(summary.notes.some((n) => /SYNTHETIC/.test(n)));
    const m = readModelFile(out);
    assert.ok(m.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length > 50);
    assert.strictEqual(summary.convertedByOp.Conv, 52);
    assert.ok(summary.sizeRatio < 0.3);
  });

  it('static int8 with percentile calibration on real .npy samples', async () => {
    const calib = path.join(dir, 'calib');
    for (let s = 0; s < 2; s++) {
      fs.mkdirSync(path.join(calib, `s${s}`), { recursive: true });
      fs.writeFileSync(path.join(calib, `s${s}`, 'input.npy'), npy(seededFloats(3 * 224 * 224, 40 + s, 1), [1, 3, 224, 224]));
    }
    assert.deepStrictEqual(readNpy(path.join(calib, 's0', 'input.npy')).dims, [1, 3, 224, 224]);
    const { summary } = await convertAndCheck('squeezenet1_1.onnx', { method: 'int8-static', calibrationDir: calib, calibrationMethod: 'percentile', percentile: 99.99 }, 0.98);
    assert.strictEqual(summary.calibration?.source, 'real');
    assert.strictEqual(summary.calibration?.samples, 2);
    assert.match(summary.calibration!.method, /percentile/);
  });

  it('external data in and out: reads .onnx.data, writes one when asked', async () => {
    const src = shared('mlp_mnist_like_external.onnx');
    const beforeModel = hash(src), beforeData = hash(`${src}.data`);
    const out = path.join(dir, 'ext.int8.onnx');
    const s = await quantizeModel(src, { method: 'int8-dynamic', out });
    assert.strictEqual(s.dataFile, `${out}.data`, 'external in → external out');
    assert.ok(fs.statSync(out).size < 10_000);
    assert.deepStrictEqual([hash(src), hash(`${src}.data`)], [beforeModel, beforeData]);
    const ab = await compareModels(shared('mlp_mnist_like.onnx'), out, { bench: false, count: 2 });
    assert.ok(ab.minCosine > 0.99);
    if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
    const inline = path.join(dir, 'inline.int8.onnx');
    const s2 = await quantizeModel(src, { method: 'int8-dynamic', out: inline, externalData: false });
    assert.strictEqual(s2.dataFile, undefined);
    const forced = path.join(dir, 'forced.fp16.onnx');
    const s3 = await quantizeModel(shared('mlp_mnist_like.onnx'), { method: 'fp16', out: forced, externalData: true });
    assert.ok(s3.dataFile && fs.existsSync(s3.dataFile));
    const ab3 = await compareModels(shared('mlp_mnist_like.onnx'), forced, { bench: false, count: 2 });
    assert.ok(ab3.minCosine > 0.999);
  });

  it('refuses to overwrite the original', async () => {
    const src = shared('mlp_mnist_like.onnx');
    await assert.rejects(quantizeModel(src, { method: 'fp16', out: src }), /refusing to write/);
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

  it('accuracy-guided: keeps the most sensitive layers float to hold a strict goal', async () => {
    const src = shared('mlp_mnist_like.onnx');
    const out = path.join(dir, 'guided.onnx');
    // int4 on the two big layers, with a goal a plain int4 conversion misses.
    const plain = await quantizeModel(src, { method: 'int4-weight', out: path.join(dir, 'plain4.onnx') });
    const plainAb = await compareModels(src, plain.output, { bench: false, count: 4 });
    const goal = Math.min(0.99999, 1 - (1 - plainAb.minCosine) / 2);
    const g = await quantizeGuided(src, { method: 'int4-weight', out, goal, samples: 4 });
    assert.strictEqual(g.sensitivity.length, 2);
    assert.ok(g.sensitivity[0].cosine <= g.sensitivity[1].cosine, 'ranked most sensitive first');
    assert.ok(g.keptFloat.length >= 1, 'a layer stayed float');
    assert.strictEqual(g.keptFloat[0].layer, g.sensitivity[0].layer, 'the most sensitive one');
    assert.ok(g.summary.nodesConverted < 2);
    const ab = await compareModels(src, out, { bench: false, count: 4 });
    assert.ok(ab.minCosine >= goal - 1e-6, `guided result cosine ${ab.minCosine} vs goal ${goal}`);
  });
});

/** A little .npy writer for test samples (float32, C order). */
function npy(data: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1'); pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
