/**
 * Paths named by untrusted content stay confined: external data, samples named after model inputs,
 * model paths in workspace code. Each refused case checks that the file it names was never touched
 * (no stat, realpath, open or read of it), as CVE-2022-25882-style models would need.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
// The module object itself (not an import namespace), so its functions can be wrapped while a check runs.
import fsModule = require('fs');
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { confinedFile, isWithin, lexicallyConfined } from '../../server/src/confine';
import { encodeModel, model, node, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { readModelFile, OnnxReadError } from '../../server/src/onnx/reader';
import { analyzeModelFile } from '../../server/src/engine';
import { defaultConfig } from '../../server/src/config';
import { quantizeModel } from '../../server/src/quantize/convert';
import { loadSamplesDir } from '../../server/src/quantize/samples';
import { readInputsFile } from '../../server/src/bench/inputs';
import { resolveModelRef, resolveModelPath } from '../../server/src/modelRefs';

const W_BYTES = 64 * 64 * 4;

/** A MatMul model whose weight `W` lives at `location` (external data). */
function externalModel(location: string): Buffer {
  const w: onnx.ITensorProto = {
    name: 'W', dataType: DataType.FLOAT, dims: [64, 64],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: String(W_BYTES) }],
  };
  return encodeModel(model({
    nodes: [node('MatMul', ['x', 'W'], ['y'])], initializers: [w],
    inputs: [valueInfo('x', DataType.FLOAT, [1, 64])], outputs: [valueInfo('y', DataType.FLOAT, [1, 64])],
  }));
}

const FS_CALLS = ['statSync', 'lstatSync', 'realpathSync', 'openSync', 'readFileSync', 'existsSync', 'accessSync', 'createReadStream'] as const;

/** Every path any fs call below touched while `fn` ran (fs functions patched for the duration). */
function touched<T>(fn: () => T): { value: T; paths: string[] } {
  const paths: string[] = [];
  const real = fsModule as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = FS_CALLS.map((k) => real[k]);
  FS_CALLS.forEach((k, i) => { real[k] = (...a: unknown[]) => { if (typeof a[0] === 'string') paths.push(a[0]); return saved[i](...a); }; });
  // realpathSync.native is used by some callers: keep it reachable.
  (real.realpathSync as unknown as { native: unknown }).native = (saved[2] as unknown as { native: unknown }).native;
  try {
    return { value: fn(), paths };
  } finally {
    FS_CALLS.forEach((k, i) => { real[k] = saved[i]; });
  }
}

function mkfifo(p: string): boolean {
  try { execFileSync('mkfifo', [p]); return true; } catch { return false; }
}

