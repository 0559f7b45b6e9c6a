/**
 * Quantization from the editor: the `inferenceLens.quantize` command (progress, cancel, ends in the
 * A/B report) and code actions offering it on model findings and on model path strings in code,
 * where success also re-points the string at the new file through a normal (undoable) WorkspaceEdit.
 * Conversions and A/B runs happen in child processes, queued with the other model jobs (jobQueue.ts).
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { CodeAction, CodeActionKind, Diagnostic, MessageType, Range, ShowMessageNotification } from 'vscode-languageserver/node';
import { initParsers, languageOfId, languageOfPath, parse } from '../code/treeSitter';
import { modelPathAt } from '../modelRefs';
import { abGeneration, AbReport, abThresholds, compareModels } from '../quantize/ab';
import { ConversionSummary, defaultOutPath, METHODS, Method, QuantizeOptions } from '../quantize/convert';
import { runConversion } from '../bench/runner';
import { childLimits } from '../bench/settings';
import { renderAb, renderConversion } from '../cli/quantize';
import { TOOL } from '../version';
import { MODEL_SCHEME, modelFileOf } from './modelView';
import type { Feature, ServerContext } from './feature';

export const QUANTIZE_COMMAND = 'inferenceLens.quantize';
/** Two model URIs → their A/B report (outputs on the same inputs, latency, verdict). */
export const COMPARE_COMMAND = 'inferenceLens.compare';

/** Model findings the quantize actions attach to: ONNX001, float32 weights worth quantizing. */
export const QUANTIZE_MODEL_RULES = new Set(['ONNX001']);
/** Code findings naming a model worth quantizing (PY011). */
export const QUANTIZE_CODE_RULES = new Set(['PY011']);

const ACTIONS: Array<{ method: Method; title: string }> = [
  { method: 'int8-dynamic', title: 'Quantize to int8 (dynamic)' },
  { method: 'int4-weight', title: 'Quantize weights to int4' },
  { method: 'fp16', title: 'Convert to fp16' },
];

export interface QuantizeCommandOptions extends Partial<Omit<QuantizeOptions, 'method' | 'signal' | 'onProgress'>> {
  /** Run the A/B comparison after converting (default true). */
  ab?: boolean;
  /** Folder of .npy samples for A/B. */
  inputsDir?: string;
  /** Decoders: greedy decode steps per prompt in the A/B (default 32). */
  newTokens?: number;
  /** Point this string literal in code at the new model once converted. */
  rewrite?: { uri: string; range: Range; quote: string; relativeTo: string };
}

export interface QuantizeCommandResult {
  summary: ConversionSummary;
  ab?: AbReport;
  markdown: string;
  edited: boolean;
}

