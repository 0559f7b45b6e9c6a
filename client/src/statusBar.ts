/**
 * The status bar item for the active editor's model: a `.onnx` in the model editor, its text view, or the
 * model a code file loads (the load at or above the cursor). The server computes what it says
 * (`inferenceLens.statusOf`: the last measured p95 and $ per 1k, or the estimate marked "est."); a click
 * opens the last report, or benchmarks the model when it was never measured.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { BenchResult } from '../../server/src/bench/types';
import type { CostJson } from '../../server/src/cost/report';
import type { ModelStatus } from '../../server/src/lsp/cost';
import type { BenchDoc } from '../../server/src/report/document';
import { MODEL_SCHEME } from './modelView';
import { showReport } from './report';

/** Languages whose files may load a model (the server's document selector for code). */
const CODE_LANGUAGES = new Set(['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

/** The model the active editor shows: the .onnx (custom editor or file) or the model behind a text view. */
export function activeModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  if (uri?.scheme === 'file' && uri.fsPath.toLowerCase().endsWith('.onnx')) return uri;
  if (uri?.scheme === MODEL_SCHEME) return vscode.Uri.file(uri.path.replace(/\.onnxtext$/, ''));
  return undefined;
}

/** What the server is asked about: the active model, else the active code file and its cursor line. */
function activeSubject(): { uri: vscode.Uri; line?: number } | undefined {
  const model = activeModel();
  if (model) return { uri: model };
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.uri.scheme === 'file' && CODE_LANGUAGES.has(editor.document.languageId)) {
    return { uri: editor.document.uri, line: editor.selection.active.line };
  }
  return undefined;
}

export interface StatusBar {
  /** a benchmark result arrived (pushed by the server) */
  onResult: (model: vscode.Uri, doc: BenchDoc) => void;
  /** the benchmark cache was cleared: estimates again */
  cleared: () => void;
  update: () => void;
  /** the item's text, empty while hidden */
  text: () => string;
}

export function registerStatusBar(context: vscode.ExtensionContext, client: LanguageClient): StatusBar {
  const item = vscode.window.createStatusBarItem('inferenceLens.model', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Inference Lens: model cost';
  /** Results pushed in this session, so a click opens the report without asking the server. */
  const known = new Map<string, BenchDoc>();
  let generation = 0;
  let visible = false;
  let timer: NodeJS.Timeout | undefined;

  const exec = <T>(command: string, args: unknown[]): Promise<T> => client.sendRequest<T>('workspace/executeCommand', { command, arguments: args });
  const hide = (): void => { item.hide(); visible = false; };

  async function update(): Promise<void> {
    const subject = activeSubject();
    const mine = ++generation;
    if (!subject || !client.isRunning()) { hide(); return; }
    let s: ModelStatus | null;
    try {
      s = await exec<ModelStatus | null>('inferenceLens.statusOf', [subject.uri.toString(), ...(subject.line !== undefined ? [subject.line] : [])]);
    } catch {
      s = null;
    }
    if (mine !== generation) return;
    if (!s) { hide(); return; }
    const model = vscode.Uri.parse(s.model);
    item.text = `$(pulse) ${s.text}`;
    item.tooltip = s.tooltip;
    item.command = s.measured
      ? { title: 'Open Report', command: 'inferenceLens.openReport', arguments: [model] }
      : { title: 'Benchmark Model', command: 'inferenceLens.benchmarkModel', arguments: [model] };
    item.show();
    visible = true;
  }
  /** Cursor moves and edits in a code file: one request once they settle. */
  const soon = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = undefined; void update(); }, 300);
  };

  context.subscriptions.push(
    item,
    { dispose: () => { if (timer) clearTimeout(timer); } },
    vscode.window.tabGroups.onDidChangeTabs(() => void update()),
    vscode.window.onDidChangeActiveTextEditor(() => void update()),
    vscode.window.onDidChangeTextEditorSelection((e) => { if (e.textEditor === vscode.window.activeTextEditor && !activeModel()) soon(); }),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.document === vscode.window.activeTextEditor?.document && !activeModel()) soon(); }),
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('inferenceLens')) { known.clear(); void update(); } }),
    vscode.commands.registerCommand('inferenceLens.openReport', async (model?: vscode.Uri) => {
      if (!model) return;
      let doc = known.get(model.fsPath);
      if (!doc) {
        const last = await exec<{ result: BenchResult; cost?: CostJson; costError?: string } | null>('inferenceLens.lastBenchmark', [model.toString()]).catch(() => null);
        if (last) doc = { kind: 'bench', result: last.result, ...(last.cost && { cost: last.cost }), ...(last.costError && { costError: last.costError }) };
      }
      if (doc) showReport(doc);
    }),
  );
  return {
    onResult: (model, doc) => { known.set(model.fsPath, doc); void update(); },
    cleared: () => { known.clear(); void update(); },
    update: () => void update(),
    text: () => (visible ? item.text : ''),
  };
}
