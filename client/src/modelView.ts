/**
 * The model text view in VS Code: `inference-lens-model:` documents filled by the server's
 * `inferenceLens/modelText` request, the "Open Model as Text" command, and the model editor for
 * `.onnx` files: a page (server/src/report/modelPage.ts) with the model's figures, op table, findings,
 * last benchmark and cost, and buttons for the model commands; it opens the text view beside it.
 */
import * as vscode from 'vscode';
import { LanguageClient, State } from 'vscode-languageclient/node';
import { randomBytes } from 'crypto';
import type { BenchResult } from '../../server/src/bench/types';
import type { CostJson } from '../../server/src/cost/report';
import type { ModelSummary } from '../../server/src/onnx/summary';
import { renderModelPage, type ModelPageData, type ModelPageMessage } from '../../server/src/report/modelPage';
import { onBenchmarkResult } from './benchmark';
import { showReport } from './report';

export const MODEL_SCHEME = 'inference-lens-model';
const VIEW_TYPE = 'inferenceLens.modelView';

let lastPage: string | undefined;
/** The HTML of the model page last rendered (the editor test suite reads it). */
export const lastModelPage = (): string | undefined => lastPage;

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
        panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [] };
        const model = document.uri;
        panel.webview.onDidReceiveMessage((m: ModelPageMessage) => void onAction(model, m, client));
        const show = (data: ModelPageData): void => {
          lastPage = renderModelPage(data, { nonce: randomBytes(18).toString('base64'), cspSource: panel.webview.cspSource });
          panel.webview.html = lastPage;
        };
        let renders = 0;
        let disposed = false;
        const render = async (): Promise<void> => {
          const mine = ++renders;
          const { data, later } = await pageData(model, client);
          if (disposed || mine !== renders) return;
          show(data);
          // The last benchmark needs the file's hash (seconds on a large model, the first time): shown when it comes.
          void later?.then((last) => { if (last && !disposed && mine === renders) show({ ...data, last: last.result }); });
        };
        await render();
        // A new benchmark or a settings change (instance, dims, traffic) changes the figures.
        const settings = vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('inferenceLens')) void render(); });
        const results = onBenchmarkResult((r) => { if (r.model.fsPath === model.fsPath) void render(); });
        panel.onDidDispose(() => { disposed = true; settings.dispose(); results.dispose(); });
        await openModelView(model, vscode.ViewColumn.Beside);
      },
    }, { supportsMultipleEditorsPerDocument: true }),
  );
}

/**
 * What the model page shows, from the server: summary and findings, cost, the last benchmark. The page is
 * ready once the summary and the cost are in (reading, shapes and cost skip the weights: ~150 ms for a
 * 438 MB BERT, bench/model-editor.ts); the last benchmark is looked up by the file's sha256, which the
 * server computes once per file (~0.5 s for that model), so when it is not in yet it comes as `later`.
 */
async function pageData(model: vscode.Uri, client: () => LanguageClient | undefined): Promise<{ data: ModelPageData; later?: Promise<{ result: BenchResult } | null> }> {
  const file = model.fsPath;
  try {
    const c = await running(client);
    const exec = <T>(command: string): Promise<T> => c.sendRequest<T>('workspace/executeCommand', { command, arguments: [model.toString()] });
    let last: { result: BenchResult } | null | undefined;
    const lastAsked = exec<{ result: BenchResult } | null>('inferenceLens.lastBenchmark').catch(() => null).then((r) => (last = r));
    const [sum, cost] = await Promise.all([
      exec<{ summary?: ModelSummary; diagnostics: Array<{ rule: string; message: string; severity?: string; fixes?: Array<{ title: string }> }> }>('inferenceLens.modelSummary'),
      exec<{ cost?: CostJson; error?: string }>('inferenceLens.cost').catch((e: Error) => ({ error: e.message, cost: undefined })),
    ]);
    const data: ModelPageData = { file, summary: sum.summary, findings: sum.diagnostics, cost: cost.cost, costError: cost.error, last: last?.result };
    return last === undefined ? { data, later: lastAsked } : { data };
  } catch (e) {
    return { data: { file, findings: [{ rule: 'server', message: `Could not reach the Inference Lens server: ${(e as Error).message}` }] } };
  }
}

async function onAction(model: vscode.Uri, m: ModelPageMessage, client: () => LanguageClient | undefined): Promise<void> {
  if (m.type === 'dims') {
    // Settings (the page re-renders on the change); inference-lens.json, when it sets dims, still wins.
    const cfg = vscode.workspace.getConfiguration('inferenceLens');
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await cfg.update('dims', { ...cfg.get<Record<string, number>>('dims'), ...m.dims }, target);
    return;
  }
  const commands: Record<string, string> = {
    benchmark: 'inferenceLens.benchmarkModel', profile: 'inferenceLens.profileModel', quantize: 'inferenceLens.quantizeModel', optimize: 'inferenceLens.optimizeModel',
    compare: 'inferenceLens.compareModels', text: 'inferenceLens.openModelView',
  };
  if (commands[m.action]) { await vscode.commands.executeCommand(commands[m.action], model); return; }
  if (m.action === 'dims') { await vscode.commands.executeCommand('workbench.action.openSettings', 'inferenceLens.dims'); return; }
  if (m.action === 'report') {
    const c = await running(client);
    const last = await c.sendRequest<{ result: BenchResult; cost?: CostJson } | null>('workspace/executeCommand', { command: 'inferenceLens.lastBenchmark', arguments: [model.toString()] });
    if (last) showReport({ kind: 'bench', result: last.result, ...(last.cost && { cost: last.cost }) });
  }
}
