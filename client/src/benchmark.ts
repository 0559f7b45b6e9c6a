/**
 * Palette commands "Benchmark Model", "Profile Model" and "Generate benchmark (prefill + decode)" (a decoder's
 * generation at the `generation` settings, as `bench --generate`): pick a model, ask the server (which runs it
 * in a child process and shows cancellable progress) and open the report webview. The server pushes
 * every result (`inferenceLens/benchmarkResult`), also of runs started elsewhere (CodeLens, other
 * clients): those are announced with "Open Report" instead of taking the editor over.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { BenchResult } from '../../server/src/bench/types';
import type { CostJson } from '../../server/src/cost/report';
import type { BenchDoc } from '../../server/src/report/document';
import { showReport } from './report';

interface Pushed { uri: string; markdown: string; result: BenchResult; cost?: CostJson; costError?: string }

/**
 * Every benchmark result the server pushes, for the views that show figures (model page, status bar).
 * One handler per notification method is all the language client keeps, so they listen here.
 */
const results = new vscode.EventEmitter<{ model: vscode.Uri; doc: BenchDoc }>();
export const onBenchmarkResult = results.event;

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** "p95 12.3 ms · $0.0041 / 1k" ("TTFT 5.2 ms · 412 tokens/s" for a generation): what the announcement and the status bar lead with. */
export function headline(d: BenchDoc): string {
  const g = d.result.generation;
  if (g) return `TTFT ${ms(g.ttftMs.p50)} ms · ${g.tokensPerSec.toPrecision(3)} tokens/s`;
  const usd = d.cost ? ` · $${d.cost.per1k.toPrecision(2)} / 1k` : '';
  return `p95 ${ms(d.result.latencyMs.p95)} ms${usd}`;
}

export function registerBenchmarkCommands(
  context: vscode.ExtensionContext, client: LanguageClient, pickModel: (placeHolder: string) => Promise<vscode.Uri | undefined>,
  status: { onResult: (model: vscode.Uri, doc: BenchDoc) => void; cleared: () => void },
): void {
  const channel = vscode.window.createOutputChannel('Inference Lens Benchmarks');
  /** Models whose run this window started from the palette: their report opens by itself. */
  const asked = new Set<string>();

  /** `options`: the server command's second argument (`{generate: {}}`: a generation at the `generation` settings). */
  const run = (kind: 'benchmark' | 'profile', options?: object, placeHolder = kind === 'profile' ? 'Model to profile' : 'Model to benchmark') => async (target?: vscode.Uri): Promise<void> => {
    const uri = target instanceof vscode.Uri ? target : await pickModel(placeHolder);
    if (!uri) return;
    asked.add(uri.fsPath);
    try {
      // The server shows its own cancellable progress; the report arrives with the pushed notification.
      await client.sendRequest('workspace/executeCommand', { command: `inferenceLens.${kind}`, arguments: [uri.toString(), ...(options ? [options] : [])] });
    } catch (e) {
      const msg = (e as Error).message;
      if (!/cancel/i.test(msg)) void vscode.window.showErrorMessage(`Inference Lens: ${kind} of ${path.basename(uri.fsPath)} failed: ${msg}`);
    } finally {
      asked.delete(uri.fsPath);
    }
  };

  context.subscriptions.push(
    channel,
    vscode.commands.registerCommand('inferenceLens.benchmarkModel', run('benchmark')),
    vscode.commands.registerCommand('inferenceLens.profileModel', run('profile')),
    vscode.commands.registerCommand('inferenceLens.generateBenchmark', run('benchmark', { generate: {} }, 'Decoder to benchmark: prefill, then greedy decode steps')),
    vscode.commands.registerCommand('inferenceLens.clearBenchmarkCache', async () => {
      const r = await client.sendRequest<{ removed: number }>('workspace/executeCommand', { command: 'inferenceLens.clearCache', arguments: [] });
      status.cleared();
      void vscode.window.showInformationMessage(`Inference Lens: removed ${r.removed} cached benchmark result${r.removed === 1 ? '' : 's'}; costs are estimates again until the next run.`);
    }),
    client.onNotification('inferenceLens/benchmarkResult', (p: Pushed) => {
      const model = vscode.Uri.parse(p.uri);
      const doc: BenchDoc = { kind: 'bench', result: p.result, ...(p.cost && { cost: p.cost }), ...(p.costError && { costError: p.costError }) };
      const r = p.result;
      channel.appendLine(`${new Date().toISOString()}  ${model.fsPath}  ${r.ep} batch ${r.batch}  p50 ${r.latencyMs.p50.toFixed(3)} ms  p95 ${r.latencyMs.p95.toFixed(3)} ms`);
      status.onResult(model, doc);
      results.fire({ model, doc });
      if (asked.has(model.fsPath)) {
        showReport(doc);
        return;
      }
      void vscode.window.showInformationMessage(`Inference Lens: ${r.kind} of ${path.basename(model.fsPath)}: ${headline(doc)}`, 'Open Report')
        .then((choice) => { if (choice) showReport(doc); });
    }),
  );
}
