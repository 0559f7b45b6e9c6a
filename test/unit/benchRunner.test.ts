import * as crypto from 'crypto';
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { detectBackends, runBenchmark, runModel } from '../../server/src/bench/runner';
import { BenchError, BenchProgress } from '../../server/src/bench/types';
import { loopModel, tempDir, writeModel } from '../helpers/benchModels';
import { testModel } from '../helpers/testModels';

const mlp = testModel('mlp_mnist_like.onnx');
/** Low counts: these tests check behaviour, not speed. */
const quick = { warmupRuns: 2, warmupTimeS: 0, minRuns: 5, minTimeS: 0, maxTimeS: 5 };

async function rejectsWith(p: Promise<unknown>, kind: BenchError['kind'], pattern: RegExp): Promise<BenchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof BenchError, `a BenchError, got ${(e as Error).stack}`);
    assert.strictEqual(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

describe('bench runner (child process)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => { dir = tempDir(); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('measures mlp_mnist_like: figures consistent with each other', async () => {
    const phases: BenchProgress['phase'][] = [];
    const r = await runBenchmark(mlp, { ...quick, batch: 4 }, { onProgress: (p) => phases.push(p.phase) });
    assert.strictEqual(r.runs >= 5, true);
    assert.strictEqual(r.batch, 4);
    assert.deepStrictEqual(r.inputs, [{ name: 'input', type: 'float32', dims: [4, 784], fill: 'uniform01' }]);
    const l = r.latencyMs;
    assert.ok(l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
    assert.ok(Math.abs(r.throughput.itemsPerSec - 4 * r.throughput.inferencesPerSec) < 1e-6);
    assert.ok(r.sessionCreateMs > 0 && r.peakRssBytes > 10 * 2 ** 20);
    assert.strictEqual(r.model.sha256, crypto.createHash('sha256').update(fs.readFileSync(mlp)).digest('hex'));
    assert.strictEqual(r.ortVersion, '1.30.0');
    assert.ok(phases.includes('create') && phases.includes('measure') && phases.at(-1) === 'done', phases.join());
  });

  it('profiles per operator and sweeps batch and threads', async () => {
    const r = await runBenchmark(mlp, { ...quick, profile: true, sweep: 'batch', sweepValues: [1, 4] });
    assert.strictEqual(r.kind, 'profile');
    assert.ok(r.profile && r.profile.nodes.length === 3 && r.profile.nodes.every((n) => n.inModel));
    assert.deepStrictEqual(r.sweep?.points.map((p) => p.value), [1, 4]);
    assert.ok(r.sweep!.points.every((p) => !p.error && p.runs > 0));
    const t = await runBenchmark(mlp, { ...quick, sweep: 'threads', sweepValues: [1, 2] });
    assert.deepStrictEqual(t.sweep?.points.map((p) => [p.value, !!p.error]), [[1, false], [2, false]]);
  });

  it('runs N requests in flight', async () => {
    const r = await runBenchmark(mlp, { ...quick, concurrency: 2 });
    assert.ok(r.runs >= 5);
    assert.strictEqual(r.concurrency, 2);
  });

  it('returns outputs for A/B checks, equal to an in-process session on the same inputs', async () => {
    const a = await runModel(mlp, { batch: 3, seed: 5 });
    assert.deepStrictEqual(a.inputs[0].dims, [3, 784]);
    assert.strictEqual(a.outputs.length, 1);
    assert.deepStrictEqual(a.outputs[0].dims, [3, 10]);
    const again = await runModel(mlp, {}, a.inputs);
    assert.deepStrictEqual(again.outputs[0].data, a.outputs[0].data);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof Ort;
    const s = await ort.InferenceSession.create(mlp);
    const ref = await s.run({ input: new ort.Tensor('float32', a.inputs[0].data as Float32Array, [3, 784]) });
    await s.release();
    assert.deepStrictEqual([...(ref[s.outputNames[0]].data as Float32Array)], [...(a.outputs[0].data as Float32Array)]);
  });

  it('reports a model whose session creation fails', async () => {
    const bad = writeModel(dir, 'corrupt.onnx', Buffer.concat([fs.readFileSync(mlp).subarray(0, 5000), Buffer.from('garbage')]));
    await rejectsWith(runBenchmark(bad, quick), 'session', /session creation failed/);
    await rejectsWith(runBenchmark(path.join(dir, 'missing.onnx'), quick), 'session', /cannot read/);
  });

  it('reports a missing execution provider with the reason', async () => {
    await rejectsWith(runBenchmark(mlp, { ...quick, ep: 'coreml' }), 'ep', /no coreml execution provider/);
    const all = await detectBackends();
    assert.deepStrictEqual(all.find((b) => b.ep === 'cpu'), { ep: 'cpu', available: true });
    for (const b of all.filter((x) => !x.available)) assert.ok(b.reason && b.reason.length > 10, b.ep);
  });

  it('stops a run that exceeds the timeout (a huge Loop)', async () => {
    const hang = writeModel(dir, 'loop.onnx', loopModel(1e12));
    await rejectsWith(runBenchmark(hang, { ...quick, runTimeoutS: 1.5 }), 'timeout', /longer than 1.5 s/);
  });

  it('reports a child killed from outside and stays usable', async () => {
    const hang = writeModel(dir, 'loop2.onnx', loopModel(1e12));
    let pid = 0;
    const p = runBenchmark(hang, { ...quick, runTimeoutS: 30 }, {
      onStart: (id) => { pid = id; },
      onProgress: (pr) => { if (pr.phase === 'warmup') setTimeout(() => process.kill(pid, 'SIGKILL'), 200); },
    });
    await rejectsWith(p, 'crashed', /ended unexpectedly \(signal SIGKILL\)/);
    const again = await runBenchmark(mlp, quick);
    assert.ok(again.runs >= 5);
  });

  it('cancels mid-run and kills the child promptly', async () => {
    const hang = writeModel(dir, 'loop3.onnx', loopModel(1e12));
    const ac = new AbortController();
    let pid = 0;
    let priority: number | undefined;
    const p = runBenchmark(hang, { ...quick, runTimeoutS: 30 }, {
      signal: ac.signal, onStart: (id) => { pid = id; }, niceness: 7,
      onProgress: (pr) => { if (pr.phase === 'warmup') { priority = os.getPriority(pid); setTimeout(() => ac.abort(), 200); } },
    });
    await rejectsWith(p, 'cancelled', /cancelled/);
    assert.strictEqual(priority, 7, 'the child runs at the niceness asked for');
    // SIGKILL is sent at once; the pid is gone once the kernel has torn the child down and node has
    // reaped it, which a loaded machine can delay past a fixed wait: poll, bounded far above that.
    const alive = (): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
    for (const deadline = Date.now() + 20_000; alive() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the child is gone');
  });

  it('kills a child over the memory limit', async () => {
    await rejectsWith(runBenchmark(mlp, { ...quick, memoryLimitBytes: 8 * 2 ** 20 }), 'memory', /over the limit of 8 MiB/);
  });

  it('rejects bad options before starting anything', async () => {
    await rejectsWith(runBenchmark(mlp, { minRuns: 0 }), 'inputs', /minRuns/);
    await rejectsWith(runBenchmark(mlp, { ep: 'tpu' as 'cpu' }), 'ep', /unknown execution provider/);
  });
});
