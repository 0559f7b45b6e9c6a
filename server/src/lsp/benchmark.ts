/**
 * Benchmarks from the editor: `inferenceLens.benchmark` and `inferenceLens.profile` (model URI +
 * options) run the model in the worker child process, report `$/progress` (cancellable), return the
 * BenchResult as JSON and push it to the client as `inferenceLens/benchmarkResult`. The server only
 * waits on IPC meanwhile, so hovers and diagnostics stay responsive. One job runs at a time (two at
 * once would measure each other: jobQueue.ts); later requests wait their turn and say so.
 */
import * as fs from 'fs';
import { fileURLToPath, pathToFileURL } from 'url';
import { CancellationToken, ErrorCodes, LSPErrorCodes, ResponseError, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { BenchCache, defaultCacheDir, formatAge } from '../bench/cache';
import { latestNodeTimes, latestResult } from '../bench/latest';
import { withTextViewLines } from '../bench/lines';
import { formatMarkdown } from '../bench/report';
import { detectBackends, runBenchmark } from '../bench/runner';
import { completeGenerate } from '../bench/generate';
import { benchOptionsFrom, childLimits } from '../bench/settings';
import { BenchError, BenchOptions, BenchResult } from '../bench/types';
import { benchCost } from '../cost/benchCost';
import type { CostJson } from '../cost/report';
import type { Feature, ServerContext } from './feature';

export const BENCHMARK_COMMAND = 'inferenceLens.benchmark';
export const PROFILE_COMMAND = 'inferenceLens.profile';
/** Latest cached result for a model, without running anything (for hovers and reports). */
export const LAST_BENCHMARK_COMMAND = 'inferenceLens.lastBenchmark';
export const DETECT_BACKENDS_COMMAND = 'inferenceLens.detectBackends';
export const BENCHMARK_RESULT_NOTIFICATION = 'inferenceLens/benchmarkResult';
/**
 * Removes every cached result (the next hover and lens go back to estimates until a new run). Not the
 * palette's id (inferenceLens.clearBenchmarkCache): VS Code's language client registers each server
 * command id as a VS Code command itself, and two registrations of one id fail activation.
 */
export const CLEAR_CACHE_COMMAND = 'inferenceLens.clearCache';

export interface BenchmarkResultParams {
  uri: string;
  result: BenchResult;
  markdown: string;
  /** the result priced on the configured instance and on every catalog instance (the report's cost table) */
  cost?: CostJson;
  costError?: string;
}

/** One line for a hover: "measured p50 1.2 ms · p95 1.5 ms (cpu, batch 1, 3 min ago)". */
export function benchmarkHoverLine(r: BenchResult): string {
  const age = r.cachedAgeS !== undefined ? `, ${formatAge(r.cachedAgeS)}` : '';
  return `measured p50 ${r.latencyMs.p50.toFixed(3)} ms · p95 ${r.latencyMs.p95.toFixed(3)} ms (${r.ep}, batch ${r.batch}${age})`;
}

/** For the text view's node hover: "measured 0.055 ms per inference (65 % of node time)" from the latest profile. */
export async function measuredLine(file: string, nodeName: string, cacheDir?: string): Promise<string> {
  const t = (await latestNodeTimes(file, cacheDir ?? defaultCacheDir(), 100))?.get(nodeName);
  return t ? `\n\n**measured** ${t.ms.toFixed(3)} ms per inference (${(t.share * 100).toFixed(1)} % of node time, last profile)` : '';
}

function modelFile(arg: unknown, command: string): string {
  if (typeof arg !== 'string' || !arg) throw new ResponseError(ErrorCodes.InvalidParams, `${command} expects a model URI as its first argument`);
  const file = arg.startsWith('file:') ? fileURLToPath(arg) : arg;
  if (!fs.existsSync(file)) throw new ResponseError(ErrorCodes.InvalidParams, `${command}: no such model ${file}`);
  return file;
}

function argOptions(arg: unknown, command: string): Partial<BenchOptions> {
  if (arg === undefined || arg === null) return {};
  if (typeof arg !== 'object' || Array.isArray(arg)) throw new ResponseError(ErrorCodes.InvalidParams, `${command}: options must be an object`);
  return arg as Partial<BenchOptions>;
}

export function benchmark(ctx: ServerContext): Feature {
  const cache = (): BenchCache => new BenchCache(ctx.config().bench.cacheDir ?? defaultCacheDir());

  async function run(kind: 'benchmark' | 'profile', args: unknown[], token: CancellationToken, attached: WorkDoneProgressReporter): Promise<BenchResult> {
    const command = kind === 'profile' ? PROFILE_COMMAND : BENCHMARK_COMMAND;
    const file = modelFile(args[0], command);
    const c = ctx.config();
    const asked = argOptions(args[1], command);
    const options = benchOptionsFrom(c.bench, c.dims, { ...asked, ...(kind === 'profile' ? { profile: true } : {}) });
    if (options.generate !== undefined) {
      // What the request leaves out comes from the generation settings, as for `bench --generate`.
      try {
        options.generate = completeGenerate(typeof options.generate === 'object' && options.generate ? options.generate : {}, c.generation);
      } catch (e) {
        throw new ResponseError(ErrorCodes.InvalidParams, `${command}: ${(e as Error).message}`);
      }
      if (asked.batch === undefined && c.generation.batch) options.batch = c.generation.batch;
    }

    // Server-initiated progress has a cancel button; the attached reporter (if the client sent a
    // workDoneToken) gets the same reports.
    const progress = await ctx.connection.window.createWorkDoneProgress();
    const title = `${kind === 'profile' ? 'Profiling' : 'Benchmarking'}${options.generate ? ' the generation (prefill + decode) of' : ''} ${file.split(/[\\/]/).pop()}`;
    const ac = new AbortController();
    const subs = [token.onCancellationRequested(() => ac.abort()), progress.token.onCancellationRequested(() => ac.abort())];
    const report = (percent: number | undefined, message: string): void => {
      progress.report(percent ?? 0, message);
      attached.report(percent ?? 0, message);
    };
    progress.begin(title, 0, 'starting', true);
    attached.begin(title, 0, 'starting', true);
    try {
      const result = withTextViewLines(await ctx.jobs.run(title, () =>
        runBenchmark(file, options, { signal: ac.signal, niceness: childLimits(c.bench).niceness, onProgress: (p) => report(p.percent, p.message) }),
      { signal: ac.signal, onWait: (m) => report(0, m) }));
      try {
        cache().put(result);
      } catch (e) {
        ctx.log(`could not cache the benchmark result: ${(e as Error).message}`);
      }
      const uri = typeof args[0] === 'string' && args[0].startsWith('file:') ? args[0] : pathToFileURL(file).toString();
      const priced = pricedResult(file, result);
      void ctx.connection.sendNotification(BENCHMARK_RESULT_NOTIFICATION, { uri, result, markdown: formatMarkdown(result), ...priced } satisfies BenchmarkResultParams);
      ctx.refreshCodeLenses?.(); // lenses above this model's loads now show measured figures
      return result;
    } catch (e) {
      if (e instanceof BenchError) {
        ctx.log(`${kind} of ${file} failed: ${e.message}`);
        if (e.kind === 'cancelled') throw new ResponseError(LSPErrorCodes.RequestCancelled, e.message);
        throw new ResponseError(ErrorCodes.InternalError, e.message, { kind: e.kind });
      }
      throw e;
    } finally {
      for (const s of subs) s.dispose();
      progress.done();
      attached.done();
    }
  }

  function pricedResult(file: string, result: BenchResult): { cost: CostJson } | { costError: string } {
    try {
      const p = benchCost(file, result, ctx.config());
      return 'error' in p ? { costError: p.error } : p;
    } catch (e) {
      return { costError: (e as Error).message };
    }
  }

  return {
    needsTrust: true,
    commands: {
      [BENCHMARK_COMMAND]: (args, token, progress) => run('benchmark', args, token, progress),
      [PROFILE_COMMAND]: (args, token, progress) => run('profile', args, token, progress),
      [LAST_BENCHMARK_COMMAND]: async (args) => {
        const file = modelFile(args[0], LAST_BENCHMARK_COMMAND);
        const r = await latestResult(file, ctx.config().bench.cacheDir ?? defaultCacheDir());
        return r ? { result: r, markdown: formatMarkdown(r), hover: benchmarkHoverLine(r), ...pricedResult(file, r) } : null;
      },
      [CLEAR_CACHE_COMMAND]: () => {
        const removed = cache().clear();
        ctx.refreshCodeLenses?.();
        return { removed };
      },
      [DETECT_BACKENDS_COMMAND]: (_args, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        return detectBackends(undefined, { signal: ac.signal }).finally(() => sub.dispose());
      },
    },
  };
}
