/**
 * `inference-lens optimize <model> [--only ONNX004,...]`: graph clean-ups and fusions written to a
 * new file beside the original, then the A/B against it. Text or JSON.
 */
import * as fs from 'fs';
import { findWorkspaceConfigDir, mergeConfig, readWorkspaceConfig } from '../config';
import { runOptimization } from '../bench/runner';
import { compareModels } from '../quantize/ab';
import { defaultOptimizedPath, selectPasses } from '../optimize/optimize';
import { defaultOrtPath } from '../optimize/ortSaved';
import { OPTIMIZE_MIN_COSINE, optimizeVerdict, renderOptimize } from '../optimize/report';
import { TOOL, VERSION } from '../version';
import { formatFlag, parseArgs, parseDims, UsageError } from './args';

export const OPTIMIZE_USAGE = `  optimize <model.onnx> [--only ONNX004,ONNX009,...] [--ort] [--skip-layernorm] [--out FILE] [--dims name=value,...] [--inputs DIR] [--no-ab] [--no-bench]
           [--format text|json]
      apply the model rules' fixes (dead nodes, unused and duplicate initializers, redundant ops, constant folding,
      LayerNorm/GELU fusion, float64; with --only also ONNX011 pinned dims and ONNX012 external data) to a new
      file beside the original, then A/B it: outputs (cosine ≥ ${OPTIMIZE_MIN_COSINE}), size, session creation, p50
      (--no-bench: outputs only); exit 1 when the outputs differ. --ort saves the graph ONNX Runtime builds at its
      'extended' level instead (<name>.ort.onnx: for onnxruntime on CPU, same or newer version). --skip-layernorm also
      fuses residual Add + LayerNormalization into com.microsoft SkipLayerNormalization (for GPU providers: slower on CPU)`;

export async function runOptimize(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const a = parseArgs(argv, { only: true, out: true, dims: true, inputs: true, 'no-ab': false, 'no-bench': false, ort: false, 'skip-layernorm': false, format: true });
  const format = formatFlag(a.flags, ['text', 'json']);
  if (a.positional.length !== 1) throw new UsageError('optimize needs exactly one model file');
  const model = a.positional[0];
  if (!fs.existsSync(model)) throw new UsageError(`model ${model} does not exist`);
  const str = (k: string): string | undefined => { const v = a.flags.get(k); return typeof v === 'string' ? v : undefined; };
  const only = str('only')?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  try { selectPasses(only); } catch (e) { throw new UsageError((e as Error).message); }
  const ort = a.flags.has('ort');
  if (ort && only) throw new UsageError('--ort saves onnxruntime\'s own optimizations: it does not combine with --only');
  const inputsDir = str('inputs');
  if (inputsDir && !fs.existsSync(inputsDir)) throw new UsageError(`inputs folder ${inputsDir} does not exist`);
  const dir = findWorkspaceConfigDir(model);
  const problems: string[] = [];
  const cfg = mergeConfig(dir ? readWorkspaceConfig(dir, problems) : {});
  for (const p of problems) err(`${TOOL}: ${p}`);
  const dims = str('dims') ? parseDims(str('dims')!) : cfg.dims;
  const progress = format === 'text' ? (m: string): void => err(`${TOOL}: ${m}`) : undefined;
  const target = str('out') ?? (ort ? defaultOrtPath(model) : defaultOptimizedPath(model, only));
  const skipLayerNorm = a.flags.has('skip-layernorm');
  const summary = await runOptimization(model, { only, dims, out: target, ort, skipLayerNorm }, { onProgress: (p) => progress?.(p.message) });
  const ab = a.flags.has('no-ab') ? undefined : (progress?.('A/B: the original and the optimized model on the same inputs'),
    await compareModels(model, summary.output, { inputsDir, dims, bench: !a.flags.has('no-bench'), thresholds: { minCosine: OPTIMIZE_MIN_COSINE, minSpeedup: 1 } }));
  if (format === 'json') out(JSON.stringify({ tool: TOOL, version: VERSION, optimize: summary, ...(ab ? { ab, verdict: optimizeVerdict(ab, summary) } : {}) }, null, 2));
  else out(renderOptimize(summary, ab));
  return ab && optimizeVerdict(ab, summary) === 'outputs differ: keep the original' ? 1 : 0;
}
