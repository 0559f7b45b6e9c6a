/**
 * The built language server over stdio, driven as an editor would: one place that spawns it, wires
 * the JSON-RPC client, collects published diagnostics and shuts it down.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import {
  createProtocolConnection, ExitNotification, InitializedNotification, InitializeParams, InitializeRequest,
  InitializeResult, ProtocolConnection, PublishDiagnosticsNotification, PublishDiagnosticsParams, ShutdownRequest,
  StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { DIST } from './paths';

export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Match only the latest publication for the uri (so a later one can "clear" an earlier one). */
  latest?: boolean;
}

export interface ServerHandle {
  conn: ProtocolConnection;
  /** the server process's id */
  pid: number;
  /** Every publishDiagnostics so far, per uri, in arrival order. */
  diagnostics: Map<string, PublishDiagnosticsParams[]>;
  waitForDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean, opts?: WaitOptions): Promise<PublishDiagnosticsParams>;
  /** initialize, then initialized; returns the server's answer. */
  initialize(params: Omit<InitializeParams, 'processId'>): Promise<InitializeResult>;
  /** shutdown, exit, then dispose and kill whatever happens. */
  stop(): Promise<void>;
}

/**
 * Spawns `dist/server.js --stdio`; `setup` registers client-side handlers before the connection listens;
 * `nodeArgs` go to node before the script (`--expose-gc` for memory figures).
 */
export function startServer(opts: { setup?: (conn: ProtocolConnection) => void; nodeArgs?: string[]; wrapper?: string[] } = {}): ServerHandle {
  // `wrapper`: a command the server runs under (`unshare -n`, `strace -f -o LOG`); `pid` is then the wrapper's.
  const argv = [...(opts.wrapper ?? []), process.execPath, ...(opts.nodeArgs ?? []), path.join(DIST, 'server.js'), '--stdio'];
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    diagnostics.set(p.uri, [...(diagnostics.get(p.uri) ?? []), p]);
  });
  opts.setup?.(conn);
  conn.listen();

  function waitForDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean, w: WaitOptions = {}): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { clearInterval(poll); reject(new Error(`no matching diagnostics for ${uri}`)); }, w.timeoutMs ?? 15000);
      const poll = setInterval(() => {
        const seen = diagnostics.get(uri) ?? [];
        const hit = w.latest ? seen.slice(-1).find(pred) : seen.find(pred);
        if (hit) { clearTimeout(timer); clearInterval(poll); resolve(hit); }
      }, 20);
    });
  }

  async function initialize(params: Omit<InitializeParams, 'processId'>): Promise<InitializeResult> {
    const init = await conn.sendRequest(InitializeRequest.type, { processId: process.pid, ...params });
    await conn.sendNotification(InitializedNotification.type, {});
    return init;
  }

  async function stop(): Promise<void> {
    try {
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
    } finally {
      conn.dispose();
      proc.kill();
    }
  }

  return { conn, pid: proc.pid ?? -1, diagnostics, waitForDiagnostics, initialize, stop };
}

/** A FastAPI handler that loads mlp.onnx per request (PY001), and where to hover on that path. */
export const PER_REQUEST_LOAD = 'import onnxruntime as ort\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.post("/p")\ndef predict(x: list):\n    session = ort.InferenceSession("mlp.onnx")\n    return session.run(None, {"input": x})\n';
export const PER_REQUEST_LOAD_MODEL_AT = { line: 6, character: PER_REQUEST_LOAD.split('\n')[6].indexOf('mlp.onnx') + 2 };
