/**
 * The static shape inference against ONNX Runtime's own record of a run: with graph optimisation off the
 * profiled nodes keep the model's names, and every output shape in the trace must equal the inferred one at
 * the dims the run used. Real pretrained models (Silero VAD with its If branches, PP-OCRv4's detector) and the
 * generated MLP; `npm run test:models` runs the same over the shared models.
 */
import * as assert from 'assert';
import { checkShapesAsRun } from '../../server/src/bench/shapesAsRun';
import { readModelFile } from '../../server/src/onnx/reader';
import { inferShapes } from '../../server/src/onnx/shapes';
import { shapesAgainstRun } from '../helpers/shapesAsRun';
import { MODELS_SUITE, testModel } from '../helpers/testModels';
import { SHARED_MODELS } from '../helpers/paths';
import * as path from 'path';

describe('static shapes checked against a real run (ORT profiling trace)', function () {
  this.timeout(120000);
  const models = MODELS_SUITE
    ? ['bert_small_like.onnx', 'lstm_classifier.onnx', 'mobilenet_v2.onnx', 'squeezenet1_1.onnx', 'ppocr_v4_det.onnx', 'silero_vad.onnx', 'decoder_gpt2_tiny.onnx', 'decoder_llama_tiny.onnx'].map((m) => path.join(SHARED_MODELS, m))
    : ['mlp_mnist_like.onnx', 'silero_vad.onnx', 'ppocr_v4_det.onnx'].map((m) => testModel(m));
  for (const file of models) {
    it(`${path.basename(file)}: every profiled node's outputs have the inferred shapes`, async () => {
      await shapesAgainstRun(file);
    });
  }

  it('reports a node whose run shape differs from the inference', () => {
    const file = testModel('mlp_mnist_like.onnx');
    const model = readModelFile(file);
    const inf = inferShapes(model, { batch: 1 });
    const gemm = model.graph.nodes.find((n) => n.opType === 'Gemm')!;
    const check = checkShapesAsRun(model, inf, [
      { name: gemm.name, opType: 'Gemm', provider: 'CPU', ms: 1, share: 1, inModel: true, outputShapes: [[1, 7]] },
      { name: 'fused node ORT made', opType: 'FusedGemm', provider: 'CPU', ms: 1, share: 1, inModel: false, outputShapes: [[1]] },
    ]);
    assert.strictEqual(check.agreed, 0);
    assert.deepStrictEqual(check.mismatches.map((m) => [m.node, m.run]), [[gemm.name, [1, 7]]]);
  });
});
