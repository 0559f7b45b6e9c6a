// PY001 through the real client: published diagnostics reach vscode.languages, and edits re-diagnose.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, openInEditor, restoreFromDisk, ruleOf, SERVE_PY, waitForDiagnostics } from './workspace';

describe('diagnostics in VS Code', () => {
  before(activateExtension);
  afterEach(() => restoreFromDisk(SERVE_PY));

  it('shows PY001 for each per-request / per-item load in the example app', async () => {
    const editor = await openInEditor(SERVE_PY);
    const diags = await waitForDiagnostics(editor.document.uri, (d) => d.length >= 3, 'three PY001', 'PY001');
    assert.deepStrictEqual(diags.map(ruleOf), ['PY001', 'PY001', 'PY001']);
    assert.deepStrictEqual(diags.map((d) => d.range.start.line).sort((a, b) => a - b), [24, 32, 48]);
    const intent = diags.find((d) => d.range.start.line === 24)!;
    assert.strictEqual(intent.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(intent.message, /InferenceSession\(\.\.\.\)` runs in `intent`, a route handler/);
    const code = intent.code as { target: vscode.Uri };
    assert.match(code.target.toString(), /docs\/rules\/PY001\.md$/);
  });

  it('drops the finding when an edit takes the load off the request path', async () => {
    const editor = await openInEditor(SERVE_PY);
    const uri = editor.document.uri;
    await waitForDiagnostics(uri, (d) => d.length === 3, 'three PY001', 'PY001');
    const line = editor.document.lineAt(21); // @app.post("/intent")
    assert.strictEqual(line.text, '@app.post("/intent")');
    assert.ok(await editor.edit((e) => e.replace(line.range, '# no longer a route')));
    const after = await waitForDiagnostics(uri, (d) => d.length === 2, 'two PY001 after the edit', 'PY001');
    assert.ok(after.every((d) => d.range.start.line !== 24));
  });
});
