// Palette commands contributed by the extension, run through vscode.commands.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, EXAMPLE_MODEL, waitFor, workspaceUri } from './workspace';

describe('commands in VS Code', () => {
  before(activateExtension);

  it('registers every command the manifest contributes', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const ext = vscode.extensions.getExtension('inference-lens.inference-lens')!;
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length > 0);
    assert.deepStrictEqual(contributed.filter((c) => !all.has(c)), []);
  });

  it('inferenceLens.showModelSummary renders the summary of a model', async () => {
    await vscode.commands.executeCommand('inferenceLens.showModelSummary', workspaceUri(EXAMPLE_MODEL));
    // The command serves its markdown from a virtual document that the preview opens.
    const summary = vscode.Uri.parse('inference-lens-summary:intent_classifier.onnx.md');
    const text = await waitFor('the summary document', async () => {
      const t = (await vscode.workspace.openTextDocument(summary)).getText();
      return t ? t : undefined;
    });
    assert.match(text, /\*\*intent_classifier\.onnx\*\* — 336\.9 k parameters/);
    assert.match(text, /Outputs: `probabilities` float\[batch, 16\]/);
  });
});
