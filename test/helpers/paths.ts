import * as path from 'path';

/** The repository root (tests run from out/test/..., transpiled). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');
/** The larger real ONNX models beside the repository (../shared/models/README.md): read only by test/models/ (`npm run test:models`). */
export const SHARED_MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(REPO, '..', 'shared', 'models');
export const DIST = path.join(REPO, 'dist');
