/**
 * The workspace index through the real server: a file's findings depend on the other Python files of
 * the workspace (a torch class defined in another module, a helper in another module that a route
 * calls), closed files are read from disk, and an edit in one file re-diagnoses the open files that
 * depend on it. The same for JS/TS: a helper imported from a closed file that runs a pipeline.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { DidChangeTextDocumentNotification, DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';

const NETS = `import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        return self.out(self.drop(self.fc(x)))
`;

const HELPERS = `from transformers import AutoModel


def embed(texts):
    model = AutoModel.from_pretrained("org/encoder")
    return model(texts)
`;

const APP = `import torch
from fastapi import FastAPI
from nets import Net
from helpers import embed

app = FastAPI()
net = Net()
net.load_state_dict(torch.load("net.pt"))


@app.post("/score")
def score(x: list):
    with torch.inference_mode():
        y = net(torch.tensor(x))
    return {"y": y.tolist(), "e": embed(x)}
`;

const EMBED_JS = `const { pipeline } = require('@xenova/transformers');
let pipe;
async function toVector(text) {
  pipe ??= await pipeline('feature-extraction', 'org/encoder');
  return Array.from((await pipe(text, { pooling: 'mean' })).data);
}
module.exports = { toVector };
`;

const INGEST_JS = `const { toVector } = require('./lib/embed');
async function ingest(parts) {
  const rows = [];
  for (const part of parts) rows.push(await toVector(part));
  return rows;
}
module.exports = { ingest };
`;

describe('workspace index over LSP', function () {
  let server: ServerHandle;
  let ws: string;
  const uriOf = (name: string): string => pathToFileURL(path.join(ws, name)).toString();

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-ws-'));
    fs.writeFileSync(path.join(ws, 'nets.py'), NETS);
    fs.writeFileSync(path.join(ws, 'helpers.py'), HELPERS);
    fs.writeFileSync(path.join(ws, 'app.py'), APP);
    fs.mkdirSync(path.join(ws, 'lib'));
    fs.writeFileSync(path.join(ws, 'lib', 'embed.js'), EMBED_JS);
    fs.writeFileSync(path.join(ws, 'ingest.js'), INGEST_JS);
    server = startServer();
    await server.initialize({ rootUri: pathToFileURL(ws).toString(), capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }] });
  });

  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  it('knows a torch class defined in a closed file of the workspace', async () => {
    await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uriOf('app.py'), languageId: 'python', version: 1, text: APP } });
    // `Net` has dropout and is never put in eval mode: PY003 on its construction, once the index knows nets.py.
    const p = await server.waitForDiagnostics(uriOf('app.py'), (d) => d.diagnostics.some((x) => x.code === 'PY003'));
    const py003 = p.diagnostics.find((x) => x.code === 'PY003')!;
    assert.strictEqual(py003.range.start.line, 6);
  });

  it('flags a load in another module that a route calls, and names the chain', async () => {
    await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uriOf('helpers.py'), languageId: 'python', version: 1, text: HELPERS } });
    const p = await server.waitForDiagnostics(uriOf('helpers.py'), (d) => d.diagnostics.some((x) => x.code === 'PY001'));
    const py001 = p.diagnostics.find((x) => x.code === 'PY001')!;
    assert.strictEqual(py001.range.start.line, 4);
    assert.match(py001.message, /`score` → `helpers\.embed`/);
  });

  it('re-diagnoses a dependent when the route that reached it goes away', async () => {
    const edited = APP.replace('@app.post("/score")\n', '');
    await server.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: uriOf('app.py'), version: 2 }, contentChanges: [{ text: edited }],
    });
    await server.waitForDiagnostics(uriOf('helpers.py'), (d) => !d.diagnostics.some((x) => x.code === 'PY001'), { latest: true });
  });

  it('JS/TS: flags a per-item call of a helper imported from a closed file, and drops it when the helper changes', async () => {
    await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uriOf('ingest.js'), languageId: 'javascript', version: 1, text: INGEST_JS } });
    const p = await server.waitForDiagnostics(uriOf('ingest.js'), (d) => d.diagnostics.some((x) => x.code === 'JS002'));
    const js002 = p.diagnostics.find((x) => x.code === 'JS002')!;
    assert.strictEqual(js002.range.start.line, 3);
    assert.match(js002.message, /`toVector\(\.\.\.\)` \(imported from `\.\/lib\/embed`/);
    const embedUri = pathToFileURL(path.join(ws, 'lib', 'embed.js')).toString();
    await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: embedUri, languageId: 'javascript', version: 1, text: EMBED_JS } });
    await server.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: embedUri, version: 2 }, contentChanges: [{ text: EMBED_JS.replace('module.exports = { toVector };', 'module.exports = {};') }],
    });
    await server.waitForDiagnostics(uriOf('ingest.js'), (d) => !d.diagnostics.some((x) => x.code === 'JS002'), { latest: true });
  });
});
