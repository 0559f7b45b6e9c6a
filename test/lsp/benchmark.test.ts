/**
 * Benchmark commands over the protocol, as an editor drives them: server-initiated progress with a
 * cancel button, the result pushed as a notification, cancellation by $/cancelRequest and by the
 * progress's cancel, and a hover answered while a benchmark runs.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CancellationTokenSource, ExecuteCommandRequest, ProtocolConnection, WorkDoneProgress, WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest, ResponseError, DidOpenTextDocumentNotification, LSPErrorCodes, ProgressToken, HoverRequest, MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';
import { loopModel } from '../helpers/benchModels';
import { tinyDecoder } from '../helpers/tinyDecoder';
import type { BenchResult } from '../../server/src/bench/types';
import { formatMs, formatUsd, type CostJson } from '../../server/src/cost/report';
import type { ModelStatus } from '../../server/src/lsp/cost';

const APP = 'import onnxruntime as ort\n\nsession = ort.InferenceSession("mlp.onnx")\n';

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) assert.fail('timed out waiting');
}

const quick = { warmupRuns: 2, warmupTimeS: 0, minRuns: 5, minTimeS: 0, maxTimeS: 5 };

describe('benchmark commands over LSP', function () {
  this.timeout(60000);
  let server: ServerHandle;
  let conn: ProtocolConnection;
  let ws: string;
  const progress: { token: ProgressToken; value: { kind: string; cancellable?: boolean; message?: string } }[] = [];
  const pushed: { uri: string; result: BenchResult; markdown: string; cost?: CostJson }[] = [];
  let lensRefreshes = 0;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-lsp-bench-'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'mlp.onnx'));
    fs.writeFileSync(path.join(ws, 'loop.onnx'), loopModel(1e12));
    fs.writeFileSync(path.join(ws, 'decoder.onnx'), tinyDecoder());
    fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, 'cache'), runTimeoutS: 30 }, generation: { promptTokens: 5, outputTokens: 3 } }));
    server = startServer({
      setup: (c) => {
        c.onRequest(WorkDoneProgressCreateRequest.type, () => null);
        c.onProgress(WorkDoneProgress.type, '*', () => undefined);
        c.onNotification('$/progress', (p: { token: ProgressToken; value: { kind: string } }) => { progress.push(p); });
        c.onNotification('inferenceLens/benchmarkResult', (p: { uri: string; result: BenchResult; markdown: string; cost?: CostJson }) => { pushed.push(p); });
        c.onRequest('workspace/codeLens/refresh', () => { lensRefreshes++; return null; });
        c.onRequest('workspace/configuration', () => [{}]);
      },
    });
    conn = server.conn;
    const uri = pathToFileURL(ws).toString();
    const init = await server.initialize({
      rootUri: uri, workspaceFolders: [{ uri, name: 'ws' }],
      capabilities: { window: { workDoneProgress: true }, workspace: { codeLens: { refreshSupport: true } } },
    });
    for (const c of ['inferenceLens.benchmark', 'inferenceLens.profile', 'inferenceLens.lastBenchmark', 'inferenceLens.clearCache']) {
      assert.ok(init.capabilities.executeCommandProvider?.commands.includes(c), c);
    }
  });

  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  const model = (f: string): string => pathToFileURL(path.join(ws, f)).toString();

  it('benchmarks with cancellable progress, returns JSON and pushes the result', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [model('mlp.onnx'), quick] }) as BenchResult;
    assert.strictEqual(r.kind, 'benchmark');
    assert.ok(r.runs >= 5 && r.latencyMs.p50 > 0);
    const begin = progress.find((p) => p.value.kind === 'begin');
    assert.ok(begin?.value.cancellable, 'progress begins cancellable');
    assert.ok(progress.some((p) => p.token === begin.token && p.value.kind === 'end'));
    assert.strictEqual(pushed.at(-1)?.uri, model('mlp.onnx'));
    assert.match(pushed.at(-1)!.markdown, /Benchmark: mlp\.onnx/);
    // The push carries the run-by-run trace and the cost on every catalog instance: the report needs nothing else.
    assert.strictEqual(pushed.at(-1)!.result.trace?.samplesMs.length, r.runs);
    const cost = pushed.at(-1)!.cost!;
    assert.strictEqual(cost.basis, 'measured');
    assert.strictEqual(cost.latencyMs.p95, r.latencyMs.p95);
    assert.ok(cost.instances!.some((i) => i.instance === cost.instance && i.basis === 'measured'));
    // CodeLenses above this model's loads now show measured figures: the client is asked to re-request them.
    await waitFor(() => lensRefreshes > 0);
    const last = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.lastBenchmark', arguments: [model('mlp.onnx')] }) as { result: BenchResult; hover: string };
    assert.strictEqual(last.result.latencyMs.p50, r.latencyMs.p50);
    assert.match(last.hover, /measured p50 .* ms/);
    // The status bar's words for a code file that loads this model: the measured p95 and $ per 1k, a click opens the report.
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: model('app.py'), languageId: 'python', version: 1, text: APP } });
    const s = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.statusOf', arguments: [model('app.py'), 3] }) as ModelStatus;
    assert.strictEqual(s.model, model('mlp.onnx'));
    assert.strictEqual(s.measured, true);
    assert.strictEqual(s.text, `p95 ${formatMs(r.latencyMs.p95)} · ${formatUsd(cost.per1k)} / 1k`);
    assert.match(s.tooltip, /^mlp\.onnx \(loaded by app\.py, line 3\) on c7i\.xlarge: measured .*Click for the report\.$/);
  });

  it('times a decoder\'s generation when asked to (generate options), the result pushed with its token figures', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.benchmark', arguments: [model('decoder.onnx'), { ...quick, generate: { promptTokens: 8, newTokens: 6 } }],
    }) as BenchResult;
    assert.strictEqual(r.generation?.generatedIds.length, 7);
    assert.ok(r.generation.tokensPerSec > 0);
    assert.match(pushed.at(-1)!.markdown, /TTFT p50 .* ms/);
  });

  it('the palette\'s Generate benchmark sends no counts: the generation settings give them; bad counts are refused', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.benchmark', arguments: [model('decoder.onnx'), { ...quick, generate: {} }],
    }) as BenchResult;
    assert.deepStrictEqual([r.generation?.promptTokens, r.generation?.newTokens, r.generation?.generatedIds.length], [5, 3, 4]);
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.benchmark', arguments: [model('decoder.onnx'), { ...quick, generate: { newTokens: 'many' } }],
    }), /generate\.newTokens must be an integer ≥ 1, got "many"/);
  });

  it('profiles per operator', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.profile', arguments: [model('mlp.onnx'), quick] }) as BenchResult;
    assert.strictEqual(r.profile?.nodes.length, 3);
    // The text view's hover on a profiled node's line shows its measured time.
    const n = r.profile.nodes[0];
    assert.strictEqual(typeof n.line, 'number');
    const viewUri = `inference-lens-model:${pathToFileURL(path.join(ws, 'mlp.onnx')).pathname}.onnxtext`;
    const h = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: viewUri }, position: { line: n.line!, character: 4 } });
    assert.match((h?.contents as MarkupContent).value, /\*\*measured\*\* [\d.]+ ms per inference/);
  });

  it('cancels on $/cancelRequest', async () => {
    const cts = new CancellationTokenSource();
    const p = conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [model('loop.onnx'), quick] }, cts.token);
    setTimeout(() => cts.cancel(), 800);
    await assert.rejects(p, (e: ResponseError<unknown>) => e.code === LSPErrorCodes.RequestCancelled);
  });

  it('cancels from the progress cancel button, and reports a failed session as an error', async () => {
    const before = progress.length;
    const p = conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [model('loop.onnx'), quick] });
    const token = await new Promise<ProgressToken>((resolve) => {
      const poll = setInterval(() => {
        const b = progress.slice(before).find((x) => x.value.kind === 'report' && /warming/.test(x.value.message ?? ''));
        if (b) { clearInterval(poll); resolve(b.token); }
      }, 20);
    });
    await conn.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    await assert.rejects(p, (e: ResponseError<unknown>) => e.code === LSPErrorCodes.RequestCancelled);
    fs.writeFileSync(path.join(ws, 'broken.onnx'), 'not a model');
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [model('broken.onnx'), quick] }),
      (e: ResponseError<unknown>) => /session creation failed/.test(e.message));
  });

  it('clears the benchmark cache: lastBenchmark has nothing until the next run, files other than results stay', async () => {
    fs.writeFileSync(path.join(ws, 'cache', 'notes.txt'), 'mine');
    const refreshes = lensRefreshes;
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.clearCache', arguments: [] }) as { removed: number };
    assert.ok(r.removed >= 2, `removed ${r.removed}`);
    assert.strictEqual(await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.lastBenchmark', arguments: [model('mlp.onnx')] }), null);
    assert.deepStrictEqual(fs.readdirSync(path.join(ws, 'cache')), ['notes.txt']);
    const s = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.statusOf', arguments: [model('app.py'), 3] }) as ModelStatus;
    assert.deepStrictEqual([s.measured, s.text.endsWith(' (est.)')], [false, true]);
    await waitFor(() => lensRefreshes > refreshes);
  });
});
