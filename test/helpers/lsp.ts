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
export function startServer(opts: { setup?: (conn: ProtocolConnection) => void; nodeArgs?: string[] } = {}): ServerHandle {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), path.join(DIST, 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
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
