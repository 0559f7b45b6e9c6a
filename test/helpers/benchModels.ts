/** Small models for benchmark tests, built with onnx/builder.ts and written to a temp folder. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { onnx } from 'onnx-proto';

export function tempDir(prefix = 'il-bench-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * y = Loop(trip, x): a body of MatMul + Add run `trip` times. With a huge trip count one inference
 * never ends in practice: the timeout test's model.
 */
export function loopModel(trip: number, width = 16): Buffer {
  const body: onnx.IGraphProto = {
    name: 'body',
    node: [
      node('Identity', ['cond_in'], ['cond_out'], {}, { name: 'body_cond' }),
      node('MatMul', ['v_in', 'w'], ['mm'], {}, { name: 'body_matmul' }),
      node('Add', ['mm', 'one'], ['v_out'], {}, { name: 'body_add' }),
    ],
    initializer: [floatTensor('w', [width, width], seededFloats(width * width, 3, 0.01)), floatTensor('one', [1], [1])],
    input: [valueInfo('iter', DataType.INT64, []), valueInfo('cond_in', DataType.BOOL, []), valueInfo('v_in', DataType.FLOAT, [1, width])],
    output: [valueInfo('cond_out', DataType.BOOL, []), valueInfo('v_out', DataType.FLOAT, [1, width])],
  };
  return encodeModel(model({
    nodes: [
      node('Relu', ['x'], ['xr'], {}, { name: 'pre_relu' }),
      node('Loop', ['trip', 'cond', 'xr'], ['y'], { body: { graph: body } }, { name: 'the_loop' }),
    ],
    initializers: [int64Tensor('trip', [], [trip]), { name: 'cond', dataType: DataType.BOOL, dims: [], rawData: new Uint8Array([1]) }],
    inputs: [valueInfo('x', DataType.FLOAT, [1, width])],
    outputs: [valueInfo('y', DataType.FLOAT, [1, width])],
  }));
}

/** A chain of `layers` MatMuls of [d, d] weights: enough tensors that a converter is mid-file when stopped. */
export function matmulChain(layers = 24, d = 256): Buffer {
  return encodeModel(model({
    nodes: Array.from({ length: layers }, (_, i) => node('MatMul', [i ? `h${i}` : 'x', `W${i}`], [i === layers - 1 ? 'y' : `h${i + 1}`])),
    initializers: Array.from({ length: layers }, (_, i) => floatTensor(`W${i}`, [d, d], seededFloats(d * d, i + 1))),
    inputs: [valueInfo('x', DataType.FLOAT, [1, d])], outputs: [valueInfo('y', DataType.FLOAT, [1, d])],
  }));
}

export function writeModel(dir: string, name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

/**
 * A voice-activity detector in miniature, shaped like Silero VAD: audio `input [?, ?]` (unnamed
 * dims), a sample rate `sr` that an If tests, a recurrent state `h [2, ?, 8]`; a strided STFT-like Conv
 * (kernel 64, stride 32) then a 7-wide Conv, so the audio must hold at least 256 samples.
 */
export function audioModel(): Buffer {
  const branch = (name: string, op: string, extra: string[]): onnx.IGraphProto => ({
    name, node: [node(op, ['m', ...extra], [`${name}_y`])], initializer: [], input: [], output: [valueInfo(`${name}_y`, DataType.FLOAT, [null, 8])],
  });
  return encodeModel(model({
    nodes: [
      node('Unsqueeze', ['input', 'axis1'], ['x']),
      node('Conv', ['x', 'basis'], ['f'], { strides: [32] }),
      node('Conv', ['f', 'k2'], ['g']),
      node('ReduceMean', ['g'], ['m'], { axes: [2], keepdims: 0 }),
      node('Equal', ['sr', 'k16000'], ['is16k']),
      node('If', ['is16k'], ['y'], { then_branch: { graph: branch('then', 'Mul', ['two']) }, else_branch: { graph: branch('else', 'Identity', []) } }),
      node('Add', ['h', 'zero'], ['hn']),
    ],
    initializers: [
      int64Tensor('axis1', [1], [1]), floatTensor('basis', [16, 1, 64], seededFloats(16 * 64, 5)), floatTensor('k2', [8, 16, 7], seededFloats(8 * 16 * 7, 6)),
      int64Tensor('k16000', [], [16000]), floatTensor('two', [], [2]), floatTensor('zero', [], [0]),
    ],
    inputs: [valueInfo('input', DataType.FLOAT, [null, null]), valueInfo('sr', DataType.INT64, []), valueInfo('h', DataType.FLOAT, [2, null, 8])],
    outputs: [valueInfo('y', DataType.FLOAT, [null, 8]), valueInfo('hn', DataType.FLOAT, [2, null, 8])],
  }));
}
