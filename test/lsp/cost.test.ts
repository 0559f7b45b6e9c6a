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
  CodeLensRequest, DidChangeWatchedFilesNotification, DidOpenTextDocumentNotification, FileChangeType, HoverRequest,
  MarkupContent, ProtocolConnection, PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';
import { renderTextView } from '../../server/src/onnx/textView';
import { readModelFile } from '../../server/src/onnx/reader';

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
