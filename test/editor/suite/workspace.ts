/**
 * Helpers for the VS Code API suite. The workspace is a scratch copy of `examples/` (plus one shared model; made by
 * scripts/e2e/code-server.sh or test/editor/runTest.ts), so tests may edit files; they revert what
 * they change so that the next test sees the example as committed.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'inference-lens.inference-lens';
export const SERVE_PY = 'examples/app/serve.py';
export const EXAMPLE_MODEL = 'examples/models/intent_classifier.onnx';
/** A real model from ../shared/models, copied to the workspace root when that folder exists. */
export const SHARED_MODEL = 'mlp_mnist_like.onnx';

export function workspaceUri(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder (a copy of examples/)');
  return vscode.Uri.joinPath(folder.uri, rel);
}

/** Activates the extension (as opening a Python file would) and returns its exports. */
export async function activateExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded in this extension host`);
  await ext.activate();
  return ext;
}

export async function openInEditor(rel: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri(rel));
  return vscode.window.showTextDocument(doc);
}

/** Polls `probe` until it returns a value (not undefined), or fails naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Our diagnostics on `uri` (only rule `rule` when given: other rules may fire on the same file as
 * the catalogue grows), once `accept` likes them.
 */
export function waitForDiagnostics(uri: vscode.Uri, accept: (d: vscode.Diagnostic[]) => boolean, what = 'diagnostics', rule?: string): Promise<vscode.Diagnostic[]> {
  const ours = (): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri)
    .filter((d) => d.source === 'inference-lens' && (rule === undefined || ruleOf(d) === rule));
  return waitFor(`${what} on ${uri.path}`, () => (accept(ours()) ? ours() : undefined)).catch((e: Error) => {
    const lines = ours().map((d) => d.range.start.line + 1).join(', ') || 'none';
    throw new Error(`${e.message} (now: ${ours().length}, on lines ${lines})`);
  });
}

/** The rule id of a diagnostic (`code` is `{ value, target }` when the server sends a docs link). */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : c === undefined ? undefined : String(c);
}

/** Position of the first occurrence of `needle` in the document (plus `offset` characters). */
export function positionOf(doc: vscode.TextDocument, needle: string, offset = 0): vscode.Position {
  const at = doc.getText().indexOf(needle);
  assert.ok(at >= 0, `"${needle}" not found in ${doc.uri.path}`);
  return doc.positionAt(at + offset);
}

/** Markdown text of hover results. */
export function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n---\n');
}

/**
 * Puts the document back to its text on disk (and saves), whatever edits a test made. Content-based,
 * not `workbench.action.files.revert`: that acts on whichever editor is active at the time.
 */
export async function restoreFromDisk(rel: string): Promise<void> {
  const uri = workspaceUri(rel);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc) return;
  const disk = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  if (doc.getText() !== disk) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), disk);
    assert.ok(await vscode.workspace.applyEdit(edit), `could not restore ${rel}`);
  }
  if (doc.isDirty) await doc.save();
}
