/**
 * Quantization through LSP, as an editor drives it: code actions on a model path string, the
 * command with progress, the workspace edit that re-points the path, and cancellation.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  ApplyWorkspaceEditParams, ApplyWorkspaceEditRequest, CancellationTokenSource, CodeActionRequest, Command,
  DidOpenTextDocumentNotification, ExecuteCommandRequest, ProtocolConnection, WorkDoneProgress, ShowMessageNotification, LogMessageNotification,
} from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';
import { tinyDecoder } from '../helpers/tinyDecoder';
import type { AbReport } from '../../server/src/quantize/ab';
import { STACK_LINE } from '../../server/src/errors';

const APP = `import onnxruntime as ort

session = ort.InferenceSession("models/mlp.onnx")
`;

describe('quantize over LSP', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  let conn: ProtocolConnection;
  let ws: string;
  const edits: ApplyWorkspaceEditParams[] = [];
  const progress: unknown[] = [];
  const messages: string[] = [];
  const logs: string[] = [];
  const uri = (): string => pathToFileURL(path.join(ws, 'serve.py')).toString();
  const modelFile = (): string => path.join(ws, 'models', 'mlp.onnx');

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-lsp-q-'));
    fs.mkdirSync(path.join(ws, 'models'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), modelFile());
    fs.writeFileSync(path.join(ws, 'serve.py'), APP);
    server = startServer({
      setup: (c) => {
        c.onRequest(ApplyWorkspaceEditRequest.type, (p) => { edits.push(p); return { applied: true }; });
        c.onProgress(WorkDoneProgress.type, 'tok-1', (v) => progress.push(v));
        c.onNotification(ShowMessageNotification.type, (m) => messages.push(m.message));
        c.onNotification(LogMessageNotification.type, (m) => logs.push(m.message));
      },
    });
    conn = server.conn;
    await server.initialize({
      rootUri: pathToFileURL(ws).toString(), capabilities: { window: { workDoneProgress: true } },
      workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }],
    });
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(), languageId: 'python', version: 1, text: APP } });
  });

  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  async function actionsAt(line: number, character: number): Promise<Array<{ title: string; command?: Command }>> {
    const pos = { line, character };
    return (await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: uri() }, range: { start: pos, end: pos }, context: { diagnostics: [] } })) as Array<{ title: string; command?: Command }>;
  }

  it('offers int8, int4 and fp16 on a model path string, and nothing elsewhere', async () => {
    const actions = await actionsAt(2, 40);
    assert.deepStrictEqual(actions.map((a) => a.title.split(':')[0]), ['Quantize to int8 (dynamic)', 'Quantize weights to int4', 'Convert to fp16']);
    assert.match(actions[0].title, /mlp\.int8\.onnx/);
    assert.deepStrictEqual(await actionsAt(0, 3), []);
  });

  it('offers them on the ONNX001 finding of the model file and its text view, not on other findings', async () => {
    const diag = (code: string) => ({ code, source: 'inference-lens', message: 'float32 weights', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
    for (const u of [pathToFileURL(modelFile()).toString(), `inference-lens-model:${pathToFileURL(modelFile()).pathname}.onnxtext`]) {
      const ask = async (code: string) => (await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: u }, range: diag(code).range, context: { diagnostics: [diag(code)] } })) as Array<{ title: string }>;
      assert.strictEqual((await ask('ONNX001')).length, 3, u);
      // ONNX005 gets optimize's fix (lsp/optimize.ts), never a quantize action.
      assert.deepStrictEqual((await ask('ONNX005')).filter((a) => /^(Quantize|Convert)/.test(a.title)), []);
    }
  });

  it('runs the command with progress, re-points the path and keeps the original', async () => {
    const before = crypto.createHash('sha256').update(fs.readFileSync(modelFile())).digest('hex');
    const [int8] = await actionsAt(2, 40);
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: int8.command!.command, arguments: int8.command!.arguments, workDoneToken: 'tok-1' }) as {
      summary: { output: string; nodesConverted: number }; ab: { verdict: string; minCosine: number }; edited: boolean;
    };
    assert.strictEqual(r.summary.output, path.join(ws, 'models', 'mlp.int8.onnx'));
    assert.ok(fs.existsSync(r.summary.output));
    assert.ok(r.ab.minCosine > 0.99);
    assert.ok(r.edited);
    const change = edits[0].edit.changes![uri()][0];
    assert.strictEqual(change.newText, '"models/mlp.int8.onnx"');
    assert.deepStrictEqual(change.range, { start: { line: 2, character: 31 }, end: { line: 2, character: 48 } });
    assert.strictEqual(crypto.createHash('sha256').update(fs.readFileSync(modelFile())).digest('hex'), before);
    assert.ok(progress.some((p) => (p as { kind: string }).kind === 'begin') && progress.some((p) => (p as { kind: string }).kind === 'end'));
    assert.ok(messages.some((m) => /mlp\.int8\.onnx: /.test(m)));
  });

  it('compares two models (the palette\'s Compare Two Models…): per-output agreement and a verdict', async () => {
    const int8 = path.join(ws, 'models', 'mlp.int8.onnx');
    assert.ok(fs.existsSync(int8), 'written by the test before');
    const ab = await conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.compare', arguments: [pathToFileURL(modelFile()).toString(), pathToFileURL(int8).toString(), { bench: false }],
    }) as { a: string; b: string; outputs: { name: string; cosine: number }[]; verdict: string; sizeRatio: number };
    assert.strictEqual(ab.a, modelFile());
    assert.strictEqual(ab.b, int8);
    assert.ok(ab.outputs.length === 1 && ab.outputs[0].cosine > 0.99);
    assert.strictEqual(ab.verdict, 'accurate (speed not measured)');
    assert.ok(ab.sizeRatio < 0.5);
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.compare', arguments: [pathToFileURL(modelFile()).toString()] }), /expects two model URIs/);
  });

  it('a decoder is judged on its greedy generations: token agreement in the result, the log and the headline', async () => {
    const dec = path.join(ws, 'models', 'tiny_decoder.onnx');
    fs.writeFileSync(dec, tinyDecoder());
    const r = await conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.quantize', arguments: [pathToFileURL(dec).toString(), 'int8-dynamic', { minWeightElements: 0, newTokens: 4 }],
    }) as { ab: AbReport; markdown: string };
    const g = r.ab.generation!;
    assert.deepStrictEqual([g.prompts, g.newTokens], [4, 4]);
    assert.strictEqual(r.ab.accurate, g.tokenAgreement >= 0.9);
    assert.ok(r.ab.perfA!.decode!.tokensPerSec > 0 && r.ab.perfB!.decode!.tokensPerSec > 0, 'timed by a generation');
    assert.match(r.markdown, /generated tokens: [\d.]+% agree over 4 prompt\(s\) × 5 ids/);
    assert.ok(messages.some((m) => /tiny_decoder\.int8\.onnx: .*\(tokens agree [\d.]+ %, [\d.]+× decode tokens\/s/.test(m)), messages.join('\n'));
  });

  it('a cancelled command answers with an error and writes nothing', async () => {
    const src = new CancellationTokenSource();
    const p = conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'inferenceLens.quantize', arguments: [pathToFileURL(modelFile()).toString(), 'fp16', { out: path.join(ws, 'models', 'cancel.onnx') }],
    }, src.token);
    setTimeout(() => src.cancel(), 5);
    await assert.rejects(p);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(fs.readdirSync(path.join(ws, 'models')).filter((f) => f.startsWith('cancel')), []);
  });

  it('a failing conversion answers one clear line naming the file, with no stack trace in the reply or the log', async () => {
    const bad = path.join(ws, 'models', 'bad.onnx');
    fs.writeFileSync(bad, fs.readFileSync(modelFile()).subarray(0, 3000));
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.quantize', arguments: [pathToFileURL(bad).toString(), 'int8-dynamic'] }), (e: Error) => {
      assert.match(e.message, /inferenceLens\.quantize of bad\.onnx failed: .*truncated or corrupt \(re-export or re-download the model/);
      assert.ok(!STACK_LINE.test(e.message) && !e.message.includes('\n'), e.message);
      return true;
    });
    const logged = logs.filter((l) => l.includes('bad.onnx'));
    assert.ok(logged.length > 0 && logged.every((l) => !STACK_LINE.test(l)), logged.join('\n'));
    assert.deepStrictEqual(fs.readdirSync(path.join(ws, 'models')).filter((f) => f.startsWith('bad.')), ['bad.onnx']);
  });

  it('rejects a bad method with a clear error', async () => {
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.quantize', arguments: [pathToFileURL(modelFile()).toString(), 'int3'] }), /method must be one of/);
  });
});
