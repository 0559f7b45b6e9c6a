/**
 * The VS Code side, thin on purpose: start the language server (IPC), forward settings and
 * `inference-lens.json` changes, and add the editor-only UI the server cannot provide.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { registerBenchmarkCommands } from './benchmark';
import { registerCommands } from './commands';
import { lastModelPage, MODEL_SCHEME, registerModelView } from './modelView';
import { lastReport } from './report';
import { activeModel, registerStatusBar } from './statusBar';

let client: LanguageClient | undefined;
const SUMMARY_SCHEME = 'inference-lens-summary';

/** What the extension returns from activate(): read-only views for the editor test suite. */
export interface InferenceLensApi {
  /** The HTML of the report webview last shown (undefined before the first report). */
  reportHtml(): string | undefined;
  /** The status bar item's text (empty when hidden). */
  statusText(): string;
  /** The HTML of the model editor page last rendered. */
  modelPageHtml(): string | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<InferenceLensApi> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const output = vscode.window.createOutputChannel('Inference Lens');
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'file', language: 'javascript' },
      { scheme: 'file', language: 'typescript' },
      { scheme: 'file', language: 'javascriptreact' },
      { scheme: 'file', language: 'typescriptreact' },
      { scheme: MODEL_SCHEME },
    ],
    synchronize: {
      configurationSection: 'inferenceLens',
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/inference-lens.json'),
        vscode.workspace.createFileSystemWatcher('**/*.onnx'),
        // Code files feed the workspace index (imported model classes, helpers a route calls in other modules,
        // imported JS/TS helpers that run or create a model); the server skips node_modules.
        vscode.workspace.createFileSystemWatcher('**/*.py'),
        vscode.workspace.createFileSystemWatcher('**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}'),
      ],
    },
    outputChannel: output,
    // Untrusted folders get static analysis only: the server refuses to run their models.
    initializationOptions: { workspaceTrusted: vscode.workspace.isTrusted },
  };
  client = new LanguageClient('inferenceLens', 'Inference Lens', serverOptions, clientOptions);

  const summaries = new Map<string, string>();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, {
      provideTextDocumentContent: (uri) => summaries.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand('inferenceLens.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('inferenceLens.showModelSummary', async (target?: vscode.Uri) => {
      const uri = target ?? (await pickModel());
      if (!uri || !client) return;
      const result = await client.sendRequest<{ markdown?: string; diagnostics: { message: string }[] }>(
        'workspace/executeCommand', { command: 'inferenceLens.modelSummary', arguments: [uri.toString()] });
      const text = result.markdown ?? `Could not read ${uri.fsPath}:\n\n${result.diagnostics.map((d) => `- ${d.message}`).join('\n')}`;
      const doc = vscode.Uri.parse(`${SUMMARY_SCHEME}:${path.basename(uri.fsPath)}.md`);
      summaries.set(doc.toString(), text);
      await vscode.commands.executeCommand('markdown.showPreview', doc);
    }),
  );
  const status = registerStatusBar(context, client);
  registerBenchmarkCommands(context, client, pickModel, status);
  registerCommands(context, client, pickModel);
  registerModelView(context, () => client, pickModel);
  await client.start();
  status.update();
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    void client?.sendNotification('inferenceLens/workspaceTrusted');
  }));
  return { reportHtml: () => lastReport()?.html, statusText: status.text, modelPageHtml: lastModelPage };
}

/** The active model (model editor, file or text view), else a quick pick of the workspace's .onnx files. */
async function pickModel(placeHolder = 'Model to summarise', exclude?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const active = activeModel();
  if (active && !exclude) return active;
  const found = (await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 500)).filter((u) => u.fsPath !== exclude?.fsPath);
  if (!found.length) {
    void vscode.window.showInformationMessage(`No ${exclude ? 'other ' : ''}.onnx model in this workspace.`);
    return undefined;
  }
  found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), uri: u })), { placeHolder, matchOnDescription: true });
  return pick?.uri;
}



export async function deactivate(): Promise<void> {
  await client?.stop();
}
