/**
 * `inference-lens quantize` (convert a model, then A/B it against the original) and
 * `inference-lens compare` (A/B two models). Text or JSON.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Config, findWorkspaceConfigDir, mergeConfig, readWorkspaceConfig } from '../config';
import { abGeneration, AbGenerationOptions, AbReport, abThresholds, compareModels } from '../quantize/ab';
import { ConversionSummary, defaultOutPath, METHODS, Method, QuantizeOptions } from '../quantize/convert';
import { runConversion } from '../bench/runner';
import { GuidedResult, quantizeGuided } from '../quantize/guided';
import { TOOL, VERSION } from '../version';
import { formatFlag, parseArgs, parseDims, UsageError } from './args';

function configFor(file: string, err: (s: string) => void): Config {
  const dir = findWorkspaceConfigDir(file);
  const problems: string[] = [];
  const c = mergeConfig(dir ? readWorkspaceConfig(dir, problems) : {});
  for (const p of problems) err(`${TOOL}: ${p}`);
  return c;
}

function num(flags: Map<string, string | true>, name: string, check: (n: number) => boolean, what: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}`);
  return n;
}

/** A decoder's A/B from the flags (--new-tokens, --prompts FILE) and the generation settings. */
function generationFlags(flags: Map<string, string | true>, cfg: Config): AbGenerationOptions {
  const file = flags.get('prompts');
  if (file === true) throw new UsageError('--prompts needs a JSON file: a list of prompts, each a list of token ids');
  return {
    ...abGeneration(cfg, num(flags, 'new-tokens', (n) => Number.isInteger(n) && n >= 1 && n <= 4096, 'an integer 1..4096')),
    ...(file !== undefined && { prompts: readPrompts(existing(file, 'prompts file')) }),
  };
}

/** `[[1, 2, 3], [4, 5]]`: non-empty lists of non-negative integer ids. */
export function readPrompts(file: string): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--prompts ${file}: ${(e as Error).message}`);
  }
  const ok = Array.isArray(v) && v.length > 0 && v.every((p) => Array.isArray(p) && p.length > 0 && p.every((id) => Number.isInteger(id) && id >= 0));
  if (!ok) throw new UsageError(`--prompts ${file} must hold a JSON list of prompts, each a non-empty list of token ids (integers ≥ 0)`);
  return v as number[][];
}

function existing(p: string, what: string): string {
  if (!fs.existsSync(p)) throw new UsageError(`${what} ${p} does not exist`);
  return p;
}

export async function runQuantize(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const a = parseArgs(argv, {
    method: true, out: true, calibration: true, 'calibration-method': true, percentile: true, 'per-channel': false,
    'block-size': true, asymmetric: false, 'accuracy-level': true, unsigned: false, 'reduce-range': false, exclude: true,
    'no-embeddings': false, 'no-keep-io-types': false, 'block-list': true, 'external-data': false, goal: true,
    inputs: true, dims: true, 'no-ab': false, format: true, 'new-tokens': true, prompts: true,
  });
  const format = formatFlag(a.flags, ['text', 'json']);
  if (a.positional.length !== 1) throw new UsageError('quantize needs exactly one model file');
  const model = existing(a.positional[0], 'model');
  const method = a.flags.get('method');
  if (typeof method !== 'string' || !METHODS.includes(method as Method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}`);
  const cfg = configFor(model, err);
  const dims = a.flags.get('dims');
  const str = (k: string): string | undefined => { const v = a.flags.get(k); return typeof v === 'string' ? v : undefined; };
  const calMethod = str('calibration-method');
  if (calMethod && calMethod !== 'minmax' && calMethod !== 'percentile') throw new UsageError('--calibration-method must be minmax or percentile');
  const opts: QuantizeOptions = {
    method: method as Method,
    out: str('out'),
    calibrationDir: str('calibration') && existing(str('calibration')!, 'calibration folder'),
    calibrationMethod: calMethod as 'minmax' | 'percentile' | undefined,
    percentile: num(a.flags, 'percentile', (n) => n > 50 && n <= 100, 'a percentile in (50, 100]'),
    perChannel: a.flags.has('per-channel'),
    blockSize: num(a.flags, 'block-size', (n) => [32, 64, 128].includes(n), '32, 64 or 128') as 32 | 64 | 128 | undefined,
    symmetric: !a.flags.has('asymmetric'),
    accuracyLevel: num(a.flags, 'accuracy-level', (n) => Number.isInteger(n) && n >= 0 && n <= 4, 'an integer 0..4') as 0 | 1 | 2 | 3 | 4 | undefined,
    signedWeights: !a.flags.has('unsigned'),
    reduceRange: a.flags.has('reduce-range') ? true : undefined,
    embeddings: !a.flags.has('no-embeddings'),
    keepIoTypes: !a.flags.has('no-keep-io-types'),
    opBlockList: str('block-list')?.split(',').filter(Boolean),
    exclude: [...cfg.quantize.exclude, ...(str('exclude')?.split(',').filter(Boolean) ?? [])],
    minWeightElements: cfg.quantize.minWeightElements,
    externalData: a.flags.has('external-data') ? true : 'auto',
    dims: typeof dims === 'string' ? parseDims(dims) : cfg.dims,
    onProgress: format === 'text' ? (m) => err(`${TOOL}: ${m}`) : undefined,
  };
  const goal = num(a.flags, 'goal', (n) => n > 0 && n <= 1, 'a cosine in (0, 1]');
  const inputsDir = str('inputs') && existing(str('inputs')!, 'inputs folder');
  let guided: GuidedResult | undefined;
  let summary: ConversionSummary;
  if (goal !== undefined) {
    guided = await quantizeGuided(model, { ...opts, goal, inputsDir });
    summary = guided.summary;
  } else {
    // In a child under the benchmark watchdog, as from the editor (the guided search above converts repeatedly in-process).
    const { onProgress, ...jobOpts } = opts;
    summary = await runConversion(model, { ...jobOpts, out: opts.out ?? defaultOutPath(model, opts.method) }, { onProgress: (p) => onProgress?.(p.message) });
  }
  let ab: AbReport | undefined;
  if (!a.flags.has('no-ab')) {
    opts.onProgress?.('A/B: running the original and the converted model on the same inputs');
    ab = await compareModels(model, summary.output, {
      inputsDir, dims: opts.dims, thresholds: abThresholds(cfg), generation: generationFlags(a.flags, cfg),
      context: { method: opts.method, convertedOps: summary.convertedByOp },
    });
  }
  if (format === 'json') out(JSON.stringify({ tool: TOOL, version: VERSION, conversion: summary, ...(guided ? { guided: { goal: guided.goal, cosine: guided.cosine, sensitivity: guided.sensitivity, keptFloat: guided.keptFloat, evaluations: guided.evaluations, inputs: guided.inputs } } : {}), ...(ab ? { ab } : {}) }, null, 2));
  else out([renderConversion(summary, guided), ...(ab ? [renderAb(ab)] : [])].join('\n\n'));
  return 0;
}

