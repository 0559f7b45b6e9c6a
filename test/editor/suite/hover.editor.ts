// Hover on a model path string in code shows that model's summary (vscode.executeHoverProvider).
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, EXAMPLE_MODEL, hoverText, openInEditor, positionOf, SERVE_PY } from './workspace';

describe('hover in VS Code', () => {
  before(activateExtension);

  it('summarises the .onnx model named by a path string', async () => {
    const { document } = await openInEditor(SERVE_PY);
    const at = positionOf(document, EXAMPLE_MODEL, 5);
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at));
    assert.match(text, /\*\*intent_classifier\.onnx\*\* — 336\.9 k parameters, 1\.3 MiB of weights, 9 nodes/);
    assert.match(text, /MatMul ×3/);
    // shape inference + per-node cost: 128·512 + 512·512 + 512·16 MACs at batch=1
    assert.match(text, /Compute: 335\.9 kMACs \(673\.9 kFLOPs\) per inference at batch=1/);
    assert.match(text, /`features` float\[batch, 128\]/);
  });

  it('stays silent away from model paths', async () => {
    const { document } = await openInEditor(SERVE_PY);
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, positionOf(document, 'def featurize', 1)));
    assert.doesNotMatch(text, /parameters/);
  });
});
