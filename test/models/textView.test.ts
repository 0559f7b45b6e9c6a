import * as fs from 'fs';
import * as path from 'path';
import { assertTextViews } from '../helpers/models';
import { SHARED_MODELS } from '../helpers/paths';

describe('ONNX text view on the shared models', () => {
  it('renders every shared model with one line per node and no weight data', () => {
    assertTextViews(fs.readdirSync(SHARED_MODELS).filter((x) => x.endsWith('.onnx')).map((f) => path.join(SHARED_MODELS, f)));
  });
});
