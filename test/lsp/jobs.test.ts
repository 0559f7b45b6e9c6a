/**
 * The built server's model jobs (benchmark, profile, quantize) as an editor drives them: several at
 * once queue behind the running one and say so in their progress; a cancelled job, queued or running,
 * leaves no process behind (the server's children read from /proc), nor does a server killed mid-job
 * (its worker sees its parent gone and ends itself); and while a job is in flight
 * (its child stopped with SIGSTOP, so it is in flight whatever the machine's speed) hovers and
 * diagnostics still answer. No wall-clock assertion: bench/hover-during-run.ts measures latency.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CancellationTokenSource, DidOpenTextDocumentNotification, ExecuteCommandRequest, HoverRequest, LSPErrorCodes, MarkupContent,
  ProgressToken, ProtocolConnection, ResponseError, WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import type { BenchResult } from '../../server/src/bench/types';
import { loopModel, matmulChain } from '../helpers/benchModels';
import { PER_REQUEST_LOAD, PER_REQUEST_LOAD_MODEL_AT, startServer, ServerHandle } from '../helpers/lsp';
import { childPids, HAS_PROC } from '../helpers/procs';
import { testModel } from '../helpers/testModels';

const quick = { warmupRuns: 2, warmupTimeS: 0, minRuns: 5, minTimeS: 0, maxTimeS: 5 };

async function waitFor(ok: () => boolean, seen: () => unknown = () => '', ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) assert.fail(`timed out waiting; seen ${JSON.stringify(seen())}`);
}
const cancelled = (e: ResponseError<unknown>): boolean => e.code === LSPErrorCodes.RequestCancelled;

describe('model jobs over LSP: queue, no process left behind, answers while one runs', function () {
  this.timeout(60_000);
  let server: ServerHandle, conn: ProtocolConnection, ws: string;
  const progress: { token: ProgressToken; value: { kind: string; message?: string } }[] = [];
  let docs = 0;

  before(async function () {
    if (!HAS_PROC) { console.log('    (no /proc: the server\'s children cannot be listed here; skipped)'); this.skip(); }
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-lsp-jobs-'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'mlp.onnx'));
    fs.writeFileSync(path.join(ws, 'loop.onnx'), loopModel(1e12));
    fs.writeFileSync(path.join(ws, 'chain.onnx'), matmulChain(8, 128));
    fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, 'cache'), runTimeoutS: 60 } }));
    server = startServer({
      setup: (c) => {
        c.onRequest(WorkDoneProgressCreateRequest.type, () => null);
        c.onNotification('$/progress', (p: { token: ProgressToken; value: { kind: string } }) => { progress.push(p); });
        c.onNotification('inferenceLens/benchmarkResult', () => undefined);
        c.onRequest('workspace/configuration', () => [{}]);
      },
    });
    conn = server.conn;
    const uri = pathToFileURL(ws).toString();
    await server.initialize({ rootUri: uri, workspaceFolders: [{ uri, name: 'ws' }], capabilities: { window: { workDoneProgress: true } } });
  });
  after(() => server?.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  const model = (f: string): string => pathToFileURL(path.join(ws, f)).toString();
  const messages = (token: string): string[] => progress.filter((p) => p.token === token).map((p) => p.value.message ?? '');
  const command = (name: string, args: unknown[], token: string, cts?: CancellationTokenSource): Promise<unknown> =>
    conn.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: args, workDoneToken: token }, cts?.token);

  it('queues jobs behind the running one with their place in line; cancelled ones leave no process', async () => {
    const ctsA = new CancellationTokenSource(), ctsC = new CancellationTokenSource();
    const a = command('inferenceLens.benchmark', [model('loop.onnx'), quick], 'A', ctsA);
    await waitFor(() => messages('A').some((m) => /warming/.test(m)));
    const b = command('inferenceLens.benchmark', [model('mlp.onnx'), quick], 'B');
    await waitFor(() => messages('B').includes('queued behind Benchmarking loop.onnx'), () => messages('B'));
    const c = command('inferenceLens.quantize', [model('chain.onnx'), 'fp16', { ab: false }], 'C', ctsC);
    await waitFor(() => messages('C').includes('queued behind Benchmarking loop.onnx and 1 more'), () => messages('C'));
    assert.strictEqual(childPids(server.pid).length, 1, 'only the running job has a process');

    ctsC.cancel(); // while queued: it never starts
    await assert.rejects(c, cancelled);
    await waitFor(() => messages('B').filter((m) => m.startsWith('queued')).length >= 2);
    ctsA.cancel(); // while running: its child is killed, and B starts
    await assert.rejects(a, cancelled);
    const r = await b as BenchResult;
    assert.ok(r.runs >= 5);
    assert.ok(messages('B').some((m) => /running|warming/.test(m)), messages('B').join(' | '));
    await waitFor(() => childPids(server.pid).length === 0);
    assert.ok(!fs.existsSync(path.join(ws, 'chain.fp16.onnx')), 'the cancelled conversion wrote nothing');
  });

  /** Starts a job, stops its child once it exists, checks that the server still answers, then lets it go. */
  async function answersWhileInFlight(job: () => Promise<unknown>, then?: () => void): Promise<unknown> {
    const running = job();
    await waitFor(() => childPids(server.pid).length === 1);
    const [child] = childPids(server.pid);
    process.kill(child, 'SIGSTOP');
    try {
      const uri = pathToFileURL(path.join(ws, `app${++docs}.py`)).toString();
      await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text: PER_REQUEST_LOAD } });
      const published = await server.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'PY001'));
      assert.ok(published.diagnostics.length > 0);
      const h = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: PER_REQUEST_LOAD_MODEL_AT });
      assert.match((h?.contents as MarkupContent).value, /mlp\.onnx/);
      assert.deepStrictEqual(childPids(server.pid), [child], 'the job was still in flight');
    } finally {
      process.kill(child, 'SIGCONT');
    }
    then?.();
    return running;
  }

  it('a server killed mid-job leaves no worker running and no temp folder', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-orphan-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // the doomed server's children make their private TMPDIRs here
    let warming = false;
    let worker: number | undefined;
    const doomed = startServer({
      setup: (c) => {
        c.onRequest(WorkDoneProgressCreateRequest.type, () => null);
        c.onRequest('workspace/configuration', () => [{}]);
        c.onNotification('$/progress', (p: { value: { message?: string } }) => { warming ||= /warming/.test(p.value.message ?? ''); });
      },
    });
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    try {
      const root = pathToFileURL(ws).toString();
      await doomed.initialize({ rootUri: root, workspaceFolders: [{ uri: root, name: 'ws' }], capabilities: { window: { workDoneProgress: true } } });
      doomed.conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [model('loop.onnx'), quick] }).catch(() => undefined);
      await waitFor(() => warming); // the worker is running the model (the hanging Loop)
      worker = childPids(doomed.pid)[0];
      assert.strictEqual(fs.readdirSync(tmp).length, 1, 'the worker\'s private TMPDIR');
      process.kill(doomed.pid, 'SIGKILL'); // no clean-up of its own runs
      const alive = (): boolean => { try { process.kill(worker!, 0); return true; } catch { return false; } };
      await waitFor(() => !alive(), () => `worker ${worker} still running`);
      worker = undefined; // ended by itself
      assert.deepStrictEqual(fs.readdirSync(tmp), [], 'the orphan removed its private TMPDIR');
    } finally {
      if (worker) try { process.kill(worker, 'SIGKILL'); } catch { /* it ended meanwhile */ } // the test failed: leave no orphan
      doomed.conn.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('answers hovers and publishes diagnostics while a benchmark, a profile and a conversion are in flight', async () => {
    const hang = new CancellationTokenSource();
    await assert.rejects(answersWhileInFlight(() => command('inferenceLens.benchmark', [model('loop.onnx'), quick], 'D', hang), () => hang.cancel()), cancelled);
    const profile = await answersWhileInFlight(() => command('inferenceLens.profile', [model('mlp.onnx'), quick], 'E')) as BenchResult;
    assert.strictEqual(profile.kind, 'profile');
    const conv = await answersWhileInFlight(() => command('inferenceLens.quantize', [model('chain.onnx'), 'int8-dynamic', { ab: false, minWeightElements: 1 }], 'F')) as { summary: { output: string } };
    assert.ok(fs.statSync(conv.summary.output).size > 0);
    await waitFor(() => childPids(server.pid).length === 0);
  });
});
