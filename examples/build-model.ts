/**
 * Writes examples/models/intent_classifier.onnx: a small MLP text-intent classifier
 * (embedding bag of 128 features → 512 → 512 → 16 intents) with deterministic weights.
 * Run by `npm run demo`; the same bytes on every machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { onnx } from 'onnx-proto';
import { DataType } from '../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../server/src/onnx/builder';

export function buildIntentClassifier(): Buffer {
  const layers: Array<[number, number]> = [[128, 512], [512, 512], [512, 16]];
  const initializers: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  let x = 'features';
  layers.forEach(([k, n], i) => {
    initializers.push(floatTensor(`fc${i}.weight`, [k, n], seededFloats(k * n, 17 + i, 1 / Math.sqrt(k))));
    initializers.push(floatTensor(`fc${i}.bias`, [n], seededFloats(n, 101 + i, 0.01)));
    const mm = `fc${i}.matmul`, y = `fc${i}.out`;
    nodes.push(node('MatMul', [x, `fc${i}.weight`], [mm], {}, { name: `fc${i}/MatMul` }));
    nodes.push(node('Add', [mm, `fc${i}.bias`], [y], {}, { name: `fc${i}/Add` }));
    x = y;
    if (i < layers.length - 1) {
      nodes.push(node('Relu', [x], [`relu${i}`], {}, { name: `relu${i}` }));
      x = `relu${i}`;
    }
  });
  nodes.push(node('Softmax', [x], ['probabilities'], { axis: -1 }, { name: 'softmax' }));
  return encodeModel(model({
    name: 'intent_classifier', nodes, initializers,
    inputs: [valueInfo('features', DataType.FLOAT, ['batch', 128])],
    outputs: [valueInfo('probabilities', DataType.FLOAT, ['batch', 16])],
    producer: 'inference-lens examples',
  }));
}

if (require.main === module) {
  const target = path.resolve(process.argv[2] ?? 'examples/models/intent_classifier.onnx');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, buildIntentClassifier());
  fs.renameSync(tmp, target);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
