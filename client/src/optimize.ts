/**
 * Inference Lens: Optimize Model… from the palette, the Explorer and the model editor: every safe
 * fix, fixes picked from the model's own findings, or ONNX Runtime's saved graph, each written to a
 * new file by the server's `inferenceLens.optimize` (which runs the A/B). The list of fixes comes from
 * the server (`inferenceLens.optimizeChoices`), so it never drifts from what the server can do.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { OptimizeChoice, OptimizeCommandOptions, OptimizeCommandResult } from '../../server/src/lsp/optimize';
import { showReport } from './report';

type Exec = <T>(command: string, args: unknown[], token?: vscode.CancellationToken) => Promise<T>;
type WithProgress = <T>(title: string, work: (token: vscode.CancellationToken) => Thenable<T>) => Promise<T | undefined>;

/** What to run: undefined when the user backed out. */
async function chooseFixes(model: vscode.Uri, exec: Exec): Promise<OptimizeCommandOptions | undefined> {
  const name = path.basename(model.fsPath);
  const mode = await vscode.window.showQuickPick([
    { id: 'all', label: 'Every safe fix', detail: 'Clean-ups, constant folding and fusions (LayerNorm, GELU, attention) in one copy, then the A/B.' },
    { id: 'pick', label: 'Pick fixes…', detail: 'Choose the rules whose fixes to apply (this model\'s findings first).' },
    { id: 'ort', label: 'Save as ONNX Runtime-optimized', detail: 'The graph ONNX Runtime builds at the extended level, saved so sessions skip that work at start.' },
  ], { placeHolder: `Optimize ${name}: the original is kept, the copy is checked against it (A/B)` });
  if (!mode) return undefined;
  if (mode.id !== 'pick') return mode.id === 'ort' ? { ort: true } : {};
  const { choices } = await exec<{ choices: OptimizeChoice[] }>('inferenceLens.optimizeChoices', [model.toString()]);
  const picked = await vscode.window.showQuickPick(choices.map((c) => ({
    label: c.rule, description: c.title, picked: c.found && c.default, rule: c.rule,
    detail: `${c.found ? 'found in this model' : 'no finding now'}${c.default ? '' : ' · not part of "every safe fix"'}`,
  })), { canPickMany: true, placeHolder: `Fixes to apply to ${name}` });
  return picked?.length ? { only: picked.map((p) => p.rule) } : undefined;
}

export async function optimizeModel(model: vscode.Uri, exec: Exec, withProgress: WithProgress): Promise<void> {
  const o = await chooseFixes(model, exec);
  if (!o) return;
  const r = await withProgress(`Optimizing ${path.basename(model.fsPath)} and comparing`, (token) =>
    exec<OptimizeCommandResult>('inferenceLens.optimize', [model.toString(), o], token));
  if (!r) return;
  const open = await vscode.window.showInformationMessage(
    `Inference Lens: wrote ${path.basename(r.summary.output)} (nodes ${r.summary.nodesBefore} → ${r.summary.nodesAfter})${r.verdict ? `: ${r.verdict}` : ''}`,
    'Open Model', ...(r.ab ? ['Open Report'] : []));
  if (open === 'Open Model') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(r.summary.output));
  else if (open === 'Open Report' && r.ab) showReport({ kind: 'ab', ab: r.ab });
}
