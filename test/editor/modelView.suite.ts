/** The model view in a real VS Code: command, virtual document, language, diagnostics, hover, .onnx editor. */
import * as assert from 'assert';
import * as vscode from 'vscode';

async function waitFor<T>(probe: () => T | undefined | false, what: string, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));

suite('model view', () => {
  const model = (): vscode.Uri => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'mlp_mnist_like.onnx');

  test('Open Model View shows the text view, with findings on node lines and node hovers', async () => {
    await vscode.commands.executeCommand('inferenceLens.openModelView', model());
    const editor = await waitFor(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'inference-lens-model'), 'the text view');
    const doc = editor.document;
    assert.strictEqual(doc.languageId, 'onnx-text');
    assert.match(doc.getText(), /^<ir_version: 8, opset_import: \["" : 17\]/);
    const diag = await waitFor(() => vscode.languages.getDiagnostics(doc.uri).find((d) => codeOf(d) === 'ONNX001'), 'ONNX001 on the text view');
    assert.match(doc.lineAt(diag.range.start.line).text, /= Gemm .*net\.0\.weight/);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(diag.range.start.line, 5));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Gemm\*\*/);
    assert.match(text, /Weights: 401\.9 k parameters/);
    // The .onnx file itself lists the same finding on line 0, linked to the view.
    const onFile = await waitFor(() => vscode.languages.getDiagnostics(model()).find((d) => codeOf(d) === 'ONNX001'), 'ONNX001 on the .onnx');
    assert.strictEqual(onFile.relatedInformation?.[0].location.uri.toString(), doc.uri.toString());
  });

  test('opening a .onnx shows the read-only model editor and the text view beside it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('vscode.open', model());
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .some((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'inferenceLens.modelView'), 'the custom editor tab');
    await waitFor(() => vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'inference-lens-model'), 'the text view beside it');
  });
});
