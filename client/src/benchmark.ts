/**
 * Palette commands "Benchmark Model" and "Profile Model": pick a model, ask the server (which runs
 * it in a child process and shows cancellable progress), and show the report as a markdown preview.
 * The server also pushes every result (`inferenceLens/benchmarkResult`), e.g. from other clients'
 * requests or CodeLens, and those land in the output channel.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

const REPORT_SCHEME = 'inference-lens-bench';

interface Pushed { uri: string; markdown: string; result: { latencyMs: { p50: number; p95: number }; ep: string; batch: number } }

export function registerBenchmarkCommands(
  context: vscode.ExtensionContext, client: LanguageClient, pickModel: (placeHolder: string) => Promise<vscode.Uri | undefined>,
): void {
  const reports = new Map<string, string>();
  const channel = vscode.window.createOutputChannel('Inference Lens Benchmarks');
  const changed = new vscode.EventEmitter<vscode.Uri>();

  const show = async (model: string, kind: string, markdown: string): Promise<void> => {
    const doc = vscode.Uri.parse(`${REPORT_SCHEME}:${path.basename(model)}.${kind}.md`);
    reports.set(doc.toString(), markdown);
    changed.fire(doc);
    await vscode.commands.executeCommand('markdown.showPreview', doc);
  };

  const run = (kind: 'benchmark' | 'profile') => async (target?: vscode.Uri): Promise<void> => {
    const uri = target ?? (await pickModel(kind === 'profile' ? 'Model to profile' : 'Model to benchmark'));
    if (!uri) return;
    try {
      await client.sendRequest('workspace/executeCommand', { command: `inferenceLens.${kind}`, arguments: [uri.toString()] });
      // The report arrives with the pushed notification below; it opens the preview.
    } catch (e) {
      const msg = (e as Error).message;
      if (!/cancel/i.test(msg)) void vscode.window.showErrorMessage(`Inference Lens: ${kind} of ${path.basename(uri.fsPath)} failed: ${msg}`);
    }
  };

  context.subscriptions.push(
    channel, changed,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, { onDidChange: changed.event, provideTextDocumentContent: (u) => reports.get(u.toString()) ?? '' }),
    vscode.commands.registerCommand('inferenceLens.benchmarkModel', run('benchmark')),
    vscode.commands.registerCommand('inferenceLens.profileModel', run('profile')),
    client.onNotification('inferenceLens/benchmarkResult', (p: Pushed) => {
      const file = vscode.Uri.parse(p.uri).fsPath;
      const r = p.result;
      channel.appendLine(`${new Date().toISOString()}  ${file}  ${r.ep} batch ${r.batch}  p50 ${r.latencyMs.p50.toFixed(3)} ms  p95 ${r.latencyMs.p95.toFixed(3)} ms`);
      void show(file, /### Profile/.test(p.markdown) ? 'profile' : 'benchmark', p.markdown);
    }),
  );
}