export async function runCompare(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const a = parseArgs(argv, { inputs: true, format: true, dims: true, 'min-cosine': true, 'min-speedup': true, 'min-token-agreement': true, 'no-bench': false, 'new-tokens': true, prompts: true });
  const format = formatFlag(a.flags, ['text', 'json']);
  if (a.positional.length !== 2) throw new UsageError('compare needs two model files: <a.onnx> <b.onnx>');
  const [fa, fb] = a.positional.map((p) => existing(p, 'model'));
  const cfg = configFor(fa, err);
  const inputs = a.flags.get('inputs');
  const dims = a.flags.get('dims');
  const ab = await compareModels(fa, fb, {
    inputsDir: typeof inputs === 'string' ? existing(inputs, 'inputs folder') : undefined,
    dims: typeof dims === 'string' ? parseDims(dims) : cfg.dims,
    bench: !a.flags.has('no-bench'),
    thresholds: {
      minCosine: num(a.flags, 'min-cosine', (n) => n > 0 && n <= 1, 'a cosine in (0, 1]') ?? cfg.quantize.minCosine,
      minSpeedup: num(a.flags, 'min-speedup', (n) => n > 0, 'a positive ratio') ?? cfg.quantize.minSpeedup,
      minTokenAgreement: num(a.flags, 'min-token-agreement', (n) => n >= 0 && n <= 1, 'a share in [0, 1]') ?? cfg.quantize.minTokenAgreement,
    },
    generation: generationFlags(a.flags, cfg),
  });
  if (format === 'json') out(JSON.stringify({ tool: TOOL, version: VERSION, ab }, null, 2));
  else out(renderAb(ab));
  return 0;
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MB`;

export function renderConversion(s: ConversionSummary, g?: GuidedResult): string {
  const lines = [
    `${path.basename(s.input)} → ${s.output}${s.dataFile ? ` (+ ${path.basename(s.dataFile)})` : ''}`,
    `  method ${s.method}: ${s.nodesConverted} node(s) converted (${Object.entries(s.convertedByOp).map(([k, v]) => `${k}×${v}`).join(' ') || 'none'})`,
    `  size ${mb(s.bytesBefore)} → ${mb(s.bytesAfter)} (${s.sizeRatio.toFixed(3)}×) in ${s.seconds.toFixed(2)} s`,
  ];
  if (s.calibration) lines.push(`  calibration: ${s.calibration.samples} ${s.calibration.source} sample(s), ${s.calibration.method}, ${s.calibration.tensors} activations`);
  for (const n of s.notes) lines.push(`  note: ${n}`);
  const reasons = new Map<string, number>();
  for (const k of s.skipped) reasons.set(k.reason, (reasons.get(k.reason) ?? 0) + 1);
  for (const [r, c] of reasons) lines.push(`  left as is: ${c} node(s): ${r}`);
  if (g) {
    lines.push(`  sensitivity (worst output cosine with one layer quantized; most sensitive first):`);
    for (const x of g.sensitivity.slice(0, 10)) lines.push(`    ${x.cosine.toFixed(5)}  ${x.layer}`);
    for (const k of g.keptFloat) lines.push(`  kept float: ${k.layer}: ${k.reason}`);
  }
  return lines.join('\n');
}

export function renderAb(r: AbReport): string {
  const lines = [`A/B ${path.basename(r.a)} vs ${path.basename(r.b)} on ${r.samples} ${r.inputs} sample(s): ${r.verdict.toUpperCase()}`];
  for (const o of r.outputs) {
    lines.push(`  ${o.name}: cosine ${o.cosine.toFixed(5)}, max abs ${o.maxAbsError.toExponential(2)}, mean abs ${o.meanAbsError.toExponential(2)}` +
      (o.top1Agreement !== undefined ? `, top-1 ${(o.top1Agreement * 100).toFixed(1)}%, top-5 ${(o.top5Agreement! * 100).toFixed(1)}%` : '') +
      (o.tokenAgreement !== undefined ? `, argmax tokens ${(o.tokenAgreement * 100).toFixed(1)}%` : ''));
  }
  const g = r.generation;
  if (g) {
    lines.push(`  generated tokens: ${(g.tokenAgreement * 100).toFixed(1)}% agree over ${g.prompts} prompt(s) × ${g.newTokens + 1} ids, first divergence ${g.firstDivergence.map((f) => (f === null ? '-' : f)).join('/')}, ` +
      `logits cosine ${g.logitsCosine.toFixed(5)} (lowest step ${g.minStepCosine.toFixed(5)})`);
  }
  if (r.perfA?.decode && r.perfB?.decode) {
    lines.push(`  decode ${r.perfA.decode.tokensPerSec.toFixed(1)} → ${r.perfB.decode.tokensPerSec.toFixed(1)} tokens/s (${r.speedup!.toFixed(2)}×), ` +
      `TTFT p50 ${r.perfA.decode.ttftMsP50.toFixed(2)} → ${r.perfB.decode.ttftMsP50.toFixed(2)} ms (${r.prefillSpeedup!.toFixed(2)}×)`);
    lines.push(`  size ${mb(r.perfA.sizeBytes)} → ${mb(r.perfB.sizeBytes)} (${r.sizeRatio.toFixed(3)}×), peak memory ${mb(r.perfA.peakRssBytes)} → ${mb(r.perfB.peakRssBytes)}`);
  } else if (r.perfA && r.perfB) {
    lines.push(`  p50 ${r.perfA.p50Ms.toFixed(2)} → ${r.perfB.p50Ms.toFixed(2)} ms, p95 ${r.perfA.p95Ms.toFixed(2)} → ${r.perfB.p95Ms.toFixed(2)} ms, ` +
      `throughput ${r.perfA.throughput.toFixed(1)} → ${r.perfB.throughput.toFixed(1)}/s, speed-up ${r.speedup!.toFixed(2)}×`);
    lines.push(`  size ${mb(r.perfA.sizeBytes)} → ${mb(r.perfB.sizeBytes)} (${r.sizeRatio.toFixed(3)}×), peak memory ${mb(r.perfA.peakRssBytes)} → ${mb(r.perfB.peakRssBytes)}`);
  }
  for (const e of r.explanation) lines.push(`  • ${e}`);
  return lines.join('\n');
}
