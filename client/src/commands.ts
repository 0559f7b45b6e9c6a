/**
 * Palette commands that ask the user something first: Quantize Model… (method), Optimize Model… (fixes,
 * in optimize.ts), Compare Two Models…
 * (the second model), Select Target Instance (the catalog, priced for the model), Set Traffic and
 * Budgets. The server computes; these only ask, run the server command under cancellable progress
 * and show the report. Settings are written to the workspace (VS Code settings); inference-lens.json,
 * when it sets the same key, still wins and the user is told so.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { CostJson } from '../../server/src/cost/report';
import type { AbReport } from '../../server/src/quantize/ab';
import type { ConversionSummary } from '../../server/src/quantize/convert';
import { optimizeModel } from './optimize';
import { showReport } from './report';

type PickModel = (placeHolder: string, exclude?: vscode.Uri) => Promise<vscode.Uri | undefined>;

/** One line each: what the method does and when it pays (the quick pick's detail). */
export const METHOD_CHOICES: Array<{ method: string; label: string; detail: string }> = [
  { method: 'int8-dynamic', label: 'int8 (dynamic)', detail: 'MatMul/Gemm weights to int8, activations quantized at run time: ~4× smaller weights; faster for transformers on CPUs with VNNI.' },
  { method: 'int8-static', label: 'int8 (static, calibrated)', detail: 'QDQ around Conv and MatMul with calibrated ranges: the int8 speed-up for CNNs; needs representative inputs for best accuracy.' },
  { method: 'int4-weight', label: 'int4 weights (MatMulNBits)', detail: 'MatMul weights to 4 bits in blocks: ~7× smaller; pays for memory-bound LLM decoding at batch 1, not for compute-bound work.' },
  { method: 'fp16', label: 'fp16', detail: 'Half-precision weights and math: 2× smaller; faster on GPUs, usually not on CPUs without native fp16.' },
];

async function withProgress<T>(title: string, work: (token: vscode.CancellationToken) => Thenable<T>): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => work(token));
  } catch (e) {
    const msg = (e as Error).message;
    if (!/cancel/i.test(msg)) void vscode.window.showErrorMessage(`Inference Lens: ${title} failed: ${msg}`);
    return undefined;
  }
}

/** Writes a setting where it applies to this workspace (user settings without a folder). */
async function writeSetting(key: string, value: unknown): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('inferenceLens').update(key, value, target);
}

const usd = (v: number): string => (v >= 1 ? `$${v.toFixed(2)}` : `$${v.toPrecision(2)}`);
const ms = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);

