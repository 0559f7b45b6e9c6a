// The model view in a real VS Code: command, virtual document, language, diagnostics, hover, .onnx editor.
// Uses mlp_mnist_like.onnx from the shared models, copied to the workspace root when present.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, hoverText, ruleOf, SHARED_MODEL, waitFor, workspaceUri } from './workspace';

describe('model view in VS Code', function () {
  const model = (): vscode.Uri => workspaceUri(SHARED_MODEL);

  before(async function () {
    try {
      await vscode.workspace.fs.stat(model());
    } catch {
      this.skip(); // the shared models are not beside this checkout
    }
    await activateExtension();
  });

  it('Open Model View shows the text view, with findings on node lines and node hovers', async () => {
    await vscode.commands.executeCommand('inferenceLens.openModelView', model());
    const editor = await waitFor('the text view', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'inference-lens-model'));
    const doc = editor.document;
    assert.strictEqual(doc.languageId, 'onnx-text');
    assert.match(doc.getText(), /^<ir_version: 8, opset_import: \["" : 17\]/);
    const diag = await waitFor('ONNX001 on the text view', () => vscode.languages.getDiagnostics(doc.uri).find((d) => ruleOf(d) === 'ONNX001'));
    assert.match(doc.lineAt(diag.range.start.line).text, /= Gemm .*net\.0\.weight/);
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(diag.range.start.line, 5)));
    assert.match(text, /\*\*Gemm\*\*/);
    assert.match(text, /Weights: 401\.9 k parameters/);
    // The .onnx file itself lists the same finding on line 0, linked to the view.
    const onFile = await waitFor('ONNX001 on the .onnx', () => vscode.languages.getDiagnostics(model()).find((d) => ruleOf(d) === 'ONNX001'));
    assert.strictEqual(onFile.relatedInformation?.[0].location.uri.toString(), doc.uri.toString());
  });

  it('opening a .onnx shows the read-only model editor and the text view beside it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('vscode.open', model());
    await waitFor('the custom editor tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'inferenceLens.modelView'));
    await waitFor('the text view beside it', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'inference-lens-model'));
  });
});
