/**
 * "Optimize model" through LSP: code actions on fixable model findings (the .onnx and its text view),
 * the command with progress writing a new file beside the original, and a bad rule id refused.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { CodeActionRequest, Command, ExecuteCommandRequest, ProtocolConnection, WorkDoneProgress } from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { wasteModel } from '../helpers/optimizeModels';
import { hash } from '../helpers/quantize';

describe('optimize over LSP', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let conn: ProtocolConnection;
  let ws: string;
  const progress: unknown[] = [];
  const modelFile = (): string => path.join(ws, 'waste.onnx');

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'il-lsp-opt-'));
    fs.writeFileSync(modelFile(), wasteModel());
    server = startServer({ setup: (c) => { c.onProgress(WorkDoneProgress.type, 'tok-opt', (v) => progress.push(v)); } });
    conn = server.conn;
    await server.initialize({
      rootUri: pathToFileURL(ws).toString(), capabilities: { window: { workDoneProgress: true } },
      workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }],
    });
  });
  after(() => server.stop().finally(() => fs.rmSync(ws, { recursive: true, force: true })));

  const diag = (code: string) => ({ code, source: 'inference-lens', message: code, range: { start: { line: 3, character: 0 }, end: { line: 3, character: 10 } } });
  const ask = async (uri: string, codes: string[]) =>
    (await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diag('x').range, context: { diagnostics: codes.map(diag) } })) as Array<{ title: string; command?: Command }>;

  it('offers each finding\'s fix and "Optimize model" on the .onnx and its text view; nothing for rules without a fix', async () => {
    for (const uri of [pathToFileURL(modelFile()).toString(), `inference-lens-model:${pathToFileURL(modelFile()).pathname}.onnxtext`]) {
      const titles = (await ask(uri, ['ONNX004', 'ONNX007'])).map((a) => a.title);
      assert.deepStrictEqual(titles, [
        'Remove dead nodes in a copy: waste.onnx004.onnx',
        'Remove Identity, Dropout, no-op Casts, cancelling Transposes and Reshape chains in a copy: waste.onnx007.onnx',
        'Optimize model (every safe fix, then A/B): waste.opt.onnx',
        'Save as ONNX Runtime-optimized (extended level, then A/B): waste.ort.onnx',
      ], uri);
      assert.deepStrictEqual((await ask(uri, ['ONNX013', 'ONNX014'])).filter((a) => /copy|Optimize/.test(a.title)), []);
      assert.deepStrictEqual((await ask(uri, ['ONNX010'])).map((a) => a.title), ['Upgrade to opset 17 in a copy: waste.onnx010.onnx'], 'opt-in: not "Optimize model"');
    }
  });

  it('lists the fixes for the palette\'s quick pick: the model\'s findings first, each with its passes\' titles', async () => {
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.optimizeChoices', arguments: [pathToFileURL(modelFile()).toString()] }) as {
      choices: Array<{ rule: string; title: string; default: boolean; found: boolean }>;
    };
    const found = r.choices.filter((c) => c.found).map((c) => c.rule);
    assert.ok(found.includes('ONNX004') && found.includes('ONNX007'), found.join());
    assert.deepStrictEqual(r.choices.slice(0, found.length).map((c) => c.found), found.map(() => true), 'findings first');
    assert.match(r.choices.find((c) => c.rule === 'ONNX009')!.title, /attention/);
    assert.strictEqual(r.choices.find((c) => c.rule === 'ONNX012')!.default, false);
  });

  it('runs the fix with progress; the original stays, the copy has no dead nodes', async () => {
    const before = hash(modelFile());
    const [dead] = await ask(pathToFileURL(modelFile()).toString(), ['ONNX004']);
    const args = [...dead.command!.arguments!];
    args[1] = { ...(args[1] as object), ab: false };
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: dead.command!.command, arguments: args, workDoneToken: 'tok-opt' }) as {
      summary: { output: string; nodesBefore: number; nodesAfter: number }; markdown: string;
    };
    assert.strictEqual(r.summary.output, path.join(ws, 'waste.onnx004.onnx'));
    assert.deepStrictEqual([r.summary.nodesBefore, r.summary.nodesAfter], [14, 12]);
    assert.match(r.markdown, /ONNX004 Remove dead nodes: removed 2 dead nodes/);
    assert.strictEqual(hash(modelFile()), before);
    assert.ok(progress.some((p) => (p as { kind: string }).kind === 'end'));
  });

  it('refuses an unknown rule id with a clear error and keeps serving', async () => {
    await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.optimize', arguments: [pathToFileURL(modelFile()).toString(), { only: ['ONNX999'] }] }), /no fix for 'ONNX999'/);
    assert.ok((await ask(pathToFileURL(modelFile()).toString(), ['ONNX005'])).length > 0);
  });
});