export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, pickModel: PickModel): void {
  // No `undefined` third argument: the client would take it for positional parameters.
  const exec = <T>(command: string, args: unknown[], token?: vscode.CancellationToken): Promise<T> => (token
    ? client.sendRequest<T>('workspace/executeCommand', { command, arguments: args }, token)
    : client.sendRequest<T>('workspace/executeCommand', { command, arguments: args }));
  const cost = async (model: vscode.Uri): Promise<CostJson | undefined> => {
    const r = await exec<{ cost?: CostJson; error?: string }>('inferenceLens.cost', [model.toString()]);
    if (r.error) void vscode.window.showWarningMessage(`Inference Lens: ${r.error}`);
    return r.cost;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('inferenceLens.quantizeModel', async (target?: vscode.Uri) => {
      const model = target instanceof vscode.Uri ? target : await pickModel('Model to quantize');
      if (!model) return;
      const choice = await vscode.window.showQuickPick(METHOD_CHOICES.map((m) => ({ ...m, description: m.method })), {
        placeHolder: `Quantize ${path.basename(model.fsPath)}: the original is kept, the new file is checked against it (A/B)`, matchOnDetail: true,
      });
      if (!choice) return;
      const r = await withProgress(`Quantizing ${path.basename(model.fsPath)} (${choice.label}) and comparing`, (token) =>
        exec<{ summary: ConversionSummary; ab?: AbReport }>('inferenceLens.quantize', [model.toString(), choice.method, {}], token));
      if (!r) return;
      if (r.ab) showReport({ kind: 'ab', ab: r.ab, conversion: r.summary });
      const open = await vscode.window.showInformationMessage(`Inference Lens: wrote ${path.basename(r.summary.output)}${r.ab ? `: ${r.ab.verdict}` : ''}`, 'Open Model', ...(r.ab ? ['Open Report'] : []));
      if (open === 'Open Model') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(r.summary.output));
      else if (open === 'Open Report' && r.ab) showReport({ kind: 'ab', ab: r.ab, conversion: r.summary });
    }),

    vscode.commands.registerCommand('inferenceLens.optimizeModel', async (target?: vscode.Uri) => {
      const model = target instanceof vscode.Uri ? target : await pickModel('Model to optimize');
      if (model) await optimizeModel(model, exec, withProgress);
    }),

    vscode.commands.registerCommand('inferenceLens.compareModels', async (target?: vscode.Uri, selected?: vscode.Uri[]) => {
      // From the Explorer with two models selected: those two, in selection order.
      const pair = Array.isArray(selected) && selected.length === 2 ? selected : undefined;
      const a = pair?.[0] ?? (target instanceof vscode.Uri ? target : await pickModel('Model A (the original)'));
      if (!a) return;
      const b = pair?.[1] ?? await pickModel(`Model B, compared with ${path.basename(a.fsPath)}`, a);
      if (!b) return;
      const ab = await withProgress(`Comparing ${path.basename(a.fsPath)} and ${path.basename(b.fsPath)}`, (token) =>
        exec<AbReport>('inferenceLens.compare', [a.toString(), b.toString()], token));
      if (ab) showReport({ kind: 'ab', ab });
    }),

    vscode.commands.registerCommand('inferenceLens.selectInstance', async (target?: vscode.Uri) => {
      const model = target instanceof vscode.Uri ? target : await pickModel('Model to price on each instance');
      if (!model) return;
      const c = await cost(model);
      if (!c?.instances?.length) return;
      const items = [...c.instances].sort((x, y) => x.per1k - y.per1k).map((i) => ({
        label: `${i.instance === c.instance ? '$(check) ' : ''}${i.instance}`, id: i.instance,
        description: `${i.provider} · $${i.pricePerHour}/h`,
        detail: `p95 ${ms(i.p95Ms)} · ${usd(i.per1k)} / 1k · ${usd(i.perMonth)} / month (${i.instancesNeeded}×)${i.basis === 'estimate' ? ' · est.' : ''}${c.p95BudgetMs !== undefined && !i.meetsBudget ? ' · over the p95 budget' : ''}`,
      }));
      const pick = await vscode.window.showQuickPick(items, { placeHolder: `Target instance for ${path.basename(model.fsPath)} (cheapest first, at ${c.traffic.requestsPerSec} req/s)`, matchOnDescription: true });
      if (!pick) return;
      await writeSetting('instance', pick.id);
      const after = await cost(model);
      if (after && after.instance !== pick.id) {
        void vscode.window.showWarningMessage(`Inference Lens: inference-lens.json sets the instance (${after.instance}); it wins over settings. Change it there.`);
      }
    }),

    vscode.commands.registerCommand('inferenceLens.setTrafficAndBudgets', async () => {
      const cfg = vscode.workspace.getConfiguration('inferenceLens');
      const traffic = cfg.get<{ requestsPerSec?: number; hoursPerDay?: number }>('traffic') ?? {};
      const budgets = cfg.get<Record<string, number>>('budgets') ?? {};
      const ask = async (prompt: string, value: number | undefined, optional: boolean, max = Infinity): Promise<number | null | undefined> => {
        const s = await vscode.window.showInputBox({
          prompt, value: value === undefined ? '' : String(value), placeHolder: optional ? 'empty: no budget' : undefined,
          validateInput: (v) => (v.trim() === '' && optional) || (Number(v) > 0 && Number(v) <= max) ? undefined : `a number above 0${max < Infinity ? ` and at most ${max}` : ''}`,
        });
        if (s === undefined) return undefined; // Escape: stop asking
        return s.trim() === '' ? null : Number(s);
      };
      const rps = await ask('Requests per second the model serves (for $ per month and instances needed)', traffic.requestsPerSec ?? 10, false);
      if (rps === undefined) return;
      const hours = await ask('Hours per day it serves', traffic.hoursPerDay ?? 24, false, 24);
      if (hours === undefined) return;
      const p95 = await ask('p95 latency budget in ms (ONNX090/PY090 when a model exceeds it)', budgets.p95Ms, true);
      if (p95 === undefined) return;
      const per1k = await ask('Budget in $ per 1k inferences', budgets.costPer1k, true);
      if (per1k === undefined) return;
      await writeSetting('traffic', { ...traffic, requestsPerSec: rps, hoursPerDay: hours });
      const next: Record<string, number> = { ...budgets };
      for (const [k, v] of [['p95Ms', p95], ['costPer1k', per1k]] as const) { if (v === null) delete next[k]; else next[k] = v; }
      await writeSetting('budgets', next);
      void vscode.window.showInformationMessage(`Inference Lens: ${rps} req/s, ${hours} h/day${p95 ? `, p95 ≤ ${p95} ms` : ''}${per1k ? `, ≤ $${per1k} / 1k` : ''} (inference-lens.json, when it sets these, still wins).`);
    }),
  );
}
