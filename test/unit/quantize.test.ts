/**
 * Conversions on the shared real models: every output loads in onnxruntime-node (in the worker
 * process), agrees with the original within the goal, passes python3-onnx's full checker when
 * installed, and the original file is untouched.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { compareModels } from '../../server/src/quantize/ab';
import { quantizeModel } from '../../server/src/quantize/convert';
import { quantizeGuided } from '../../server/src/quantize/guided';
import { quantizeInt4, quantizeInt4KN, quantizeInt8, transpose } from '../../server/src/quantize/math';
import { floatToHalf, halfToFloat } from '../../server/src/quantize/tensorData';
import { parseCpuInfo } from '../../server/src/quantize/cpu';
import { checkModel, pythonWithOnnx } from '../helpers/pythonOnnx';
import { testModel } from '../helpers/testModels';
import { convertAndCheck, hash } from '../helpers/quantize';

// The conversions of the larger shared models (BERT, MobileNetV2, SqueezeNet) run in test/models/quantize.test.ts.
const shared = testModel;

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

  it('int8 dynamic per channel with uint8 weights on the MLP: top-1 agrees', async () => {
    const { ab, summary } = await convertAndCheck(dir, shared('mlp_mnist_like.onnx'), { method: 'int8-dynamic', perChannel: true, signedWeights: false }, 0.99);
    assert.strictEqual(ab.outputs[0].top1Agreement, 1);
    assert.deepStrictEqual(summary.convertedByOp, { Gemm: 2 });
    assert.ok(summary.skipped.some((s) => /too small/.test(s.reason)), 'the 256×10 head is left float');
  });

  it('int4 with zero points and block 128 also loads and agrees', async () => {
    await convertAndCheck(dir, shared('mlp_mnist_like.onnx'), { method: 'int4-weight', blockSize: 128, symmetric: false, accuracyLevel: 1 }, 0.98);
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
