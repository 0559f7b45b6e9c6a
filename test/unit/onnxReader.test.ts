import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { readModelBuffer, readModelFile, OnnxReadError } from '../../server/src/onnx/reader';
import { summarize } from '../../server/src/onnx/summary';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { TEST_MODEL_PARAMS, testModel } from '../helpers/testModels';

function tinyModel(): Buffer {
  return encodeModel(model({
    nodes: [
      node('MatMul', ['x', 'w'], ['y']),
      node('Reshape', ['y', 'shape'], ['z']),
      node('Constant', [], ['c'], { value: floatTensor('c', [2, 2], [1, 2, 3, 4]) }),
      node('Constant', [], ['k'], { value_ints: [1, 2, 3] }),
    ],
    initializers: [floatTensor('w', [4, 3], seededFloats(12, 1)), int64Tensor('shape', [2], [-1, 3])],
    inputs: [valueInfo('x', DataType.FLOAT, ['batch', 4])],
    outputs: [valueInfo('z', DataType.FLOAT, ['batch', 3])],
  }));
}

describe('ONNX reader', () => {
  it('reads structure, shapes and tensor locations without reading weights', () => {
    const buf = tinyModel();
    const m = readModelBuffer(buf);
    assert.strictEqual(m.irVersion, 8);
    assert.deepStrictEqual(m.opsets, { '': 17 });
    assert.deepStrictEqual(m.graph.inputs, [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }]);
    assert.deepStrictEqual(m.graph.nodes.map((n) => n.opType), ['MatMul', 'Reshape', 'Constant', 'Constant']);
    const w = m.graph.initializers[0];
    assert.deepStrictEqual([w.name, w.dims, w.elements, w.byteLength], ['w', [4, 3], 12, 48]);
    assert.strictEqual(w.location?.encoding, 'raw');
    // The recorded offset really points at the weight bytes.
    const bytes = buf.subarray(w.location!.offset, w.location!.offset + w.location!.length);
    assert.deepStrictEqual(Array.from(new Float32Array(Uint8Array.from(bytes).buffer)), Array.from(seededFloats(12, 1)));
    assert.deepStrictEqual(m.problems, []);
  });

  it('agrees with onnx-proto on every field it reads', () => {
    const buf = tinyModel();
    const ref = onnx.ModelProto.decode(buf);
    const m = readModelBuffer(buf);
    assert.deepStrictEqual(m.graph.nodes.map((n) => [n.name, n.inputs, n.outputs]), ref.graph!.node!.map((n) => [n.name, n.input, n.output]));
    assert.deepStrictEqual(m.graph.initializers.map((t) => t.dims), ref.graph!.initializer!.map((t) => t.dims!.map(Number)));
    const shape = m.graph.initializers[1];
    assert.deepStrictEqual(Array.from(new BigInt64Array(Uint8Array.from(shape.inline!).buffer)), [-1n, 3n]);
  });

  it('counts parameters of initializers and Constant values', () => {
    const s = summarize(readModelBuffer(tinyModel()));
    assert.strictEqual(s.params, 12 + 2 + 4 + 3);
    assert.deepStrictEqual(s.opCounts, { Constant: 2, MatMul: 1, Reshape: 1 });
    assert.deepStrictEqual(s.weightBytesByType, { float: 64, int64: 16 });
  });

  it('matches the exact parameter count of every in-repository test model', () => {
    for (const [file, params] of Object.entries(TEST_MODEL_PARAMS)) assert.strictEqual(summarize(readModelFile(testModel(file))).params, params, file);
  });

  it('follows external data and reports it when missing', () => {
    const ext = readModelFile(testModel('mlp_mnist_like_external.onnx'));
    // onnx saves tensors under its size threshold inline, the rest in the .data file.
    assert.deepStrictEqual(ext.graph.initializers.map((t) => !!t.location?.external), [true, true, true, true, true, false]);
    assert.deepStrictEqual(ext.problems, []);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-'));
    fs.copyFileSync(testModel('mlp_mnist_like_external.onnx'), path.join(tmp, 'm.onnx'));
    const lost = readModelFile(path.join(tmp, 'm.onnx'));
    assert.ok(lost.problems.length > 0);
    assert.match(lost.problems[0].message, /external data file 'mlp_mnist_like_external\.onnx\.data' of tensor '.+' is missing/);
    fs.rmSync(tmp, { recursive: true });
  });

  it('ends a truncated or non-ONNX file in a clear error with its offset', () => {
    const buf = fs.readFileSync(testModel('mlp_mnist_like.onnx'));
    for (const cut of [10, 1000, Math.floor(buf.length / 2), buf.length - 3]) {
      assert.throws(() => readModelBuffer(buf.subarray(0, cut)), (e: unknown) => e instanceof OnnxReadError && /byte \d+/.test(e.message), `cut at ${cut}`);
    }
    assert.throws(() => readModelBuffer(Buffer.from('{"not": "onnx"}')), OnnxReadError);
    assert.throws(() => readModelBuffer(Buffer.alloc(0)), /empty/);
  });
});
