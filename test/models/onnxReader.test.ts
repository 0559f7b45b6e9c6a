import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { summarize } from '../../server/src/onnx/summary';
import { SHARED_MODELS } from '../helpers/paths';

describe('ONNX reader on the shared models', () => {
  it('matches the exact parameter count of every shared model', () => {
    const ref = JSON.parse(fs.readFileSync(path.join(SHARED_MODELS, 'reference.json'), 'utf8'));
    for (const [name, r] of Object.entries<{ file: string; params: number }>(ref.models)) {
      const s = summarize(readModelFile(path.join(SHARED_MODELS, r.file)));
      assert.strictEqual(s.params, r.params, name);
    }
  });
});
