import * as path from 'path';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { assertRules, assertSilent } from '../helpers/models';
import { SHARED_MODELS } from '../helpers/paths';

describe('ONNX012 large inline weights on the shared models', () => {
  it('stays silent on a 45 MB model', () => {
    assertSilent(analyzeModelFile(path.join(SHARED_MODELS, 'bert_small_like.onnx'), mergeConfig()), 'ONNX012');
  });
});

describe('model rules on the shared real models (no crying wolf)', () => {
  const expected: Record<string, string[]> = {
    // ONNX007 ×9: PyTorch exports `size // heads` as an int64 Div followed by Casts to int64, its type already
    // (types the file does not declare: the rule sees them through inference, as onnx.shape_inference would).
    'bert_small_like.onnx': ['ONNX001', ...Array<string>(9).fill('ONNX007'), 'ONNX009', 'ONNX009', 'ONNX011', 'ONNX011'],
    'lstm_classifier.onnx': ['ONNX001', 'ONNX011', 'ONNX011'],
    'mobilenet_v2.onnx': ['ONNX001', 'ONNX011'],
    'squeezenet1_1.onnx': ['ONNX001', 'ONNX011'],
  };
  for (const [file, rules] of Object.entries(expected)) {
    it(`${file}: ${[...new Set(rules)].join(', ')}`, () => assertRules(path.join(SHARED_MODELS, file), rules));
  }
});
