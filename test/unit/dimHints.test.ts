/** Dims the model says about itself (metadata_props), and where each dim used came from (onnx/hints.ts). */
import * as assert from 'assert';
import { onnx } from 'onnx-proto';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { modelCost } from '../../server/src/onnx/cost';
import { metadataDims, parseSize } from '../../server/src/onnx/hints';
import { testModel } from '../helpers/testModels';
import { readModelFile } from '../../server/src/onnx/reader';

const F = DataType.FLOAT;

function cnn(meta: Record<string, string>, input: Array<string | number | null> = ['batch', 3, 'height', 'width']): onnx.IModelProto {
  const m = model({
    nodes: [node('Conv', ['images', 'w'], ['y'], { kernel_shape: [3, 3] })],
    initializers: [floatTensor('w', [8, 3, 3, 3], seededFloats(8 * 27, 3))],
    inputs: [valueInfo('images', F, input)], outputs: [{ name: 'y' }],
  });
  return { ...m, metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })) };
}

describe('dims from the model itself (metadata_props) and where each dim came from', () => {
  it('parses the sizes exporters write', () => {
    assert.deepStrictEqual(parseSize('[640, 640]'), [640, 640]);
    assert.deepStrictEqual(parseSize('(480, 640)'), [480, 640]);
    assert.deepStrictEqual(parseSize('320'), [320]);
    assert.deepStrictEqual(parseSize('480x640'), [480, 640]);
    assert.strictEqual(parseSize('{"names": 1}'), undefined);
    assert.strictEqual(parseSize('-3'), undefined);
  });

  it('imgsz (as Ultralytics writes it) sizes an image input, NCHW or NHWC, named or unnamed dims', () => {
    const m = readModelBuffer(encodeModel(cnn({ imgsz: '[320, 480]', batch: '1', stride: '32' })));
    const c = modelCost(m);
    assert.deepStrictEqual(c.dimsUsed, { batch: 1, height: 320, width: 480 });
    assert.strictEqual(c.dimSources.height, 'metadata_props imgsz=[320, 480]');
    assert.strictEqual(c.dimSources.batch, 'metadata_props batch=1');
    assert.strictEqual(c.macs, 8 * 27 * 318 * 478);
    const nhwc = readModelBuffer(encodeModel(cnn({ img_size: '256' }, [null, null, null, 3])));
    assert.deepStrictEqual(metadataDims(nhwc).dims, { 'images[1]': 256, 'images[2]': 256 });
  });

  it('dims the user sets win over the metadata; a default stays a default and says so', () => {
    const m = readModelBuffer(encodeModel(cnn({ imgsz: '[320, 480]' })));
    const c = modelCost(m, { height: 64 });
    assert.deepStrictEqual([c.dimsUsed.height, c.dimsUsed.width], [64, 480]);
    assert.deepStrictEqual(c.dimSources, { batch: 'default', height: 'set', width: 'metadata_props imgsz=[320, 480]' });
  });

  it('sample_rate sets a scalar sr input; without it Silero says its sr and window are defaults it chose', () => {
    const vad = readModelFile(testModel('silero_vad.onnx'));
    const c = modelCost(vad);
    assert.strictEqual(c.dimSources.sr, 'default sample rate');
    assert.match(c.dimSources.sequence, /fitted/);
    const with8k = { ...vad, metadata: { sample_rate: '8000' } };
    const c8 = modelCost(with8k);
    assert.strictEqual(c8.dimsUsed.sr, 8000);
    assert.strictEqual(c8.dimSources.sr, 'metadata_props sample_rate=8000');
  });

  it("a classifier head's weight fixes the image size: Flatten → Gemm trained on 28 × 28 is found, and a set size that does not fit is reported", () => {
    const m = readModelBuffer(encodeModel(model({
      nodes: [node('Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3] }), node('Flatten', ['c'], ['f']), node('Gemm', ['f', 'g'], ['y'], { transB: 1 })],
      initializers: [floatTensor('w', [8, 1, 3, 3], seededFloats(72, 1)), floatTensor('g', [10, 8 * 26 * 26], seededFloats(10 * 8 * 26 * 26, 2))],
      inputs: [valueInfo('x', F, ['N', 1, 'H', 'W'])], outputs: [{ name: 'y' }],
    })));
    const c = modelCost(m);
    assert.deepStrictEqual(c.dimsUsed, { N: 1, H: 28, W: 28 });
    assert.deepStrictEqual(c.degenerate, []);
    assert.strictEqual(c.macs, 8 * 9 * 26 * 26 + 10 * 8 * 26 * 26);
    assert.match(c.dimNotes.H, /28 × 28 is the first/);
    assert.strictEqual(c.dimSources.W, 'fitted: the default did not fit the model');
    const set = modelCost(m, { H: 32, W: 32 });
    assert.match(set.degenerate[0].message, /Gemm .*contract 7200 against 5408/);
  });
});
