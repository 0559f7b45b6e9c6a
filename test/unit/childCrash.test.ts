/**
 * The benchmark / conversion child dying of SIGSEGV (as a crash in the native runtime would:
 * INFERENCE_LENS_TEST_CRASH makes the worker kill itself with it at a given progress step,
 * INFERENCE_LENS_TEST_DISK=SIGSEGV:<bytes> once a file it writes has that many bytes) and a model
 * the child cannot load: a clear error naming the phase, no profiling trace or temp file left, no
 * process left, and the next run works.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runBenchmark, runConversion } from '../../server/src/bench/runner';
import { BenchError } from '../../server/src/bench/types';
import { encodeModel, floatTensor, model, node, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { matmulChain, tempDir } from '../helpers/benchModels';
import { testModel } from '../helpers/testModels';

const mlp = testModel('mlp_mnist_like.onnx');
const quick = { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 2 };
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('the benchmark / conversion child crashing', function () {
  this.timeout(60_000);
  let dir: string, tmp: string;
  const savedTmp = process.env.TMPDIR;
  before(() => {
    dir = tempDir('il-crash-');
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    process.env.TMPDIR = tmp;
  });
  afterEach(() => { delete process.env.INFERENCE_LENS_TEST_CRASH; delete process.env.INFERENCE_LENS_TEST_DISK; });
  after(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function failure(p: Promise<unknown>): Promise<BenchError> {
    try { await p; } catch (e) { assert.ok(e instanceof BenchError, String(e)); return e; }
    throw new Error('expected the run to fail');
  }

  it('SIGSEGV while profiling: "crashed during profile", the trace folder is gone, the next run works', async () => {
    // Crashes once onnxruntime has written its trace into the child's TMPDIR.
    process.env.INFERENCE_LENS_TEST_CRASH = 'profile:reading the profile trace';
    let pid = 0;
    const e = await failure(runBenchmark(mlp, { ...quick, profile: true }, { onStart: (p) => { pid = p; } }));
    assert.strictEqual(e.kind, 'crashed');
    assert.match(e.message, /^the benchmark process ended unexpectedly \(signal SIGSEGV\) during profile/);
    assert.deepStrictEqual(fs.readdirSync(tmp), [], 'no profiling trace, no temp folder');
    assert.ok(!alive(pid), 'no process left');
    delete process.env.INFERENCE_LENS_TEST_CRASH;
    const r = await runBenchmark(mlp, { ...quick, profile: true });
    assert.ok(r.profile && r.profile.nodes.length > 0);
  });

  it('SIGSEGV halfway through writing a converted model: no partial output, no temp file', async () => {
    const input = path.join(dir, 'chain.onnx');
    fs.writeFileSync(input, matmulChain(8, 128));
    // The child dies with 64 KiB of its temp file on disk.
    process.env.INFERENCE_LENS_TEST_DISK = 'SIGSEGV:65536';
    let pid = 0;
    const e = await failure(runConversion(input, { method: 'int8-dynamic', out: path.join(dir, 'chain.int8.onnx'), minWeightElements: 1 }, { onStart: (p) => { pid = p; } }));
    assert.strictEqual(e.kind, 'crashed');
    assert.match(e.message, /the conversion process ended unexpectedly \(signal SIGSEGV\) during convert/);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['chain.onnx', 'tmp']);
    assert.deepStrictEqual(fs.readdirSync(tmp), []);
    assert.ok(!alive(pid));
    delete process.env.INFERENCE_LENS_TEST_DISK;
    const s = await runConversion(input, { method: 'int8-dynamic', out: path.join(dir, 'chain.int8.onnx'), minWeightElements: 1 });
    assert.ok(fs.statSync(s.output).size > 0);
    fs.rmSync(s.output);
  });

  it('a model the runtime cannot load (an operator it does not know) is a session error, and the next run works', async () => {
    const bad = path.join(dir, 'unknown-op.onnx');
    fs.writeFileSync(bad, encodeModel(model({
      nodes: [node('NoSuchOperator', ['x', 'w'], ['y'])],
      initializers: [floatTensor('w', [4], [1, 2, 3, 4])],
      inputs: [valueInfo('x', DataType.FLOAT, [4])], outputs: [valueInfo('y', DataType.FLOAT, [4])],
    })));
    const e = await failure(runBenchmark(bad, quick));
    assert.strictEqual(e.kind, 'session');
    assert.match(e.message, /^session creation failed: .*NoSuchOperator/);
    assert.deepStrictEqual(fs.readdirSync(tmp), []);
    const r = await runBenchmark(mlp, quick);
    assert.ok(r.runs >= 3);
  });
});
