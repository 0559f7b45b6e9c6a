import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import {
  InputSignature, modelSignature, parseJsonInputs, parseNpy, readInputsFile, resolveShapes, synthesize, synthesizeForModel, toHalf,
} from '../../server/src/bench/inputs';
import { testModel } from '../helpers/testModels';
import { tempDir } from '../helpers/benchModels';

/** A .npy file as numpy writes it (format 1.0, header padded to a multiple of 64). */
function npy(descr: string, shape: number[], body: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.writeUInt8(0x93, 0); pre.write('NUMPY', 1, 'latin1'); pre.writeUInt8(1, 6); pre.writeUInt8(0, 7); pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('bench input synthesis', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const mlp = readModelFile(testModel('mlp_mnist_like.onnx'));
    const a = synthesizeForModel(mlp, { seed: 3 }).tensors[0].data as Float32Array;
    const b = synthesizeForModel(mlp, { seed: 3 }).tensors[0].data as Float32Array;
    const c = synthesizeForModel(mlp, { seed: 4 }).tensors[0].data as Float32Array;
    assert.deepStrictEqual(a, b);
    assert.notDeepStrictEqual(a, c);
    assert.ok(a.every((v) => v >= 0 && v < 1), 'floats in [0, 1)');
  });

  it('fills images in [0,1] at 224² and resolves named dims from settings', () => {
    const sig: InputSignature[] = [{ name: 'x', type: 'float32', shape: [1, 3, 'H', 'W'] }];
    const guessed = resolveShapes(sig);
    assert.deepStrictEqual(guessed.shapes[0], [1, 3, 224, 224]);
    assert.strictEqual(guessed.warnings.length, 2);
    const set = resolveShapes(sig, { dims: { H: 320, W: 640 } });
    assert.deepStrictEqual(set.shapes[0], [1, 3, 320, 640]);
    assert.deepStrictEqual(set.warnings, []);
  });

  it('names masks ones, token types zeros, positions a range, state zeros; batch only where the model has one', () => {
    const sig: InputSignature[] = [
      { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'token_type_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'position_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'state', type: 'float32', shape: [2, 'batch', 4] },
      { name: 'sr', type: 'int64', shape: [] },
    ];
    const s = synthesize(sig, { batch: 2, dims: { seq: 3 }, vocab: { input_ids: 5 } });
    const by = Object.fromEntries(s.tensors.map((t) => [t.name, t]));
    assert.strictEqual(s.batch, 2);
    assert.deepStrictEqual(by.attention_mask.dims, [2, 3]);
    assert.deepStrictEqual([...(by.attention_mask.data as BigInt64Array)], Array(6).fill(1n));
    assert.deepStrictEqual([...(by.token_type_ids.data as BigInt64Array)], Array(6).fill(0n));
    assert.deepStrictEqual([...(by.position_ids.data as BigInt64Array)], [0n, 1n, 2n, 0n, 1n, 2n]);
    assert.deepStrictEqual(by.state.dims, [2, 2, 4]);
    assert.ok((by.state.data as Float32Array).every((v) => v === 0));
    assert.deepStrictEqual([...(by.sr.data as BigInt64Array)], [16000n]);
    assert.ok([...(by.input_ids.data as BigInt64Array)].every((v) => v >= 0n && v < 5n));
    assert.strictEqual(synthesize([{ name: 'v', type: 'float32', shape: [5] }], { batch: 8 }).batch, 1);
  });

  it('skips initializers listed as inputs and reads silero_vad\'s three inputs', () => {
    const vad = readModelFile(testModel('silero_vad.onnx'));
    const sig = modelSignature(vad);
    assert.ok(sig.length >= 2);
    const s = synthesizeForModel(vad, { dims: { seq: 512 } });
    assert.strictEqual(s.tensors.length, sig.length);
  });

  it('reads .npy (float32, int64, bool) and rejects what it cannot read', () => {
    const f = npy('<f4', [2, 2], Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
    const a = parseNpy(f);
    assert.deepStrictEqual([a.type, a.dims, [...(a.data as Float32Array)]], ['float32', [2, 2], [1, 2, 3, 4]]);
    const i = parseNpy(npy('<i8', [3], Buffer.from(new BigInt64Array([5n, 6n, 7n]).buffer)));
    assert.deepStrictEqual([i.type, [...(i.data as BigInt64Array)]], ['int64', [5n, 6n, 7n]]);
    assert.strictEqual(parseNpy(npy('|b1', [2], Buffer.from([1, 0]))).type, 'bool');
    assert.deepStrictEqual(parseNpy(npy('<f8', [], Buffer.from(new Float64Array([2.5]).buffer))).dims, []);
    assert.throws(() => parseNpy(Buffer.from('hello world!')), /not a \.npy/);
    assert.throws(() => parseNpy(npy('>f4', [1], Buffer.alloc(4))), /big-endian/);
    assert.throws(() => parseNpy(npy('<f4', [4], Buffer.alloc(8))), /bytes for 4/);
  });

  it('reads .json inputs (nested arrays or typed objects) and files named after inputs', () => {
    const sig: InputSignature[] = [{ name: 'a', type: 'float32', shape: ['batch', 2] }, { name: 'b', type: 'int64', shape: [2] }];
    const t = parseJsonInputs(JSON.stringify({ a: [[1, 2], [3, 4]], b: { type: 'int32', dims: [2], data: [7, 8] } }), sig);
    assert.deepStrictEqual(t[0].dims, [2, 2]);
    assert.deepStrictEqual([...(t[0].data as Float32Array)], [1, 2, 3, 4]);
    assert.deepStrictEqual([t[1].type, [...(t[1].data as Int32Array)]], ['int32', [7, 8]]);
    assert.throws(() => parseJsonInputs('{"zz": [1]}', sig), /not an input/);
    assert.throws(() => parseJsonInputs('{"a": {"dims": [3], "data": [1, 2]}}', sig), /2 values for dims \[3\]/);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.npy'), npy('<f4', [1, 2], Buffer.from(new Float32Array([1, 2]).buffer)));
    fs.writeFileSync(path.join(dir, 'b.npy'), npy('<i8', [2], Buffer.from(new BigInt64Array([1n, 2n]).buffer)));
    const files = readInputsFile(`${path.join(dir, 'a.npy')},${path.join(dir, 'b.npy')}`, sig);
    assert.deepStrictEqual(files.map((x) => x.name), ['a', 'b']);
    assert.throws(() => readInputsFile(path.join(dir, 'a.npy'), sig), /no values for input\(s\) b/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('converts floats to IEEE half bits', () => {
    assert.strictEqual(toHalf(1), 0x3c00);
    assert.strictEqual(toHalf(-2), 0xc000);
    assert.strictEqual(toHalf(0.5), 0x3800);
    assert.strictEqual(toHalf(1e6), 0x7c00);
  });
});
