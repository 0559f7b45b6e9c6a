/**
 * The status bar item for the active model (a `.onnx` in the model editor, or its text view): the
 * last measured p95 and $ per 1k, or the estimate marked "est."; a click opens the last report, or
 * benchmarks the model when it was never measured. Figures come from the server (lastBenchmark, cost).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { BenchResult } from '../../server/src/bench/types';
import type { CostJson } from '../../server/src/cost/report';
import type { BenchDoc } from '../../server/src/report/document';
import { headline } from './benchmark';
import { MODEL_SCHEME } from './modelView';
import { showReport } from './report';

/** The model the active editor shows: the .onnx (custom editor or file) or the model behind a text view. */
export function activeModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  if (uri?.scheme === 'file' && uri.fsPath.toLowerCase().endsWith('.onnx')) return uri;
  if (uri?.scheme === MODEL_SCHEME) return vscode.Uri.file(uri.path.replace(/\.onnxtext$/, ''));
  return undefined;
}

export function registerStatusBar(context: vscode.ExtensionContext, client: LanguageClient): { onResult: (model: vscode.Uri, doc: BenchDoc) => void; update: () => void; text: () => string } {
  const item = vscode.window.createStatusBarItem('inferenceLens.model', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Inference Lens: model cost';
  const known = new Map<string, BenchDoc>();
  let generation = 0;
  let visible = false;

  const exec = <T>(command: string, args: unknown[]): Promise<T> => client.sendRequest<T>('workspace/executeCommand', { command, arguments: args });

  async function update(): Promise<void> {
    const model = activeModel();
    const mine = ++generation;
    if (!model || !client.isRunning()) { item.hide(); visible = false; return; }
    let doc = known.get(model.fsPath);
    if (!doc) {
      try {
        const last = await exec<{ result: BenchResult; cost?: CostJson; costError?: string } | null>('inferenceLens.lastBenchmark', [model.toString()]);
        if (last) doc = { kind: 'bench', result: last.result, ...(last.cost && { cost: last.cost }) };
      } catch { /* untrusted workspace or no cache: the estimate below */ }
    }
    if (mine !== generation) return;
    const name = path.basename(model.fsPath);
    if (doc) {
      known.set(model.fsPath, doc);
      item.text = `$(pulse) ${headline(doc)}`;
      item.tooltip = `${name}: measured ${doc.result.measuredAt.replace('T', ' ').slice(0, 16)} (${doc.result.ep}, batch ${doc.result.batch}). Click for the report.`;
      item.command = { title: 'Open Report', command: 'inferenceLens.openReport', arguments: [model] };
    } else {
      let c: CostJson | undefined;
      try { c = (await exec<{ cost?: CostJson }>('inferenceLens.cost', [model.toString()])).cost; } catch { c = undefined; }
      if (mine !== generation) return;
      item.text = c ? `$(pulse) p95 ${c.latencyMs.p95.toPrecision(3)} ms · $${c.per1k.toPrecision(2)} / 1k (est.)` : '$(pulse) not measured';
      item.tooltip = `${name}: roofline estimate on ${c?.instance ?? 'the configured instance'}. Click to benchmark it.`;
      item.command = { title: 'Benchmark Model', command: 'inferenceLens.benchmarkModel', arguments: [model] };
    }
    item.show();
    visible = true;
  }

  context.subscriptions.push(
    item,
    vscode.window.tabGroups.onDidChangeTabs(() => void update()),
    vscode.window.onDidChangeActiveTextEditor(() => void update()),
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('inferenceLens')) { known.clear(); void update(); } }),
    vscode.commands.registerCommand('inferenceLens.openReport', (model?: vscode.Uri) => {
      const doc = model && known.get(model.fsPath);
      if (doc) showReport(doc);
    }),
  );
  return { onResult: (model, doc) => { known.set(model.fsPath, doc); void update(); }, update: () => void update(), text: () => (visible ? item.text : '') };
}
