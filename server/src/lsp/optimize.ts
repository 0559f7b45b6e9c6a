/**
 * "Optimize model" from the editor: code actions on each model finding that has a fix (its line in
 * the text view, or line 0 of the `.onnx`) apply that rule's fix, and "Optimize model" applies every
 * safe one, each to a new file beside the original; `inferenceLens.optimize` runs the rewrite in the
 * benchmark worker (constant folding needs onnxruntime-node) and then the A/B, like quantize does.
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { CodeAction, CodeActionKind, Diagnostic, MessageType, ShowMessageNotification } from 'vscode-languageserver/node';
import { runOptimization } from '../bench/runner';
import { childLimits } from '../bench/settings';
import { AbReport, compareModels } from '../quantize/ab';
import { defaultOptimizedPath, FIXABLE_RULES, OptimizeSummary, PASSES, selectPasses } from '../optimize/optimize';
import { defaultOrtPath } from '../optimize/ortSaved';
import { OPTIMIZE_MIN_COSINE, optimizeVerdict, OptimizeVerdict, renderOptimize } from '../optimize/report';
import { TOOL } from '../version';
import { MODEL_SCHEME, modelFileOf } from './modelView';
import type { Feature, ServerContext } from './feature';

export const OPTIMIZE_COMMAND = 'inferenceLens.optimize';
/** The fixes a model can be given, for the palette's quick pick (the client keeps no list of its own). */
export const OPTIMIZE_CHOICES_COMMAND = 'inferenceLens.optimizeChoices';

export interface OptimizeChoice {
  rule: string;
  /** The titles of the rule's passes, joined. */
  title: string;
  /** Part of "Optimize model" (every safe fix). */
  default: boolean;
  /** The model has a finding of this rule now. */
  found: boolean;
}

/** One choice per rule with a fix: the model's own findings first, then the rest, each in rule order (pure). */
export function optimizeChoices(foundRules: string[]): OptimizeChoice[] {
  const choices = FIXABLE_RULES.map((rule) => {
    const passes = PASSES.filter((p) => p.rule === rule);
    return { rule, title: [...new Set(passes.map((p) => p.title))].join(', '), default: passes.some((p) => p.default), found: foundRules.includes(rule) };
  });
  return [...choices.filter((c) => c.found), ...choices.filter((c) => !c.found)];
}

export interface OptimizeCommandOptions {
  /** Rule ids whose fixes to apply (default: every safe fix). */
  only?: string[];
  dims?: Record<string, number>;
  out?: string;
  /** Also fuse residual Add + LayerNormalization into SkipLayerNormalization (GPU providers; slower on CPU). */
  skipLayerNorm?: boolean;
  /** Save onnxruntime's own 'extended' graph instead of applying our fixes. */
  ort?: boolean;
  /** Run the A/B after writing (default true). */
  ab?: boolean;
  inputsDir?: string;
}

export interface OptimizeCommandResult {
  summary: OptimizeSummary;
  ab?: AbReport;
  verdict?: OptimizeVerdict;
  markdown: string;
}

/** The code actions for the fixable findings among `diagnostics` (pure: titles and command arguments). */
export function optimizeActions(modelFile: string, diagnostics: Diagnostic[], pinDims: Record<string, number>): CodeAction[] {
  const uri = pathToFileURL(modelFile).toString();
  const fixable = diagnostics.filter((d) => typeof d.code === 'string' && FIXABLE_RULES.includes(d.code));
  const rules = [...new Set(fixable.map((d) => d.code as string))].sort();
  const actions: CodeAction[] = rules.map((rule) => {
    const titles = optimizeChoices([]).find((c) => c.rule === rule)!.title;
    const dims = rule === 'ONNX011' ? Object.entries(pinDims).map(([k, v]) => `${k}=${v}`).join(', ') : '';
    const title = `${titles}${dims ? ` (${dims})` : ''} in a copy: ${path.basename(defaultOptimizedPath(modelFile, [rule]))}`;
    return {
      title, kind: CodeActionKind.QuickFix, diagnostics: fixable.filter((d) => d.code === rule),
      command: { title, command: OPTIMIZE_COMMAND, arguments: [uri, { only: [rule], ...(rule === 'ONNX011' ? { dims: pinDims } : {}) }] },
    };
  });
  if (fixable.some((d) => PASSES.some((p) => p.default && p.rule === d.code))) {
    const title = `Optimize model (every safe fix, then A/B): ${path.basename(defaultOptimizedPath(modelFile))}`;
    actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: fixable, command: { title, command: OPTIMIZE_COMMAND, arguments: [uri, {}] } });
    const ort = `Save as ONNX Runtime-optimized (extended level, then A/B): ${path.basename(defaultOrtPath(modelFile))}`;
    actions.push({ title: ort, kind: CodeActionKind.QuickFix, diagnostics: fixable, command: { title: ort, command: OPTIMIZE_COMMAND, arguments: [uri, { ort: true }] } });
  }
  return actions;
}

