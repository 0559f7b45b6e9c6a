/**
 * Conversions run in a child under the benchmark watchdog: killed from outside, cancelled or timed out
 * mid-conversion, they leave no partial output, no temp file and no process behind; the next one works.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runConversion } from '../../server/src/bench/runner';
import { BenchError } from '../../server/src/bench/types';
import { matmulChain } from '../helpers/benchModels';

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('conversions in a worker process', function () {
  this.timeout(60_000);
  let dir: string, tmp: string, input: string;
  const savedTmp = process.env.TMPDIR;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-convw-'));
    // The runner's private TMPDIR for the child is made under this one: it must be empty afterwards.
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    process.env.TMPDIR = tmp;
    fs.mkdirSync(path.join(dir, 'm'));
    input = path.join(dir, 'm', 'chain.onnx');
    fs.writeFileSync(input, matmulChain());
  });
  after(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function assertClean(pid: number | undefined): void {
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'm')), ['chain.onnx'], 'no output, no temp file');
    assert.deepStrictEqual(fs.readdirSync(tmp), [], 'the child\'s TMPDIR is gone');
    assert.ok(pid !== undefined && !alive(pid), 'no process left behind');
  }

  /** Starts a conversion and stops it with `stop(pid, abort)` once the child reports it is writing. */
  async function stoppedWhileWriting(stop: (pid: number, abort: AbortController) => void): Promise<{ error: BenchError; pid: number | undefined }> {
    let pid: number | undefined;
    const abort = new AbortController();
    const out = path.join(dir, 'm', 'chain.fp16.onnx');
    try {
      await runConversion(input, { method: 'fp16', out }, {
        signal: abort.signal, onStart: (p) => { pid = p; },
        onProgress: (p) => { if (p.message.startsWith('writing') && pid !== undefined) stop(pid, abort); },
      });
    } catch (e) {
      assert.ok(e instanceof BenchError, String(e));
      return { error: e, pid };
    }
    throw new Error('the conversion was not stopped');
  }

  it('converts in the child and writes the output atomically', async () => {
    let pid: number | undefined;
    const out = path.join(dir, 'm', 'ok.fp16.onnx');
    const s = await runConversion(input, { method: 'fp16', out }, { onStart: (p) => { pid = p; } });
    assert.strictEqual(s.output, out);
    assert.strictEqual(s.nodesConverted > 0 || s.converted.length > 0, true);
    assert.ok(fs.statSync(out).size > 0 && pid !== process.pid);
    fs.unlinkSync(out);
    assertClean(pid);
  });

  it('a child killed from outside mid-conversion leaves no partial output and no temp files', async () => {
    const { error, pid } = await stoppedWhileWriting((p) => process.kill(p, 'SIGKILL'));
    assert.strictEqual(error.kind, 'crashed');
    assert.match(error.message, /the conversion process ended unexpectedly \(signal SIGKILL\)/);
    assertClean(pid);
  });

  it('a cancelled conversion kills the child and cleans up', async () => {
    const { error, pid } = await stoppedWhileWriting((_, abort) => abort.abort());
    assert.strictEqual(error.kind, 'cancelled');
    assert.strictEqual(error.message, 'conversion cancelled');
    assertClean(pid);
  });

  it('a conversion silent past its timeout is stopped by the watchdog, and the next one works', async () => {
    let pid: number | undefined;
    await assert.rejects(runConversion(input, { method: 'fp16', out: path.join(dir, 'm', 'slow.onnx') }, { timeoutS: 0.001, onStart: (p) => { pid = p; } }),
      (e: BenchError) => e.kind === 'timeout' && /the conversion process was stopped/.test(e.message));
    assertClean(pid);
    const out = path.join(dir, 'm', 'after.onnx');
    await runConversion(input, { method: 'int8-dynamic', out, minWeightElements: 1 });
    assert.ok(fs.existsSync(out));
    fs.unlinkSync(out);
  });

  it('a failing conversion reports the child\'s error with its origin', async () => {
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, matmulChain().subarray(0, 300));
    await assert.rejects(runConversion(bad, { method: 'fp16', out: path.join(dir, 'bad.fp16.onnx') }),
      (e: BenchError) => e.kind === 'run' && e.origin === 'OnnxReadError' && /truncated or corrupt/.test(e.message));
    fs.unlinkSync(bad);
  });
});
