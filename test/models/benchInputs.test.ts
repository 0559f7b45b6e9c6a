import * as assert from 'assert';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { synthesizeForModel, vocabBounds } from '../../server/src/bench/inputs';
import { SHARED_MODELS } from '../helpers/paths';

const shared = (f: string): string => path.join(SHARED_MODELS, f);

describe('bench input synthesis on the shared models', () => {
  it('bounds token ids by the embedding table read from the model (bert, lstm)', () => {
    const bert = readModelFile(shared('bert_small_like.onnx'));
    assert.deepStrictEqual(vocabBounds(bert), { input_ids: 30522 });
    const s = synthesizeForModel(bert, { dims: { seq: 16 }, batch: 2, seed: 7 });
    const [ids] = s.tensors;
    assert.deepStrictEqual(ids.dims, [2, 16]);
    assert.strictEqual(ids.type, 'int64');
    assert.strictEqual(ids.fill, 'tokens');
    const values = [...(ids.data as BigInt64Array)].map(Number);
    assert.ok(values.every((v) => v >= 0 && v < 30522));
    assert.ok(new Set(values).size > 16, 'ids vary');
    const lstm = readModelFile(shared('lstm_classifier.onnx'));
    const bound = vocabBounds(lstm).input_ids;
    assert.ok(bound > 1 && bound === lstm.graph.initializers.find((t) => t.dims.length === 2 && t.dims[0] === bound)?.dims[0]);
  });
});
