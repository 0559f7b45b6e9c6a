/**
 * The model text view in VS Code: `inference-lens-model:` documents filled by the server's
 * `inferenceLens/modelText` request, the "Open Model View" command, and a read-only editor for
 * `.onnx` files that shows the summary and opens the text view beside it. No webview framework:
 * one static page with command links.
 */
import * as vscode from 'vscode';
import { LanguageClient, State } from 'vscode-languageclient/node';
import { escapeHtml } from '../../server/src/report/escape';

export const MODEL_SCHEME = 'inference-lens-model';
const VIEW_TYPE = 'inferenceLens.modelView';

export function viewUriOf(model: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: MODEL_SCHEME, path: `${model.path}.onnxtext` });
}

/** The client once it runs: documents restored at startup ask before the server is up. */
async function running(get: () => LanguageClient | undefined): Promise<LanguageClient> {
  const c = get();
  if (!c) throw new Error('Inference Lens server is not started');
  if (c.isRunning()) return c;
  await new Promise<void>((resolve) => {
    const sub = c.onDidChangeState((e) => { if (e.newState === State.Running) { sub.dispose(); resolve(); } });
  });
  return c;
}

export async function openModelView(model: vscode.Uri, column = vscode.ViewColumn.Active): Promise<void> {
  let doc = await vscode.workspace.openTextDocument(viewUriOf(model));
  if (doc.languageId !== 'onnx-text') doc = await vscode.languages.setTextDocumentLanguage(doc, 'onnx-text');
  await vscode.window.showTextDocument(doc, { viewColumn: column, preview: false, preserveFocus: column === vscode.ViewColumn.Beside });
}


export function registerModelView(context: vscode.ExtensionContext, client: () => LanguageClient | undefined, pickModel: () => Promise<vscode.Uri | undefined>): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx');
  const refresh = (u: vscode.Uri): void => changed.fire(viewUriOf(u));
  context.subscriptions.push(
    changed, watcher, watcher.onDidChange(refresh), watcher.onDidCreate(refresh),
    vscode.workspace.registerTextDocumentContentProvider(MODEL_SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: async (uri) => {
        const c = await running(client);
        const r = await c.sendRequest<{ text: string }>('inferenceLens/modelText', { uri: uri.toString() });
        return r.text;
      },
    }),
    vscode.commands.registerCommand('inferenceLens.openModelView', async (target?: vscode.Uri) => {
      const uri = target ?? (await pickModel());
      if (uri) await openModelView(uri);
    }),
    vscode.window.registerCustomEditorProvider(VIEW_TYPE, {
      openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
      async resolveCustomEditor(document, panel) {
        panel.webview.options = { enableCommandUris: true, enableScripts: false };
        const arg = encodeURIComponent(JSON.stringify([document.uri.toJSON()]));
        let summary: string;
        try {
          const c = await running(client);
          const r = await c.sendRequest<{ markdown?: string; diagnostics: { message: string }[] }>(
            'workspace/executeCommand', { command: 'inferenceLens.modelSummary', arguments: [document.uri.toString()] });
          summary = r.markdown ?? `Could not read the model:\n${r.diagnostics.map((d) => `- ${d.message}`).join('\n')}`;
        } catch (e) {
          summary = `Could not reach the Inference Lens server: ${(e as Error).message}`;
        }
        panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';"></head>
<body style="font-family: var(--vscode-font-family); padding: 0 1em">
<p><a href="command:inferenceLens.openModelView?${arg}">Open the model text view</a> (one node per line, with diagnostics and per-node hovers)</p>
<pre style="white-space: pre-wrap">${escapeHtml(summary)}</pre></body></html>`;
        await openModelView(document.uri, vscode.ViewColumn.Beside);
      },
    }, { supportsMultipleEditorsPerDocument: true }),
  );
}
