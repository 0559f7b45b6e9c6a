/**
 * A long language-server session for the soak benchmark (bench/soak.ts) and its CI-sized test
 * (test/lsp/soak.test.ts): the built server over stdio, a generated workspace of Python files and models,
 * rounds of opening and closing files, edits, hovers, code actions, CodeLens and benchmarks; the server's
 * memory after a full GC at the start, the middle and the end, and hover latencies idle and under load.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeActionRequest, CodeLensRequest, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification, DidOpenTextDocumentNotification,
  ExecuteCommandRequest, HoverRequest, WorkDoneProgress, WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import { startServer } from './lsp';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { generateServingPython } from '../../bench/lib/servingPython';

export interface SoakOptions { edits: number; benchmarks: number; rounds: number; files?: number; models?: number }

export interface Stats {
  rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; openDocuments: number;
  /** entries in the server's in-memory caches, by name (models, and the per-document ones) */
  caches: Record<string, number>;
}

export interface SoakResult { files: number; models: number; edits: number; benchmarks: number; seconds: number; start: Stats; middle: Stats; end: Stats; idleHoverMs: number[]; busyHoverMs: number[] }

function mlp(width: number, seed: number): Buffer {
  return encodeModel(model({
    nodes: [node('MatMul', ['x', 'w1'], ['h']), node('Relu', ['h'], ['r']), node('MatMul', ['r', 'w2'], ['y'])],
    initializers: [floatTensor('w1', [64, width], seededFloats(64 * width, seed)), floatTensor('w2', [width, 10], seededFloats(width * 10, seed + 1))],
    inputs: [valueInfo('x', DataType.FLOAT, ['batch', 64])], outputs: [valueInfo('y', DataType.FLOAT, ['batch', 10])],
  }));
}

/** Runs the session; each round opens 20 files and touches 2 models (10 rounds visit 200 files once). */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const FILES = o.files ?? 200, MODELS = o.models ?? 20, EDITS = o.edits, BENCHMARKS = o.benchmarks, ROUNDS = o.rounds;
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-soak-'));
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const f = path.join(ws, `svc${i % 10}`, `app_${i}.py`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    // Each file loads one of the workspace's models, so hovers there have a model to price.
    fs.writeFileSync(f, `import onnxruntime as ort\nSESSION = ort.InferenceSession("../models/m${i % MODELS}.onnx")\n${generateServingPython(120)}`);
    files.push(f);
  }
  fs.mkdirSync(path.join(ws, 'models'));
  const models = Array.from({ length: MODELS }, (_, i) => {
    const f = path.join(ws, 'models', `m${i}.onnx`);
    fs.writeFileSync(f, mlp(128 + 32 * i, i + 1));
    return f;
  });
  fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, '.cache') } }));

  const server = startServer({
    nodeArgs: ['--expose-gc'],
    setup: (c) => {
      c.onRequest(WorkDoneProgressCreateRequest.type, () => null);
      c.onProgress(WorkDoneProgress.type, '*', () => undefined);
      c.onNotification('$/progress', () => undefined);
      c.onNotification('inferenceLens/benchmarkResult', () => undefined);
      c.onRequest('workspace/configuration', () => [{}]);
      c.onRequest('workspace/codeLens/refresh', () => null);
    },
  });
  const { conn } = server;
  const uri = (f: string): string => pathToFileURL(f).toString();
  const stats = (): Promise<Stats> => conn.sendRequest('inferenceLens/stats') as Promise<Stats>;
  const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const versions = new Map<string, number>();
  const open = async (f: string): Promise<void> => {
    versions.set(f, 1);
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(f), languageId: 'python', version: 1, text: texts.get(f)! } });
  };
  const close = (f: string): Promise<void> => conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: uri(f) } });
  const hover = async (f: string): Promise<number> => {
    const t = process.hrtime.bigint();
    await conn.sendRequest(HoverRequest.type, { textDocument: { uri: uri(f) }, position: { line: 1, character: 30 } });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };

  try {
    const root = uri(ws);
    await server.initialize({ rootUri: root, workspaceFolders: [{ uri: root, name: 'soak' }], capabilities: { window: { workDoneProgress: true } } });
    // The idle server: the same hover, nothing else going on (the baseline for the hovers under load).
    await open(files[0]);
    await new Promise((r) => setTimeout(r, 3000)); // the background index of the workspace
    const idle: number[] = [];
    for (let i = 0; i < 50; i++) idle.push(await hover(files[0]));
    const start = await stats();
    const t0 = Date.now();

    const rounds = ROUNDS;
    const editsPerRound = Math.ceil(EDITS / rounds);
    const busy: number[] = [];
    let middle: Stats | undefined;
    let edits = 0, benches = 0;
    for (let round = 0; round < rounds; round++) {
      // Open 20 files, edit the open ones, hover, ask for actions and lenses, close them again.
      const batch = files.slice((round * 20) % FILES, (round * 20) % FILES + 20);
      for (const f of batch) await open(f);
      for (let e = 0; e < editsPerRound; e++) {
        const f = batch[e % batch.length];
        const v = (versions.get(f) ?? 1) + 1;
        versions.set(f, v);
        // Type a character at the end of line 2, then delete it: the document flips between two texts.
        const line = 2, character = 0;
        const change = v % 2 === 0
          ? { range: { start: { line, character }, end: { line, character } }, text: '#' }
          : { range: { start: { line, character }, end: { line, character: 1 } }, text: '' };
        await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uri(f), version: v }, contentChanges: [change] });
        edits++;
        if (e % 50 === 0) {
          busy.push(await hover(f));
          await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: uri(f) }, range: { start: { line: 10, character: 0 }, end: { line: 12, character: 0 } }, context: { diagnostics: [] } });
          await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri(f) } });
        }
      }
      for (const m of models.slice((round * 2) % MODELS, (round * 2) % MODELS + 2)) {
        await conn.sendRequest(HoverRequest.type, { textDocument: { uri: uri(m) }, position: { line: 0, character: 0 } });
        await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri(m) } });
      }
      const benchesThisRound = Math.round(((round + 1) * BENCHMARKS) / rounds) - benches;
      for (let b = 0; b < benchesThisRound; b++, benches++) {
        await conn.sendRequest(ExecuteCommandRequest.type, {
          command: 'inferenceLens.benchmark',
          arguments: [uri(models[benches % MODELS]), { warmupRuns: 2, warmupTimeS: 0, minRuns: 20, minTimeS: 0, maxTimeS: 5 }],
        });
      }
      for (const f of batch) await close(f);
      if (round === Math.floor(rounds / 2) - 1) middle = await stats();
    }
    const end = await stats();
    return { files: FILES, models: MODELS, edits, benchmarks: benches, seconds: (Date.now() - t0) / 1000, start, middle: middle!, end, idleHoverMs: idle, busyHoverMs: busy };
  } finally {
    await server.stop().catch(() => undefined);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}
