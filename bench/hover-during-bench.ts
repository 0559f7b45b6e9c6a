/**
 * Do hovers stay responsive while a benchmark runs? The built server over stdio (as an editor sees
 * it): hover latency on a model path in Python code while idle, then while `inferenceLens.benchmark`
 * runs bert_small_like for several seconds in its child process. Prints both and the ratio.
 *
 * Run: npm run bench -- hover-during-bench
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  createProtocolConnection, DidOpenTextDocumentNotification, ExecuteCommandRequest, ExitNotification, HoverRequest,
  InitializedNotification, InitializeRequest, ShutdownRequest, StreamMessageReader, StreamMessageWriter, WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import { table } from '../server/src/bench/report';
import { latencyStats } from '../server/src/bench/stats';

const REPO = path.resolve(__dirname, '..', '..', '..'); // out/run/bench → repo
const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(REPO, '..', 'shared', 'models');

async function main(): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-hover-bench-'));
  fs.copyFileSync(path.join(MODELS, 'bert_small_like.onnx'), path.join(ws, 'bert.onnx'));
  fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, 'cache') } }));
  const code = 'import onnxruntime as ort\nsession = ort.InferenceSession("bert.onnx")\n';
  const proc = spawn(process.execPath, [path.join(REPO, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest('workspace/configuration', () => [{}]);
  conn.onNotification('$/progress', () => undefined);
  conn.onNotification('inferenceLens/benchmarkResult', () => undefined);
  conn.listen();
  const root = pathToFileURL(ws).toString();
  await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: root, workspaceFolders: [{ uri: root, name: 'ws' }], capabilities: { window: { workDoneProgress: true } } });
  await conn.sendNotification(InitializedNotification.type, {});
  const uri = pathToFileURL(path.join(ws, 'app.py')).toString();
  await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text: code } });

  const hover = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const h = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 38 } });
    if (!h) throw new Error('no hover on the model path');
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const sample = async (n: number, gapMs: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) { out.push(await hover()); await new Promise((r) => setTimeout(r, gapMs)); }
    return out;
  };

  // The server loads its parsers after `initialized`: wait until a hover answers.
  for (let tries = 0; ; tries++) {
    try { await hover(); break; } catch (e) { if (tries > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  for (let i = 0; i < 10; i++) await hover(); // the model cache warm
  const idle = await sample(60, 50);
  let done = false;
  const benchRun = conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [pathToFileURL(path.join(ws, 'bert.onnx')).toString(), { minRuns: 50, minTimeS: 6, maxTimeS: 20 }] })
    .finally(() => { done = true; });
  await new Promise((r) => setTimeout(r, 1500)); // past session creation: inference is running
  const during: number[] = [];
  while (!done && during.length < 200) { during.push(await hover()); await new Promise((r) => setTimeout(r, 50)); }
  await benchRun;

  const a = latencyStats(idle);
  const b = latencyStats(during);
  console.log(table([
    ['hover latency', 'samples', 'p50 ms', 'p95 ms', 'max ms'],
    ['idle', String(idle.length), a.p50.toFixed(2), a.p95.toFixed(2), a.max.toFixed(2)],
    ['during benchmark', String(during.length), b.p50.toFixed(2), b.p95.toFixed(2), b.max.toFixed(2)],
    ['ratio', '', (b.p50 / a.p50).toFixed(2), (b.p95 / a.p95).toFixed(2), ''],
  ]).join('\n'));
  console.log(`(${os.availableParallelism()} cores: the benchmark child competes with the server for them; the server's own event loop only waits on IPC)`);
  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  conn.dispose();
  proc.kill();
  fs.rmSync(ws, { recursive: true, force: true });
}

void main().catch((e) => { console.error(e); process.exit(1); });