export function quantizeFeature(ctx: ServerContext): Feature {
  const { connection, documents } = ctx;

  /** The quantize actions a model file deserves (none when it has no float weights to speak of). */
  function actionsFor(modelFile: string, diagnostics: Diagnostic[], rewrite?: QuantizeCommandOptions['rewrite']): CodeAction[] {
    const report = ctx.models.get(modelFile, ctx.config());
    const s = report.summary;
    if (!s || (s.weightBytesByType.float ?? 0) < 64 * 1024) return [];
    const convs = (s.opCounts.Conv ?? 0) + (s.opCounts.ConvTranspose ?? 0);
    const mm = (s.opCounts.MatMul ?? 0) + (s.opCounts.Gemm ?? 0);
    const list = [...ACTIONS];
    if (convs > mm) list.unshift({ method: 'int8-static', title: 'Quantize to int8 (static, calibrated)' });
    return list.map(({ method, title }) => ({
      title: `${title}: ${path.basename(defaultOutPath(modelFile, method))}`,
      kind: CodeActionKind.QuickFix,
      diagnostics,
      command: { title, command: QUANTIZE_COMMAND, arguments: [pathToFileURL(modelFile).toString(), method, rewrite ? { rewrite } : {}] },
    }));
  }

  return {
    async codeActions(params) {
      const uri = params.textDocument.uri;
      const ours = params.context.diagnostics.filter((d) => d.source === TOOL);
      // The .onnx file itself (its diagnostics sit on line 0) or its text view (inference-lens-model:).
      if (/\.onnx$/i.test(uri) || uri.startsWith(`${MODEL_SCHEME}:`)) {
        const file = modelFileOf(uri);
        const diags = ours.filter((d) => typeof d.code === 'string' && QUANTIZE_MODEL_RULES.has(d.code));
        return file && diags.length ? actionsFor(file, diags) : [];
      }
      const doc = documents.get(uri);
      const lang = doc && (languageOfId(doc.languageId) ?? languageOfPath(doc.uri));
      if (!doc || !lang || !uri.startsWith('file:')) return [];
      await initParsers();
      const tree = parse(lang, doc.getText());
      try {
        const codeDir = path.dirname(fileURLToPath(uri));
        const ref = modelPathAt(tree, params.range.start, codeDir, ctx.workspaceRoots());
        if (!ref || ref.refused) return [];
        const text = doc.getText(ref.range);
        const quote = /^[rbuf]*("""|'''|"|'|`)/i.exec(text)?.[0] ?? '"';
        const literal = text.slice(quote.length, text.length - (quote.replace(/^[rbuf]*/i, '').length));
        // Write the new path the way the old one was written: absolute, or relative to the same folder.
        const relativeTo = path.isAbsolute(literal) ? '' : path.resolve(codeDir, literal) === ref.file ? codeDir : baseOf(ref.file, literal);
        const diags = ours.filter((d) => typeof d.code === 'string' && QUANTIZE_CODE_RULES.has(d.code));
        return actionsFor(ref.file, diags, { uri, range: ref.range, quote, relativeTo });
      } finally {
        tree.delete();
      }
    },
    needsTrust: true,
    commands: {
      [QUANTIZE_COMMAND]: async (args, token, progress): Promise<QuantizeCommandResult> => {
        const [uri, method, raw] = args;
        if (typeof uri !== 'string') throw new Error(`${QUANTIZE_COMMAND} expects a model URI, a method (${METHODS.join(', ')}) and options`);
        if (typeof method !== 'string' || !METHODS.includes(method as Method)) throw new Error(`${QUANTIZE_COMMAND}: method must be one of ${METHODS.join(', ')}`);
        const o = (raw && typeof raw === 'object' ? raw : {}) as QuantizeCommandOptions;
        const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
        const cfg = ctx.config();
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
        // A cancel that arrived before the handler ran does not fire the listener: check it too.
        if (token.isCancellationRequested) abort.abort(new Error('cancelled'));
        progress.begin(`Inference Lens: ${method}`, undefined, path.basename(file), true);
        const queued = { signal: abort.signal, onWait: (m: string) => progress.report(m) };
        try {
          // The rewrite runs in a child under the benchmark watchdog: the server only orchestrates.
          const { ab: _ab, inputsDir: _in, rewrite: _rw, newTokens: _nt, ...qo } = o;
          const summary = await ctx.jobs.run(`Quantizing ${path.basename(file)} (${method})`, () => runConversion(file, {
            ...qo, method: method as Method, exclude: [...cfg.quantize.exclude, ...(o.exclude ?? [])],
            minWeightElements: o.minWeightElements ?? cfg.quantize.minWeightElements,
            dims: o.dims ?? cfg.dims, out: o.out ?? defaultOutPath(file, method as Method),
          }, {
            signal: abort.signal, onProgress: (p) => progress.report(p.message), ...childLimits(cfg.bench),
          }), queued);
          let ab: AbReport | undefined;
          if (o.ab !== false) {
            progress.report('A/B: original vs converted on the same inputs');
            ab = await ctx.jobs.run(`Comparing ${path.basename(file)} with ${path.basename(summary.output)}`, () => compareModels(file, summary.output, {
              inputsDir: o.inputsDir, dims: o.dims ?? cfg.dims, signal: abort.signal,
              thresholds: abThresholds(cfg), generation: abGeneration(cfg, o.newTokens),
              context: { method, convertedOps: summary.convertedByOp },
            }), queued);
          }
          let edited = false;
          if (o.rewrite) {
            const r = o.rewrite;
            const target = r.relativeTo ? path.relative(r.relativeTo, summary.output).split(path.sep).join('/') : summary.output;
            const close = r.quote.replace(/^[rbuf]*/i, '');
            const res = await connection.workspace.applyEdit({
              label: `Point at ${path.basename(summary.output)}`,
              edit: { changes: { [r.uri]: [{ range: r.range, newText: `${r.quote}${target}${close}` }] } },
            });
            edited = res.applied;
          }
          const markdown = ['```', renderConversion(summary), ...(ab ? ['', renderAb(ab)] : []), '```'].join('\n');
          ctx.log(markdown);
          const headline = ab ? `${path.basename(summary.output)}: ${ab.verdict} (${abFigures(ab)}, ${summary.sizeRatio.toFixed(2)}× size)` : `${path.basename(summary.output)} written (${summary.sizeRatio.toFixed(2)}× size)`;
          // A notification, not window/showMessageRequest: clients need not answer it.
          void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: `Inference Lens: ${headline}` });
          return { summary, ab, markdown, edited };
        } finally {
          sub.dispose();
          progress.done();
        }
      },
      [COMPARE_COMMAND]: async (args, token, progress): Promise<AbReport> => {
        const [a, b] = args.slice(0, 2).map((u) => (typeof u === 'string' && u.startsWith('file:') ? fileURLToPath(u) : u));
        if (typeof a !== 'string' || typeof b !== 'string') throw new Error(`${COMPARE_COMMAND} expects two model URIs (and optionally {bench, benchSeconds, inputsDir})`);
        const o = (args[2] && typeof args[2] === 'object' ? args[2] : {}) as { bench?: boolean; benchSeconds?: number; inputsDir?: string; newTokens?: number };
        const cfg = ctx.config();
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
        if (token.isCancellationRequested) abort.abort(new Error('cancelled'));
        progress.begin('Inference Lens: compare', undefined, `${path.basename(a)} vs ${path.basename(b)}`, true);
        try {
          return await ctx.jobs.run(`Comparing ${path.basename(a)} with ${path.basename(b)}`, () => compareModels(a, b, {
            dims: cfg.dims, signal: abort.signal, bench: o.bench, benchSeconds: o.benchSeconds, inputsDir: o.inputsDir, thresholds: abThresholds(cfg), generation: abGeneration(cfg, o.newTokens),
          }), { signal: abort.signal, onWait: (m) => progress.report(m) });
        } finally {
          sub.dispose();
          progress.done();
        }
      },
    },
  };
}

/** The A/B's accuracy and speed in a few words: a decoder's by its generated tokens and decode tokens/s. */
function abFigures(ab: AbReport): string {
  const speed = ab.speedup ? `, ${ab.speedup.toFixed(2)}× ${ab.perfA?.decode ? 'decode tokens/s' : 'p50'}` : '';
  return ab.generation ? `tokens agree ${(ab.generation.tokenAgreement * 100).toFixed(1)} %${speed}` : `cosine ${ab.minCosine.toFixed(4)}${speed}`;
}

/** The folder a relative literal was resolved from (a workspace root), so the new path is written the same way. */
function baseOf(file: string, literal: string): string {
  const parts = literal.split(/[\\/]/).filter((p) => p && p !== '.').length;
  let base = file;
  for (let i = 0; i < parts; i++) base = path.dirname(base);
  return base;
}
