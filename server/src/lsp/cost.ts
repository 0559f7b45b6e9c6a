/**
 * Cost in the editor: a hover on a model path or a session creation in code with the model's
 * $ per 1k / per month on the configured instance, and a CodeLens above every model load
 * ("p95 12.3 ms · $0.004 / 1k · c7i.xlarge (est.)") with Benchmark / Profile / Quantize actions
 * when those commands are registered. The figures come from cost/report.ts (pure).
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { CodeLens, Command, Hover } from 'vscode-languageserver/node';
import { initParsers, languageOfId, languageOfPath, parse } from '../code/treeSitter';
import { modelSites, siteAt } from '../code/modelSites';
import { resolveModelPath } from '../modelRefs';
import { basisText, costMarkdown, costJson, formatMs, formatUsd, lensTitle } from '../cost/report';
import { costOfFile } from '../cost/resolve';
import { summaryMarkdown } from '../onnx/summary';
import type { Position, Range } from '../rules/types';
import type { Feature, ServerContext } from './feature';
import { MODEL_SCHEME, modelFileOf } from './modelView';

export const COST_COMMAND = 'inferenceLens.cost';
/** The status bar's model for the active editor (a .onnx, its text view, or a code file that loads one): figures and words. */
export const STATUS_COMMAND = 'inferenceLens.statusOf';

/** What the client's status bar item shows; computed here so every client words it the same. */
export interface ModelStatus {
  /** the model's file URI */
  model: string;
  /** "p95 1.23 ms · $0.0041 / 1k", with " (est.)" for an estimate */
  text: string;
  tooltip: string;
  /** a benchmark of this model is cached: a click opens its report (else it benchmarks the model) */
  measured: boolean;
  /** the code file and 0-based line of the load, when the model came from code */
  loadedBy?: { file: string; line: number };
}
/** Actions offered beside the cost lens, in this order, when a feature registers them. */
export const LENS_ACTIONS: Array<{ id: string; title: string }> = [
  { id: 'inferenceLens.benchmark', title: 'Benchmark' },
  { id: 'inferenceLens.profile', title: 'Profile' },
  { id: 'inferenceLens.quantize', title: 'Quantize' },
];

