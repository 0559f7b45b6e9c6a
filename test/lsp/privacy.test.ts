/**
 * Privacy: the server and the CLI make no network requests and send no telemetry. They run here in a
 * network namespace with nothing in it (`unshare -n`), their socket calls watched by `strace -f` where
 * ptrace is allowed (children included), and must still do everything: diagnostics, hovers, a
 * benchmark and a conversion in worker processes, analyze and bench from the CLI. The only sockets the
 * server may hold are its stdio and unnamed socketpairs to its own children (/proc/<pid>/fd, /net).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  DidOpenTextDocumentNotification, ExecuteCommandRequest, HoverRequest, MarkupContent, WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import type { BenchResult } from '../../server/src/bench/types';
import { matmulChain } from '../helpers/benchModels';
import { PER_REQUEST_LOAD, PER_REQUEST_LOAD_MODEL_AT, startServer } from '../helpers/lsp';
import { networkCalls, nodeProcess, offline, Offline, socketsOf } from '../helpers/network';
import { DIST } from '../helpers/paths';
import { childPids } from '../helpers/procs';
import { testModel } from '../helpers/testModels';

const quick = { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 2 };

describe('privacy: no network use, no telemetry (server and CLI offline, socket calls watched)', function () {
  this.timeout(60_000);
  let off: Offline;
  let ws: string;
  before(function () {
    const o = offline();
    if (typeof o === 'string') { console.log(`    (${o}: the offline run is skipped)`); this.skip(); }
    off = o as Offline;
    if (!off.log) console.log('    (strace cannot run here: network blocked, socket calls not watched)');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-offline-ws-'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'mlp.onnx'));
    fs.writeFileSync(path.join(ws, 'chain.onnx'), matmulChain(4, 64));
    fs.writeFileSync(path.join(ws, 'app.py'), PER_REQUEST_LOAD);
    fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, 'cache') } }));
  });
  after(() => { off?.release(); if (ws) fs.rmSync(ws, { recursive: true, force: true }); });

  it('the server analyses, hovers, benchmarks and converts offline, holding no socket but stdio and IPC', async () => {
    const server = startServer({
      wrapper: off.wrapper,
      setup: (c) => {
        c.onRequest(WorkDoneProgressCreateRequest.type, () => null);
        c.onNotification('$/progress', () => undefined);
        c.onNotification('inferenceLens/benchmarkResult', () => undefined);
        c.onRequest('workspace/configuration', () => [{}]);
      },
    });
    try {
      const root = pathToFileURL(ws).toString();
      await server.initialize({ rootUri: root, workspaceFolders: [{ uri: root, name: 'ws' }], capabilities: { window: { workDoneProgress: true } } });
      const uri = pathToFileURL(path.join(ws, 'app.py')).toString();
      await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text: PER_REQUEST_LOAD } });
      await server.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'PY001'));
      const h = await server.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: PER_REQUEST_LOAD_MODEL_AT });
      assert.match((h?.contents as MarkupContent).value, /mlp\.onnx/);
      const r = await server.conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.benchmark', arguments: [pathToFileURL(path.join(ws, 'mlp.onnx')).toString(), quick] }) as BenchResult;
      assert.ok(r.runs >= 3);
      const q = await server.conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.quantize', arguments: [pathToFileURL(path.join(ws, 'chain.onnx')).toString(), 'fp16', { ab: false }] }) as { summary: { output: string } };
      assert.ok(fs.statSync(q.summary.output).size > 0);

      const sockets = socketsOf(nodeProcess(server.pid, childPids));
      assert.deepStrictEqual(sockets.other, [], 'only unnamed Unix sockets (IPC with our children) beside stdio');
      assert.deepStrictEqual(sockets.inet, [], 'no TCP, UDP or raw socket in the server\'s namespace');
    } finally {
      await server.stop();
    }
    assert.deepStrictEqual(networkCalls(off.log), [], 'no socket call by the server or its children');
  });

  it('the CLI analyses and benchmarks offline, with no socket call', () => {
    const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
      const argv = [...off.wrapper, process.execPath, path.join(DIST, 'cli.js'), ...args];
      return spawnSync(argv[0], argv.slice(1), { cwd: ws, encoding: 'utf8' });
    };
    const a = cli('analyze', ws, '--format', 'json');
    assert.strictEqual(a.status, 0, a.stderr);
    assert.match(a.stdout, /"PY001"/);
    assert.deepStrictEqual(networkCalls(off.log), []);
    const b = cli('bench', path.join(ws, 'mlp.onnx'), '--min-runs', '3', '--max-time', '1', '--warmup', '1', '--no-history', '--cache-dir', path.join(ws, 'cache'), '--format', 'json');
    assert.strictEqual(b.status, 0, b.stderr);
    assert.ok((JSON.parse(b.stdout) as BenchResult).runs >= 3);
    assert.deepStrictEqual(networkCalls(off.log), []);
  });
});
