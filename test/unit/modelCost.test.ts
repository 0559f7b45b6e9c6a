import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { duplicateWeights, modelCost } from '../../server/src/onnx/cost';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { testModel } from '../helpers/testModels';

// The figures checked against reference.json on every shared model run in test/models/modelCost.test.ts.
describe('model cost', () => {
  it('counts a weight read by two nodes once and reports it', () => {
    const silero = modelCost(readModelFile(testModel('silero_vad.onnx')), {});
    const counted = silero.nodes.filter((n) => n.counted).reduce((s, n) => s + n.params, 0);
    const stored = silero.params;
    assert.ok(counted <= stored);
    for (const s of silero.sharedWeights) assert.ok(s.readers > 1 && s.names.length === 1);
    // The If: one branch is counted, the other is listed but left out of the totals.
    assert.ok(silero.nodes.some((n) => !n.counted) && silero.nodes.some((n) => n.counted && n.graph !== 'main'));
  });

  it('reports a weight read twice (counted once) and identical bytes stored twice', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-dup-'));
    try {
      const file = path.join(tmp, 'dup.onnx');
      const values = seededFloats(64 * 64, 5);
      fs.writeFileSync(file, encodeModel(model({
        nodes: [node('MatMul', ['x', 'w'], ['a']), node('MatMul', ['a', 'w'], ['b']), node('MatMul', ['b', 'w_copy'], ['c'])],
        initializers: [floatTensor('w', [64, 64], values), floatTensor('w_copy', [64, 64], values), floatTensor('other', [64, 64], seededFloats(4096, 6))],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', 64])], outputs: [valueInfo('c', DataType.FLOAT, ['batch', 64])],
      })));
      const m = readModelFile(file);
      const c = modelCost(m, {});
      assert.deepStrictEqual(c.sharedWeights, [{ names: ['w'], kind: 'reused', bytes: 16384, readers: 2 }]);
      assert.deepStrictEqual(c.nodes.map((n) => n.params), [4096, 0, 4096]);
      assert.strictEqual(c.params, 3 * 4096); // stored elements, as reference.json counts them
      assert.deepStrictEqual(duplicateWeights(m), [{ names: ['w', 'w_copy'], kind: 'duplicate', bytes: 16384, readers: 2 }]);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

});
