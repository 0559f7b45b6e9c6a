/** `inference-lens bench`: measure (and profile) a model in a child process, as a table or JSON. */
import * as fs from 'fs';
import * as path from 'path';
import { appendHistory, gitInfo, historyEntry, HistoryEntry, historyRoot, latestComparable, readHistory, samplesOf, setupKey } from '../bench/history';
import { machineKey } from '../bench/machine';
import { Comparison, compareLatencies, inconclusive } from '../bench/regression';
import { BenchCache, defaultCacheDir, hashFile } from '../bench/cache';
import { formatText } from '../bench/report';
import { detectBackends, runBenchmark } from '../bench/runner';
import { benchOptionsFrom } from '../bench/settings';
import { withTextViewLines } from '../bench/lines';
import { BenchError, BenchOptions, BenchResult, EP_NAMES, SessionOptionsSpec } from '../bench/types';
import { findWorkspaceConfigDir, mergeConfig, readWorkspaceConfig } from '../config';
import { formatFlag, parseArgs, parseDims, UsageError } from './args';
import { costOverrides, costText } from './costFlags';
import { benchCost } from '../cost/benchCost';
import { completeGenerate, GenerateOptions } from '../bench/generate';
import type { GenerationSettings } from '../onnx/generation';

export const BENCH_USAGE = `  bench <model.onnx> [--ep cpu|webgpu|cuda|dml|coreml] [--batch N] [--dims k=v,...] [--threads N]
        [--warmup N] [--min-runs N] [--min-time S] [--max-time S] [--sweep batch|threads] [--concurrency N]
        [--profile] [--inputs FILE[,FILE]] [--format text|json] [--opt-level disabled|basic|extended|all]
        [--inter-threads N] [--execution-mode sequential|parallel] [--no-arena] [--no-mem-pattern]
        [--free-dims k=v,...] [--seed N] [--timeout S] [--memory-limit MB] [--cached] [--cache-dir DIR]
        [--instance ID] [--traffic RPS[,HOURS]] [--baseline FILE|auto] [--threshold PCT] [--no-history]
        [--generate [--prompt-tokens N | --prompt-ids 1,2,3] [--new-tokens M]]
  bench --list-eps
      measure latency (p50…p99.9), throughput and memory in a child process; --profile adds per-operator times;
      priced on the configured instance (top-level "cost" in JSON); --generate times a decoder's greedy generation:
      prefill, then M decode steps feeding present back as past (TTFT, inter-token latency, tokens/s; "generation");
      each run is appended to .inference-lens/history.jsonl; --baseline compares with a saved \`bench --format json\`
      result (or, with auto, the last comparable run in the history) and exits 1 on a slowdown past --threshold
      (default 10) beyond noise`;

const SPEC: Record<string, boolean> = {
  instance: true, traffic: true,
  ep: true, batch: true, dims: true, threads: true, warmup: true, 'min-runs': true, 'min-time': true, 'max-time': true,
  sweep: true, concurrency: true, profile: false, inputs: true, format: true, 'opt-level': true, 'inter-threads': true,
  'execution-mode': true, 'no-arena': false, 'no-mem-pattern': false, 'free-dims': true, seed: true, timeout: true,
  'memory-limit': true, cached: false, 'cache-dir': true, 'list-eps': false,
  baseline: true, threshold: true, 'no-history': false,
  generate: false, 'prompt-tokens': true, 'prompt-ids': true, 'new-tokens': true,
};

/** `--generate` flags → GenerateOptions, the `generation` settings filling what the flags leave out. */
export function generateFromFlags(flags: Map<string, string | true>, settings: GenerationSettings): GenerateOptions | undefined {
  const named = ['prompt-tokens', 'prompt-ids', 'new-tokens'].filter((f) => flags.has(f));
  if (!flags.has('generate')) {
    if (named.length) throw new UsageError(`--${named[0]} needs --generate`);
    return undefined;
  }
  if (flags.has('prompt-tokens') && flags.has('prompt-ids')) throw new UsageError('give --prompt-tokens or --prompt-ids, not both');
  const ids = flags.get('prompt-ids');
  let promptIds: number[] | undefined;
  if (ids !== undefined) {
    promptIds = (ids === true ? '' : ids).split(',').map((x) => Number(x.trim()));
    if (!promptIds.length || promptIds.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`--prompt-ids expects token ids separated by commas, got '${ids === true ? '' : ids}'`);
  }
  return completeGenerate({ promptTokens: num(flags, 'prompt-tokens', { int: true }), promptIds, newTokens: num(flags, 'new-tokens', { int: true }) }, settings);
}

