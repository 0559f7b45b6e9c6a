// The PY001 quick fix through vscode.executeCodeActionProvider, applied as VS Code would.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, openInEditor, restoreFromDisk, SERVE_PY, waitForDiagnostics } from './workspace';

describe('code actions in VS Code', () => {
  before(activateExtension);
  afterEach(() => restoreFromDisk(SERVE_PY));

  it('offers "Load `session` once at module scope" and the edit removes the finding', async () => {
    const editor = await openInEditor(SERVE_PY);
    const uri = editor.document.uri;
    const diags = await waitForDiagnostics(uri, (d) => d.length === 3, 'three PY001', 'PY001');
    const intent = diags.find((d) => d.range.start.line === 24)!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, intent.range);
    const fix = actions.find((a) => /Load `session` once at module scope/.test(a.title));
    assert.ok(fix, `no PY001 fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(fix.kind && vscode.CodeActionKind.QuickFix.contains(fix.kind), `kind ${fix.kind?.value}`);
    assert.ok(fix.edit, 'the fix carries a workspace edit');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const text = editor.document.getText();
    assert.match(text, /^session = ort\.InferenceSession\("examples\/models\/intent_classifier\.onnx"\)$/m);
    await waitForDiagnostics(uri, (d) => d.length === 2, 'two PY001 after the fix', 'PY001');
  });
});
