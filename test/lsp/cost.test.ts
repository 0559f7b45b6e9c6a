/**
 * Cost over the protocol: the CodeLens above a model load, the cost hover, and budget diagnostics
 * that fire and clear when inference-lens.json changes, from the built server over stdio.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeLensRequest, DidChangeWatchedFilesNotification, DidOpenTextDocumentNotification, ExecuteCommandRequest, FileChangeType, HoverRequest,
  MarkupContent, ProtocolConnection, PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';
import { renderTextView } from '../../server/src/onnx/textView';
import { readModelFile } from '../../server/src/onnx/reader';
import type { ModelStatus } from '../../server/src/lsp/cost';

const APP = `import onnxruntime as ort

session = ort.InferenceSession("mlp_mnist_like.onnx")
`;

describe('cost over the protocol', function () {
  let server: ServerHandle;
  let conn: ProtocolConnection;
  let ws: string;
  const url = (name: string): string => pathToFileURL(path.join(ws, name)).toString();

  // the latest publication must match: budget diagnostics both appear and clear
  const waitFor = (uri: string, pred: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> =>
    server.waitForDiagnostics(uri, pred, { latest: true, timeoutMs: 20000 });

  async function writeConfig(cfg: object): Promise<void> {
    fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify(cfg));
    await conn.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: url('inference-lens.json'), type: FileChangeType.Changed }] });
  }

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-cost-'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'mlp_mnist_like.onnx'));
    // an empty bench cache: estimates only, whatever this machine has cached before
    fs.writeFileSync(path.join(ws, 'inference-lens.json'), JSON.stringify({ bench: { cacheDir: path.join(ws, '.cache') } }));
    server = startServer();
    conn = server.conn;
    await server.initialize({ rootUri: url(''), capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }] });
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: url('serve.py'), languageId: 'python', version: 1, text: APP } });
  });

  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  it('puts a cost lens above the model load', async () => {
    const lenses = await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: url('serve.py') } });
    assert.ok(lenses && lenses.length >= 1);
    assert.strictEqual(lenses[0].range.start.line, 2);
    assert.match(lenses[0].command!.title, /^p95 [\d.]+ ms · \$[\d.]+ \/ 1k · c7i\.xlarge \(est\.\)$/);
    assert.strictEqual(lenses[0].command!.command, 'inferenceLens.cost');
    // only registered actions are offered
    const actions = lenses.slice(1).map((l) => l.command!.command);
    for (const a of actions) assert.match(a, /^inferenceLens\.(benchmark|profile|quantize)$/);
  });

  it('hovers a session creation with the cost, the formula and the recommendation', async () => {
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: url('serve.py') }, position: { line: 2, character: 15 } });
    const md = (hover?.contents as MarkupContent).value;
    assert.match(md, /\*\*mlp_mnist_like\.onnx\*\* on \*\*c7i\.xlarge\*\*/);
    assert.match(md, /\$ per 1k = 1000 \/ \(/);
    assert.match(md, /Cheapest: \*\*/);
    assert.match(md, /535\.8 k parameters/); // the model summary follows
  });

  /** The text view's URI as the client opens it (lsp/modelView.ts). */
  const viewUriOf = (file: string): string => `inference-lens-model:${pathToFileURL(file).pathname}.onnxtext`;

  it('puts the lens at the top of the model text view and the cost on its header hover', async () => {
    const file = path.join(ws, 'mlp_mnist_like.onnx');
    const lenses = await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: viewUriOf(file) } });
    assert.strictEqual(lenses?.[0].range.start.line, 0);
    assert.match(lenses![0].command!.title, /· c7i\.xlarge \(est\.\)$/);
    const header = renderTextView(readModelFile(file)).headerLine;
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: viewUriOf(file) }, position: { line: header, character: 1 } });
    assert.match((hover?.contents as MarkupContent).value, /\$ per month/);
  });

  it('statusOf: the status bar\'s model for a .onnx, its text view, and the load at or above the cursor in code', async () => {
    const status = (uri: string, line?: number): Promise<ModelStatus | null> =>
      conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.statusOf', arguments: line === undefined ? [uri] : [uri, line] }) as Promise<ModelStatus | null>;
    const file = path.join(ws, 'mlp_mnist_like.onnx');
    const onFile = await status(url('mlp_mnist_like.onnx'));
    assert.match(onFile!.text, /^p95 [\d.]+ ms · \$[\d.e-]+ \/ 1k \(est\.\)$/);
    assert.strictEqual(onFile!.measured, false);
    assert.match(onFile!.tooltip, /^mlp_mnist_like\.onnx on c7i\.xlarge: estimate .*Click to benchmark it\.$/);
    assert.strictEqual(onFile!.loadedBy, undefined);
    assert.deepStrictEqual(await status(viewUriOf(file)), onFile);
    // The same figures as the CodeLens above the load (which also names the instance).
    const lens = (await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: url('serve.py') } }))![0].command!.title;
    assert.strictEqual(lens, onFile!.text.replace(' (est.)', ' · c7i.xlarge (est.)'));
    const fromCode = await status(url('serve.py'), 5);
    assert.deepStrictEqual(fromCode!.loadedBy, { file: path.join(ws, 'serve.py'), line: 2 });
    assert.strictEqual(fromCode!.model, pathToFileURL(file).toString());
    assert.strictEqual(fromCode!.text, onFile!.text);
    assert.match(fromCode!.tooltip, /^mlp_mnist_like\.onnx \(loaded by serve\.py, line 3\) on c7i\.xlarge/);
    // Two loads: the one at or above the cursor, the first when the cursor is above both.
    fs.copyFileSync(file, path.join(ws, 'second.onnx'));
    const two = `import onnxruntime as ort\n\na = ort.InferenceSession("mlp_mnist_like.onnx")\n\nb = ort.InferenceSession("second.onnx")\n`;
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: url('two.py'), languageId: 'python', version: 1, text: two } });
    const at = async (line: number): Promise<string> => path.basename(new URL((await status(url('two.py'), line))!.model).pathname);
    assert.deepStrictEqual([await at(0), await at(2), await at(3), await at(4), await at(9)], ['mlp_mnist_like.onnx', 'mlp_mnist_like.onnx', 'mlp_mnist_like.onnx', 'second.onnx', 'second.onnx']);
    // A code file that loads no model (or a model outside the workspace): no item.
    const none = 'import onnxruntime as ort\n\nc = ort.InferenceSession("/nowhere/missing.onnx")\n';
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: url('none.py'), languageId: 'python', version: 1, text: none } });
    assert.strictEqual(await status(url('none.py'), 2), null);
  });

  it('budget diagnostics fire on the model and the load, and clear when the budget is met', async () => {
    await writeConfig({ bench: { cacheDir: path.join(ws, '.cache') }, budgets: { p95Ms: 0.0001 } });
    const model = await waitFor(url('mlp_mnist_like.onnx'), (p) => p.diagnostics.some((d) => d.code === 'ONNX090'));
    assert.match(model.diagnostics.find((d) => d.code === 'ONNX090')!.message, /\(estimate\) on c7i\.xlarge exceeds the p95Ms budget of 0\.000 ms/);
    const code = await waitFor(url('serve.py'), (p) => p.diagnostics.some((d) => d.code === 'PY090'));
    assert.strictEqual(code.diagnostics.find((d) => d.code === 'PY090')!.range.start.line, 2);
    await writeConfig({ bench: { cacheDir: path.join(ws, '.cache') }, budgets: { p95Ms: 10000 } });
    await waitFor(url('mlp_mnist_like.onnx'), (p) => !p.diagnostics.some((d) => d.code === 'ONNX090'));
    await waitFor(url('serve.py'), (p) => !p.diagnostics.some((d) => d.code === 'PY090'));
  });
});