export function costFeature(ctx: ServerContext): Feature {
  const { documents } = ctx;

  function textViewModel(uri: string): string | undefined {
    return uri.startsWith(`${MODEL_SCHEME}:`) ? modelFileOf(uri) : undefined;
  }

  function codeContext(uri: string): { file: string; lang: NonNullable<ReturnType<typeof languageOfPath>>; text: string } | undefined {
    const doc = documents.get(uri);
    if (!doc || !uri.startsWith('file:')) return undefined;
    const lang = languageOfId(doc.languageId) ?? languageOfPath(doc.uri);
    return lang ? { file: fileURLToPath(uri), lang, text: doc.getText() } : undefined;
  }

  /** The models a code document loads (resolved inside the workspace), each with the start of its load call. */
  async function loadedModels(uri: string): Promise<Array<{ file: string; at: Position }>> {
    const c = codeContext(uri);
    if (!c) return [];
    await initParsers();
    const tree = parse(c.lang, c.text);
    try {
      const out: Array<{ file: string; at: Position }> = [];
      for (const site of modelSites(tree)) {
        const file = resolveModelPath(site.literal, path.dirname(c.file), ctx.workspaceRoots());
        if (file) out.push({ file, at: site.callRange.start });
      }
      return out;
    } finally {
      tree.delete();
    }
  }

  return {
    async hover(params): Promise<Hover | null> {
      // The model text view: its header line gets the cost (node and tensor lines stay with modelView).
      const viewed = textViewModel(params.textDocument.uri);
      if (viewed) {
        const headerLine = ctx.models.get(viewed, ctx.config()).view?.headerLine ?? 0;
        return params.position.line === headerLine ? { contents: { kind: 'markdown', value: modelCostMarkdown(ctx, viewed) } } : null;
      }
      const c = codeContext(params.textDocument.uri);
      if (!c) return null;
      await initParsers();
      const tree = parse(c.lang, c.text);
      try {
        const site = siteAt(modelSites(tree), params.position);
        if (!site) return null;
        const file = resolveModelPath(site.literal, path.dirname(c.file), ctx.workspaceRoots());
        if (!file) return null;
        return { contents: { kind: 'markdown', value: modelCostMarkdown(ctx, file) }, range: site.callRange };
      } finally {
        tree.delete();
      }
    },
    async codeLenses(params) {
      const viewed = textViewModel(params.textDocument.uri);
      if (viewed) return modelCostLenses(ctx, viewed, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
      return (await loadedModels(params.textDocument.uri)).flatMap((l) => modelCostLenses(ctx, l.file, { start: l.at, end: l.at }));
    },
    commands: {
      /** The cost of a model (URI or path): markdown for a client to show, and the JSON figures. */
      [COST_COMMAND]: (args) => {
        const uri = args[0];
        if (typeof uri !== 'string') throw new Error(`${COST_COMMAND} expects a model URI`);
        const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
        const res = costOfFile(file, ctx.models, ctx.config(), ctx.measured);
        return 'error' in res ? { error: res.error } : { markdown: modelCostMarkdown(ctx, file), cost: costJson(res.report) };
      },
      /**
       * [document URI, cursor line?] → ModelStatus, or null when the document shows no model. A code file that
       * loads several models gives the load at or above the cursor (the first load when the cursor is above all).
       */
      [STATUS_COMMAND]: async (args): Promise<ModelStatus | null> => {
        const [uri, line] = args;
        if (typeof uri !== 'string') throw new Error(`${STATUS_COMMAND} expects a document URI`);
        const viewed = textViewModel(uri);
        if (viewed) return modelStatus(ctx, viewed);
        if (uri.startsWith('file:') && uri.toLowerCase().endsWith('.onnx')) return modelStatus(ctx, fileURLToPath(uri));
        const loads = await loadedModels(uri);
        if (!loads.length) return null;
        const cursor = typeof line === 'number' ? line : 0;
        const chosen = [...loads].reverse().find((l) => l.at.line <= cursor) ?? loads[0];
        return modelStatus(ctx, chosen.file, { file: fileURLToPath(uri), line: chosen.at.line });
      },
    },
  };
}

/** Hover markdown for a model file (code hovers and the text view header): cost first, then the structural summary. */
export function modelCostMarkdown(ctx: ServerContext, file: string): string {
  const config = ctx.config();
  const res = costOfFile(file, ctx.models, config, ctx.measured);
  const report = ctx.models.get(file, config);
  const name = path.basename(file);
  const summary = report.summary ? summaryMarkdown(name, report.summary) : `**${name}**: ${report.findings.map((f) => f.message).join('; ')}`;
  if ('error' in res) return `${summary}\n\n---\n\n*Cost: ${res.error}*`;
  return `${costMarkdown(name, res.report)}\n\n---\n\n${summary}`;
}

/** The status bar's words for a model: measured p95 and $ per 1k (the latest cached benchmark), else the estimate. */
export function modelStatus(ctx: ServerContext, file: string, loadedBy?: ModelStatus['loadedBy']): ModelStatus {
  const name = path.basename(file);
  const model = pathToFileURL(file).toString();
  const by = loadedBy ? ` (loaded by ${path.basename(loadedBy.file)}, line ${loadedBy.line + 1})` : '';
  const res = costOfFile(file, ctx.models, ctx.config(), ctx.measured);
  if ('error' in res) return { model, text: `${name}: no cost`, tooltip: `${res.error}${by}`, measured: false, ...(loadedBy && { loadedBy }) };
  const r = res.report;
  const ge = r.incomplete ? '≥ ' : '';
  const measured = r.perf.basis === 'measured';
  return {
    model,
    text: `p95 ${ge}${formatMs(r.perf.p95Ms)} · ${ge}${formatUsd(r.cost.per1k)} / 1k${measured ? '' : ' (est.)'}`,
    tooltip: `${name}${by} on ${r.instance.id}: ${basisText(r)}. ${measured ? 'Click for the report.' : 'Click to benchmark it.'}`,
    measured,
    ...(loadedBy && { loadedBy }),
  };
}

/** Lenses for one model at `range` (above a load in code, or the text view's first line): the cost line, then the registered actions. */
export function modelCostLenses(ctx: ServerContext, file: string, range: Range): CodeLens[] {
  const res = costOfFile(file, ctx.models, ctx.config(), ctx.measured);
  const uri = pathToFileURL(file).toString();
  const title = 'error' in res ? `cost: ${res.error.split(':')[0]}` : lensTitle(res.report);
  const out: CodeLens[] = [{ range, command: { title, command: COST_COMMAND, arguments: [uri] } }];
  for (const a of LENS_ACTIONS) if (ctx.hasCommand?.(a.id)) out.push({ range, command: { title: a.title, command: a.id, arguments: [uri] } as Command });
  return out;
}