export function optimizeFeature(ctx: ServerContext): Feature {
  return {
    codeActions(params) {
      const uri = params.textDocument.uri;
      if (!/\.onnx$/i.test(uri) && !uri.startsWith(`${MODEL_SCHEME}:`)) return [];
      const file = modelFileOf(uri);
      const ours = params.context.diagnostics.filter((d) => d.source === TOOL);
      if (!file || !ours.length) return [];
      const cfg = ctx.config();
      // Pinning uses the dims the figures use (the configured ones, else the defaults the finding names).
      const pin = ours.some((d) => d.code === 'ONNX011') ? { ...ctx.models.get(file, cfg).cost?.dimsUsed, ...cfg.dims } : {};
      return optimizeActions(file, ours, pin);
    },
    needsTrust: true,
    commands: {
      [OPTIMIZE_CHOICES_COMMAND]: (args) => {
        const [uri] = args;
        if (typeof uri !== 'string') throw new Error(`${OPTIMIZE_CHOICES_COMMAND} expects a model URI`);
        const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
        return { choices: optimizeChoices(ctx.models.get(file, ctx.config()).findings.map((f) => f.rule)) };
      },
      [OPTIMIZE_COMMAND]: async (args, token, progress): Promise<OptimizeCommandResult> => {
        const [uri, raw] = args;
        if (typeof uri !== 'string') throw new Error(`${OPTIMIZE_COMMAND} expects a model URI and options ({ only: ["ONNX004", ...] })`);
        const o = (raw && typeof raw === 'object' ? raw : {}) as OptimizeCommandOptions;
        selectPasses(o.only); // a bad rule id fails here, before any process starts
        const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
        const cfg = ctx.config();
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
        if (token.isCancellationRequested) abort.abort(new Error('cancelled'));
        progress.begin('Inference Lens: optimize', undefined, path.basename(file), true);
        const queued = { signal: abort.signal, onWait: (m: string) => progress.report(m) };
        try {
          const dims = o.dims ?? cfg.dims;
          const out = o.out ?? (o.ort ? defaultOrtPath(file) : defaultOptimizedPath(file, o.only));
          const summary = await ctx.jobs.run(`Optimizing ${path.basename(file)}`, () => runOptimization(file, { only: o.only, dims, out, ort: !!o.ort, skipLayerNorm: !!o.skipLayerNorm }, {
            signal: abort.signal, onProgress: (p) => progress.report(p.message), ...childLimits(cfg.bench),
          }), queued);
          let ab: AbReport | undefined;
          if (o.ab !== false) {
            progress.report('A/B: original vs optimized on the same inputs');
            ab = await ctx.jobs.run(`Comparing ${path.basename(file)} with ${path.basename(summary.output)}`, () =>
              compareModels(file, summary.output, { inputsDir: o.inputsDir, dims, signal: abort.signal, thresholds: { minCosine: OPTIMIZE_MIN_COSINE, minSpeedup: 1 } }), queued);
          }
          const verdict = ab && optimizeVerdict(ab, summary);
          const markdown = ['```', renderOptimize(summary, ab), '```'].join('\n');
          ctx.log(markdown);
          const headline = `${path.basename(summary.output)}: nodes ${summary.nodesBefore} → ${summary.nodesAfter}` +
            (ab ? `, ${verdict} (cosine ${ab.minCosine.toFixed(6)}${ab.speedup ? `, ${ab.speedup.toFixed(2)}× p50` : ''})` : '');
          void ctx.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: `Inference Lens: ${headline}` });
          return { summary, ab, verdict, markdown };
        } finally {
          sub.dispose();
          progress.done();
        }
      },
    },
  };
}
