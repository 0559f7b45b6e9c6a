/**
 * The built server over stdio, spoken to as an editor would: JSON-RPC with
 * vscode-languageserver-protocol's client side.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeActionRequest, DidOpenTextDocumentNotification, ExecuteCommandRequest, HoverRequest, InitializedNotification,
  InitializeRequest, ProtocolConnection, PublishDiagnosticsParams, DidChangeTextDocumentNotification, MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';

const APP = `import onnxruntime as ort
from fastapi import FastAPI

app = FastAPI()


@app.post("/predict")
def predict(x: list):
    session = ort.InferenceSession("mlp_mnist_like.onnx")
    return session.run(None, {"input": x})
`;

describe('language server over stdio', function () {
  let server: ServerHandle;
  let conn: ProtocolConnection;
  let ws: string;
  let diagnostics: Map<string, PublishDiagnosticsParams[]>;
  const waitForDiagnostics = (uri: string, pred: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> =>
    server.waitForDiagnostics(uri, pred);

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-lsp-'));
    fs.copyFileSync(testModel('mlp_mnist_like.onnx'), path.join(ws, 'mlp_mnist_like.onnx'));
    fs.writeFileSync(path.join(ws, 'broken.onnx'), Buffer.from('this is not a model'));
    server = startServer();
    ({ conn, diagnostics } = server);
  });

  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  it('initializes and declares what it serves', async () => {
    const init = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: pathToFileURL(ws).toString(), capabilities: {},
      workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }],
    });
    assert.strictEqual(init.serverInfo?.name, 'inference-lens');
    assert.ok(init.capabilities.hoverProvider);
    assert.ok(init.capabilities.codeActionProvider);
    const cmds = init.capabilities.executeCommandProvider?.commands ?? [];
    for (const c of ['inferenceLens.modelSummary', 'inferenceLens.modelText', 'inferenceLens.cost', 'inferenceLens.quantize']) assert.ok(cmds.includes(c), c);
    assert.ok(init.capabilities.codeLensProvider);
    await conn.sendNotification(InitializedNotification.type, {});
  });

  const uri = (): string => pathToFileURL(path.join(ws, 'serve.py')).toString();

  it('publishes PY001 for an opened Python file', async () => {
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(), languageId: 'python', version: 1, text: APP } });
    const p = await waitForDiagnostics(uri(), (d) => d.diagnostics.length > 0);
    assert.strictEqual(p.diagnostics[0].code, 'PY001');
    assert.strictEqual(p.diagnostics[0].source, 'inference-lens');
    assert.strictEqual(p.diagnostics[0].range.start.line, 8);
    assert.match(p.diagnostics[0].codeDescription!.href, /docs\/rules\/PY001\.md$/);
    // The path string names a workspace model with 2 MiB of float32 Gemm weights: PY011 on the literal.
    const py011 = p.diagnostics.find((d) => d.code === 'PY011');
    assert.deepStrictEqual(py011?.range, { start: { line: 8, character: 35 }, end: { line: 8, character: 56 } });
  });

  it('re-diagnoses after an incremental edit', async () => {
    // Replace the route decorator: the load is no longer on a request path.
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: uri(), version: 2 },
      contentChanges: [{ range: { start: { line: 6, character: 0 }, end: { line: 6, character: 21 } }, text: '# no route' }],
    });
    await waitForDiagnostics(uri(), (d) => d.version === 2 && !d.diagnostics.some((x) => x.code === 'PY001'));
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: uri(), version: 3 },
      contentChanges: [{ range: { start: { line: 6, character: 0 }, end: { line: 6, character: 10 } }, text: '@app.post("/predict")' }],
    });
    await waitForDiagnostics(uri(), (d) => d.version === 3 && d.diagnostics.filter((x) => x.code === 'PY001').length === 1);
  });

  it('offers the quick fix as a workspace edit', async () => {
    const p = (diagnostics.get(uri()) ?? []).filter((d) => d.version === 3).pop()!;
    const py001 = p.diagnostics.filter((d) => d.code === 'PY001');
    const actions = await conn.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: uri() }, range: py001[0].range, context: { diagnostics: py001 },
    });
    // The quantize actions on the model path string come too (lsp/quantize.ts); one fix is PY001's.
    const fixes = (actions ?? []).filter((a) => !/^(Quantize|Convert)/.test(a.title));
    assert.ok(fixes.length === 1, JSON.stringify(actions?.map((a) => a.title)));
    const action = fixes[0] as { title: string; edit?: { changes?: Record<string, unknown[]> } };
    assert.match(action.title, /Load `session` once at module scope/);
    assert.strictEqual(action.edit?.changes?.[uri()]?.length, 2);
  });

  it('moves the findings of untouched statements with the lines an edit inserts above them', async () => {
    const doc = pathToFileURL(path.join(ws, 'two_handlers.py')).toString();
    const text = ['import torch', 'from fastapi import FastAPI', '', 'app = FastAPI()', '', '',
      '@app.post("/a")', 'def a(x):', '    m = torch.load("a.pt")', '    return m(x)', '', '',
      '@app.post("/b")', 'def b(x):', '    n = torch.load("b.pt")', '    return n(x)', ''].join('\n');
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: doc, languageId: 'python', version: 1, text } });
    const first = await waitForDiagnostics(doc, (d) => d.diagnostics.filter((x) => x.code === 'PY001').length === 2);
    assert.deepStrictEqual(first.diagnostics.filter((x) => x.code === 'PY001').map((x) => x.range.start.line), [8, 14]);
    // Two lines typed into the first handler: its finding stays, the second handler's moves down by two.
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: doc, version: 2 },
      contentChanges: [{ range: { start: { line: 8, character: 0 }, end: { line: 8, character: 0 } }, text: '    x = x.float()\n    x = x[None]\n' }],
    });
    const second = await waitForDiagnostics(doc, (d) => d.version === 2);
    assert.deepStrictEqual(second.diagnostics.filter((x) => x.code === 'PY001').map((x) => x.range.start.line), [10, 16]);
  });

  it('shows the model summary on hover over a model path', async () => {
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: uri() }, position: { line: 8, character: 40 } });
    const value = (hover?.contents as MarkupContent).value;
    assert.match(value, /mlp_mnist_like\.onnx.*535\.8 k parameters/);
    assert.match(value, /Gemm ×3/);
  });

  it('diagnoses JS/TS and hovers on InferenceSession.create(variable)', async () => {
    const js = pathToFileURL(path.join(ws, 'server.js')).toString();
    const text = "const ort = require('onnxruntime-node');\nconst MODEL = 'mlp_mnist_like.onnx';\n" +
      "exports.handler = async (event) => {\n  const s = await ort.InferenceSession.create(MODEL);\n  return s.run(event);\n};\n";
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: js, languageId: 'javascript', version: 1, text } });
    const p = await waitForDiagnostics(js, (d) => d.diagnostics.length > 0);
    assert.deepStrictEqual(p.diagnostics.map((d) => d.code), ['JS001', 'JS003']);
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: js }, position: { line: 3, character: 40 } });
    assert.match((hover?.contents as MarkupContent).value, /mlp_mnist_like\.onnx.*535\.8 k parameters/);
  });

  it('answers the model summary command and reports unreadable models', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.modelSummary', arguments: [pathToFileURL(path.join(ws, 'mlp_mnist_like.onnx')).toString()] });
    assert.strictEqual((r as { summary: { params: number } }).summary.params, 535818);
    const broken = pathToFileURL(path.join(ws, 'broken.onnx')).toString();
    const d = await waitForDiagnostics(broken, (x) => x.diagnostics.length > 0);
    assert.strictEqual(d.diagnostics[0].code, 'ONNX000');
  });

  const modelFile = (): string => path.join(ws, 'mlp_mnist_like.onnx');
  const viewUri = (): string => `inference-lens-model:${pathToFileURL(modelFile()).pathname}.onnxtext`;

  it('serves the model text view by request and by command', async () => {
    const r = await conn.sendRequest<{ uri: string; text: string }>('inferenceLens/modelText', { uri: pathToFileURL(modelFile()).toString() });
    assert.strictEqual(r.uri, viewUri());
    assert.match(r.text, /^<ir_version: 8, opset_import: \["" : 17\]/);
    assert.match(r.text, /= Gemm <alpha = 1\.0, beta = 1\.0, transB = 1> \(input, net\.0\.weight, net\.0\.bias\)/);
    const c = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.modelText', arguments: [viewUri()] }) as { text: string };
    assert.strictEqual(c.text, r.text);
  });

  it('puts model diagnostics on the text view lines and links them from the .onnx file', async () => {
    const { text } = await conn.sendRequest<{ text: string }>('inferenceLens/modelText', { uri: viewUri() });
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: viewUri(), languageId: 'onnx-text', version: 1, text } });
    const p = await waitForDiagnostics(viewUri(), (d) => d.diagnostics.some((x) => x.code === 'ONNX001'));
    const d = p.diagnostics.find((x) => x.code === 'ONNX001')!;
    const line = text.split('\n')[d.range.start.line];
    assert.match(line, /= Gemm .*net\.0\.weight/);
    const onFile = await waitForDiagnostics(pathToFileURL(modelFile()).toString(), (x) => x.diagnostics.some((y) => y.code === 'ONNX001'));
    const fd = onFile.diagnostics.find((x) => x.code === 'ONNX001')!;
    assert.strictEqual(fd.range.start.line, 0);
    assert.strictEqual(fd.relatedInformation?.[0].location.uri, viewUri());
    assert.strictEqual(fd.relatedInformation?.[0].location.range.start.line, d.range.start.line);

    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: viewUri() }, position: { line: d.range.start.line, character: 5 } });
    const value = (hover?.contents as MarkupContent).value;
    assert.match(value, /\*\*Gemm\*\*/);
    assert.match(value, /`net\.0\.weight` \| float\[512,784\] · weight, 1\.5 MiB/);
    assert.match(value, /Weights: 401\.9 k parameters, 1\.5 MiB \(75\.0% of the model\)/);
    assert.match(value, /Compute: 401\.4 k MACs \(75\.0% of the model\), 803\.3 k FLOPs/);
    assert.match(value, /at batch=1/);
    assert.match(value, /ONNX001/);
  });
});
