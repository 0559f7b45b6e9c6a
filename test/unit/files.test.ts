import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectFiles } from '../../server/src/files';

describe('collecting the files to analyse', () => {
  it('follows symbolic links to models and folders, walks each real folder once, skips dangling links', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'il-files-'));
    const ws = path.join(base, 'ws'), data = path.join(base, 'data');
    fs.mkdirSync(path.join(ws, 'app'), { recursive: true });
    fs.mkdirSync(path.join(data, 'models'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'app', 'serve.py'), 'print(1)\n');
    fs.writeFileSync(path.join(data, 'models', 'encoder.onnx'), '');
    fs.writeFileSync(path.join(data, 'weights.onnx'), '');
    fs.symlinkSync(path.join(data, 'models'), path.join(ws, 'models')); // a folder on another disk
    fs.symlinkSync(path.join(data, 'weights.onnx'), path.join(ws, 'app', 'weights.onnx'));
    fs.symlinkSync(ws, path.join(ws, 'app', 'loop')); // a cycle
    fs.symlinkSync(path.join(base, 'gone.onnx'), path.join(ws, 'dangling.onnx'));
    fs.mkdirSync(path.join(ws, '.venv'));
    fs.symlinkSync(path.join(data, 'models'), path.join(ws, '.venv', 'models'));
    const { files } = collectFiles([ws]);
    assert.deepStrictEqual(files.map((f) => path.relative(ws, f)), ['app/serve.py', 'app/weights.onnx', 'models/encoder.onnx']);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
