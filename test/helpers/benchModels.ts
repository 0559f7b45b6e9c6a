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

export function writeModel(dir: string, name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}