function num(flags: Map<string, string | true>, name: string, opts: { int?: boolean; min?: number } = {}): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  const min = opts.min ?? (opts.int ? 1 : 0);
  if (v === true || !Number.isFinite(n) || n < min || (opts.int && !Number.isInteger(n))) {
    throw new UsageError(`--${name} expects ${opts.int ? 'an integer' : 'a number'} ≥ ${min}, got '${v === true ? '' : v}'`);
  }
  return n;
}

function oneOf<T extends string>(flags: Map<string, string | true>, name: string, allowed: readonly T[]): T | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  if (v === true || !(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** Flags → the options they set (unset flags leave settings and defaults in place). */
export function optionsFromFlags(flags: Map<string, string | true>): Partial<BenchOptions> {
  const session: SessionOptionsSpec = {};
  const threads = num(flags, 'threads', { int: true, min: 0 });
  if (threads !== undefined) session.intraOpNumThreads = threads;
  const inter = num(flags, 'inter-threads', { int: true, min: 0 });
  if (inter !== undefined) session.interOpNumThreads = inter;
  const level = oneOf(flags, 'opt-level', ['disabled', 'basic', 'extended', 'all'] as const);
  if (level) session.graphOptimizationLevel = level;
  const mode = oneOf(flags, 'execution-mode', ['sequential', 'parallel'] as const);
  if (mode) session.executionMode = mode;
  if (flags.has('no-arena')) session.enableCpuMemArena = false;
  if (flags.has('no-mem-pattern')) session.enableMemPattern = false;
  const free = flags.get('free-dims');
  if (free !== undefined) session.freeDimensionOverrides = parseDims(free === true ? '' : free);
  const dims = flags.get('dims');
  const inputs = flags.get('inputs');
  if (inputs === true) throw new UsageError('--inputs needs a file');
  const memMb = num(flags, 'memory-limit', { min: 0 });
  return {
    ep: oneOf(flags, 'ep', EP_NAMES), batch: num(flags, 'batch', { int: true }),
    dims: dims !== undefined ? parseDims(dims === true ? '' : dims) : undefined,
    warmupRuns: num(flags, 'warmup', { int: true, min: 0 }), minRuns: num(flags, 'min-runs', { int: true }),
    minTimeS: num(flags, 'min-time'), maxTimeS: num(flags, 'max-time'),
    sweep: oneOf(flags, 'sweep', ['batch', 'threads'] as const), concurrency: num(flags, 'concurrency', { int: true }),
    profile: flags.has('profile') ? true : undefined, inputsFile: inputs ? path.resolve(inputs) : undefined,
    seed: num(flags, 'seed', { int: true, min: 0 }), runTimeoutS: num(flags, 'timeout', { min: 0.001 }),
    memoryLimitBytes: memMb !== undefined ? Math.round(memMb * 2 ** 20) : undefined,
    session: Object.keys(session).length ? session : undefined,
  };
}

export async function runBench(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  const format = formatFlag(flags, ['text', 'json']);
  if (flags.has('list-eps')) {
    const eps = await detectBackends();
    if (format === 'json') out(JSON.stringify(eps, null, 2));
    else for (const b of eps) out(`${b.ep.padEnd(7)} ${b.available ? 'available' : `unavailable: ${b.reason}`}`);
    return 0;
  }
  if (positional.length !== 1) throw new UsageError('bench expects exactly one model file');
  const model = path.resolve(positional[0]);
  const overrides = optionsFromFlags(flags);

  // The model's workspace settings (inference-lens.json above it) give the defaults; flags win.
  const problems: string[] = [];
  const dir = findWorkspaceConfigDir(model);
  const costFlags = costOverrides(flags);
  const config = mergeConfig(dir ? readWorkspaceConfig(dir, problems) : {}, costFlags ? { cost: costFlags } : {});
  for (const p of problems) err(`inference-lens: ${p}`);
  const options = benchOptionsFrom(config.bench, config.dims, overrides);
  options.generate = generateFromFlags(flags, config.generation);
  if (options.generate && overrides.batch === undefined && config.generation.batch) options.batch = config.generation.batch;
  const threshold = num(flags, 'threshold', { min: 0 });
  const baselineFlag = flags.get('baseline');
  if (baselineFlag === true) throw new UsageError('--baseline needs a file or auto');
  const root = historyRoot(model, dir);
  // Read before this run is appended, so that `auto` finds the previous one.
  const baseline = baselineFlag !== undefined ? loadBaseline(baselineFlag, root) : undefined;
  const cacheDirFlag = flags.get('cache-dir');
  const cache = new BenchCache(typeof cacheDirFlag === 'string' ? path.resolve(cacheDirFlag) : config.bench.cacheDir ?? defaultCacheDir());

  let result: BenchResult | undefined;
  if (flags.has('cached')) {
    let sha: string | undefined;
    try { sha = await hashFile(model); } catch { sha = undefined; }
    const ortVersion = ortVersionOf();
    result = sha && ortVersion ? cache.get(sha, options, ortVersion) : undefined;
  }
  if (!result) {
    const ac = new AbortController();
    const onSig = (): void => ac.abort();
    process.once('SIGINT', onSig);
    try {
      result = withTextViewLines(await runBenchmark(model, options, {
        signal: ac.signal,
        onProgress: process.stderr.isTTY && format === 'text' ? (p) => process.stderr.write(`\r\x1b[K${p.phase}: ${p.message}`) : undefined,
      }));
    } catch (e) {
      if (e instanceof BenchError) {
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        err(`inference-lens bench: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      process.removeListener('SIGINT', onSig);
      if (process.stderr.isTTY && format === 'text') process.stderr.write('\r\x1b[K');
    }
    try {
      cache.put(result);
    } catch (e) {
      err(`inference-lens: could not cache the result in ${cache.dir}: ${(e as Error).message}`);
    }
  }
  // The measurement priced on the configured instance (`cost`), or why it could not be (`costError`).
  const priced = benchCost(model, result, config);
  const samples = samplesOf(result);
  let entry: HistoryEntry | undefined;
  if (samples) {
    entry = historyEntry(result, samples, root, { git: gitInfo(root), ...('error' in priced ? {} : { per1k: priced.cost.per1k, instance: priced.cost.instance }) });
    if (!flags.has('no-history') && result.cachedAgeS === undefined) {
      try {
        appendHistory(root, entry);
      } catch (e) {
        err(`inference-lens: could not append to the history in ${root}: ${(e as Error).message}`);
      }
    }
  }
  const comparison = baseline && compareWithBaseline(baseline, samples, entry, threshold);
  const withCost = { ...result, ...('error' in priced ? { costError: priced.error } : { cost: priced.cost }), ...(comparison ? { baseline: comparison } : {}) };
  const text = `${formatText(result)}\ncost      ${'error' in priced ? priced.error : costText(priced.cost)}${comparison ? `\nbaseline  ${comparison.reason} (against ${comparison.against})` : ''}`;
  out(format === 'json' ? JSON.stringify(withCost, null, 2) : text);
  return comparison?.verdict === 'regression' ? 1 : 0;
}

interface Baseline { samplesMs: number[]; against: string; setup?: string; machine?: string }

/** A saved `bench --format json` result, or (auto) the last comparable run in the history, resolved after the run. */
function loadBaseline(spec: string, root: string): Baseline | { auto: HistoryEntry[] } {
  if (spec === 'auto') return { auto: readHistory(root).entries };
  let saved: BenchResult;
  try {
    saved = JSON.parse(fs.readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new UsageError(`--baseline: cannot read ${spec}: ${(e as Error).message}`);
  }
  const samplesMs = saved.trace?.samplesMs;
  if (!Array.isArray(samplesMs) || !samplesMs.length) {
    throw new UsageError(`--baseline: ${spec} has no run-by-run latencies (trace.samplesMs); save a baseline with this version's \`bench --format json\``);
  }
  return { samplesMs, against: `${path.basename(spec)}, measured ${saved.measuredAt ?? '?'}`, setup: saved.options ? setupKey(saved.options) : undefined, machine: saved.machine ? machineKey(saved.machine) : undefined };
}

function compareWithBaseline(b: Baseline | { auto: HistoryEntry[] }, samples: number[] | undefined, entry: HistoryEntry | undefined,
  threshold: number | undefined): (Comparison & { against: string; warnings: string[] }) | undefined {
  if (!samples || !entry) return undefined;
  let base: Baseline;
  if ('auto' in b) {
    const prev = latestComparable(b.auto, entry);
    if (!prev) return { ...inconclusive('no earlier run of this model with the same options on this machine in the history'), against: 'history', warnings: [] };
    base = { samplesMs: prev.samplesMs, against: `the run of ${prev.measuredAt}${prev.git ? ` at ${prev.git.commit.slice(0, 10)}${prev.git.dirty ? '+' : ''}` : ''}`, setup: prev.setup, machine: prev.machine };
  } else base = b;
  const warnings: string[] = [];
  if (base.machine && base.machine !== entry.machine) warnings.push(`the baseline was measured on another machine (${base.machine})`);
  if (base.setup && base.setup !== entry.setup) warnings.push('the baseline was measured with other options (EP, batch, dims, threads or inputs)');
  const c = compareLatencies(base.samplesMs, samples, threshold !== undefined ? { threshold: threshold / 100 } : {});
  return { ...c, reason: warnings.length ? `${c.reason}; note: ${warnings.join('; ')}` : c.reason, against: base.against, warnings };
}

/** onnxruntime-node's version from its package.json (no native load), for cache lookups. */
function ortVersionOf(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}