describe('confined paths (hostile models and workspaces)', () => {
  let root: string, dir: string, secret: string;
  before(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'il-confine-')));
    dir = path.join(root, 'model');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    // The "secret" has exactly the bytes W needs, so only confinement can refuse it.
    secret = path.join(root, 'secret.bin');
    fs.writeFileSync(secret, Buffer.alloc(W_BYTES, 7));
    fs.writeFileSync(path.join(dir, 'data', 'w.bin'), Buffer.alloc(W_BYTES, 1));
    fs.symlinkSync(secret, path.join(dir, 'link.bin'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function modelWith(location: string, name: string): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, externalModel(location));
    return f;
  }

  /** Reads a model whose location must be refused: one ONNX000 naming W and the location, secret never touched. */
  function assertRefused(location: string, reason: RegExp, name: string): void {
    const file = modelWith(location, name);
    const { value: report, paths } = touched(() => analyzeModelFile(file, defaultConfig()));
    const onnx000 = report.findings.filter((f) => f.rule === 'ONNX000');
    assert.strictEqual(onnx000.length, 1, JSON.stringify(report.findings));
    assert.ok(onnx000[0].message.includes(`tensor 'W'`) && onnx000[0].message.includes(`'${location}'`), onnx000[0].message);
    assert.match(onnx000[0].message, reason);
    assert.ok(!paths.some((p) => p === secret || p.endsWith('passwd')), `touched: ${paths.join(', ')}`);
    const w = report.model?.graph.initializers.find((t) => t.name === 'W');
    assert.strictEqual(w?.location, undefined, 'a refused tensor has no location to stream from');
  }

  it('reads external data beside the model or below its folder', () => {
    const m = readModelFile(modelWith('data/w.bin', 'ok.onnx'));
    assert.deepStrictEqual(m.problems, []);
    assert.strictEqual(m.graph.initializers[0].location?.file, path.join(dir, 'data', 'w.bin'));
  });

  it('refuses an absolute location without touching it', () => {
    assertRefused(secret, /is an absolute path/, 'abs.onnx');
    assertRefused('/etc/passwd', /is an absolute path/, 'passwd.onnx');
    assertRefused('C:\\Windows\\win.ini', /is an absolute path/, 'win.onnx');
  });

  it("refuses '..' segments that leave the model's folder without touching the file", () => {
    assertRefused('../secret.bin', /leaves the model's folder/, 'dotdot.onnx');
    assertRefused('data/../../secret.bin', /leaves the model's folder/, 'dotdot2.onnx');
    assertRefused('../../../../../../etc/passwd', /leaves the model's folder/, 'traversal.onnx');
  });

  it('refuses a symlink out of the folder (and a folder whose link leads out)', () => {
    assertRefused('link.bin', /is a link to .*secret\.bin, outside the model's folder/, 'symlink.onnx');
    fs.symlinkSync(root, path.join(dir, 'up'));
    try {
      assertRefused('up/secret.bin', /outside the model's folder/, 'symdir.onnx');
    } finally { fs.unlinkSync(path.join(dir, 'up')); }
  });

  it('refuses a FIFO, a folder and a device as external data without opening them', function () {
    const fifo = path.join(dir, 'fifo.bin');
    if (!mkfifo(fifo)) this.skip();
    try {
      const file = modelWith('fifo.bin', 'fifo.onnx');
      const { value: m, paths } = touched(() => readModelFile(file)); // would block forever if opened
      assert.match(m.problems[0].message, /tensor 'W' refused: location 'fifo\.bin' is not a regular file \(a FIFO\)/);
      assert.ok(!paths.some((p) => p.endsWith('fifo.bin') && p !== fifo), paths.join(', '));
    } finally { fs.unlinkSync(fifo); }
    assert.match(readModelFile(modelWith('data', 'folder.onnx')).problems[0].message, /is not a regular file \(a folder\)/);
    if (fs.existsSync('/dev/null')) {
      fs.symlinkSync('/dev/null', path.join(dir, 'null.bin'));
      try {
        assert.match(readModelFile(modelWith('null.bin', 'dev.onnx')).problems[0].message, /refused: location 'null\.bin' is a link to \/dev\/null/);
      } finally { fs.unlinkSync(path.join(dir, 'null.bin')); }
    }
  });

  it('refuses a model path that is a FIFO instead of blocking on it', function () {
    const fifo = path.join(dir, 'pipe.onnx');
    if (!mkfifo(fifo)) this.skip();
    try {
      assert.throws(() => readModelFile(fifo), (e: Error) => e instanceof OnnxReadError && /pipe\.onnx: it is not a regular file \(a FIFO\)/.test(e.message));
    } finally { fs.unlinkSync(fifo); }
  });

  it('quantize and fp16 refuse such a model before opening anything it names', async () => {
    const file = modelWith('../secret.bin', 'convert.onnx');
    for (const method of ['int8-dynamic', 'fp16'] as const) {
      const out = path.join(dir, `convert.${method}.onnx`);
      const opened: string[] = [];
      const realOpen = fsModule.openSync;
      (fsModule as { openSync: unknown }).openSync = (p: fs.PathLike, ...rest: unknown[]) => { opened.push(String(p)); return (realOpen as (...a: unknown[]) => number)(p, ...rest); };
      try {
        await assert.rejects(quantizeModel(file, { method, out }), /tensor 'W' refused: location '\.\.\/secret\.bin' leaves the model's folder/);
      } finally { (fsModule as { openSync: unknown }).openSync = realOpen; }
      assert.ok(!opened.some((p) => p === secret), opened.join(', '));
      assert.ok(!fs.existsSync(out));
    }
  });

  it('samples named after model inputs stay in the samples folder and must be regular files', () => {
    const m = readModelFile(modelWith('data/w.bin', 'samples.onnx'));
    const samples = path.join(root, 'samples');
    fs.mkdirSync(samples);
    fs.symlinkSync(secret, path.join(samples, 'x.npy'));
    assert.throws(() => loadSamplesDir(samples, m), /sample .*x\.npy for input 'x' refused: it is a link to .*secret\.bin, outside the samples folder/);
    fs.unlinkSync(path.join(samples, 'x.npy'));
    if (mkfifo(path.join(samples, 'x.npy'))) {
      assert.throws(() => loadSamplesDir(samples, m), /refused: it is not a regular file \(a FIFO\)/);
      // An inputs file given to a benchmark: a FIFO would block the read.
      assert.throws(() => readInputsFile(path.join(samples, 'x.npy'), [{ name: 'x', type: 'float32', shape: [1, 64] }]), /the inputs file is not a regular file/);
    }
  });

  it('model paths in code resolve inside the workspace only; one escaping it is shown, not read', () => {
    const ws = path.join(root, 'ws');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'm.onnx'), 'x');
    fs.writeFileSync(path.join(root, 'outside.onnx'), 'x');
    fs.symlinkSync(path.join(root, 'outside.onnx'), path.join(ws, 'linked.onnx'));
    const code = path.join(ws, 'src');
    assert.deepStrictEqual(resolveModelRef('../m.onnx', code, [ws]), { file: path.join(ws, 'm.onnx') });
    const { value: out, paths } = touched(() => resolveModelRef('../../outside.onnx', code, [ws]));
    assert.match(out?.refused ?? '', /outside\.onnx is outside the workspace: not read/);
    assert.deepStrictEqual(paths, [], 'an escaping path is decided without touching the file system');
    assert.match(resolveModelRef('/etc/x.onnx', code, [ws])?.refused ?? '', /outside the workspace/);
    assert.match(resolveModelRef('linked.onnx', code, [ws])?.refused ?? '', /is a link to .*outside\.onnx, outside the workspace/);
    assert.strictEqual(resolveModelPath('../../outside.onnx', code, [ws]), undefined);
    assert.strictEqual(resolveModelPath('linked.onnx', code, [ws]), undefined);
    assert.strictEqual(resolveModelPath('missing.onnx', code, [ws]), undefined);
  });

  it('lexical checks are pure and platform-independent', () => {
    assert.ok(isWithin('/a/b', '/a/b') && isWithin('/a/b', '/a/b/c') && !isWithin('/a/b', '/a/bc') && !isWithin('/a/b', '/a'));
    assert.deepStrictEqual(lexicallyConfined('/m', 'w/../x.bin'), { ok: true, file: '/m/x.bin' });
    assert.strictEqual(lexicallyConfined('/m', 'a\0b').ok, false);
    assert.strictEqual(lexicallyConfined('/m', '\\\\server\\share\\x').ok, false);
    assert.match((confinedFile('/m', '..') as { why: string }).why, /leaves its folder/);
  });
});
