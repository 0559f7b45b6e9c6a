/**
 * The server-side half of a benchmark: forks the worker (which owns onnxruntime-node), sends it the
 * job and watches it. The watchdog kills the child when one inference or the session creation takes
 * longer than `runTimeoutS`, when its RSS passes `memoryLimitBytes`, or when the caller aborts; a
 * crash of the native runtime only ends the child. Each failure is a BenchError with a clear message.
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { modelHash } from './latest';
import type { InputTensor } from './inputs';
import { machineInfo } from './machine';
import type { ConvertJob, FromWorker, GreedyRun, OptimizeJob, ToWorker, WorkerFigures } from './protocol';
import type { ConversionSummary } from '../quantize/convert';
import type { OptimizeSummary } from '../optimize/optimize';
import { lastWords } from '../errors';
import {
  BackendAvailability, BenchError, BenchOptions, BenchProgress, BenchResult, EP_NAMES, EpName, RunControl, withDefaults,
} from './types';

/** The worker script: dist/bench-worker.js beside the bundles, or worker.js beside this file in out/. */
export function workerPath(): string {
  const candidates = [path.join(__dirname, 'bench-worker.js'), path.join(__dirname, 'worker.js')];
  // Bundled scripts elsewhere (bench/ via run-ts) use the repository's dist/.
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', 'bench-worker.js'));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new BenchError('crashed', `benchmark worker not found (looked for ${candidates.join(', ')}); run the build`);
  return found;
}

const TOOL = 'inference-lens';
let version: string | undefined;
/** Our version from package.json, found upward from here (dist/ and out/ sit at different depths). */
function toolVersion(): string {
  if (version) return version;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === TOOL && pkg.version) return (version = pkg.version);
    } catch { /* keep looking */ }
    if (path.dirname(dir) === dir) return (version = 'unknown');
  }
}

const WATCH_MS = 50;

interface Job<T> {
  message: ToWorker;
  /** seconds without a sign of life before the child is declared hung */
  timeoutS: number;
  memoryLimitBytes: number;
  accept(msg: FromWorker): T | undefined;
  /** How messages name the child ('benchmark' unless said). */
  what?: string;
  /** Extra environment (a conversion's private TMPDIR). */
  env?: Record<string, string>;
}

/** Reads the child's resident set size from /proc (Linux); elsewhere the child's own reports count. */
function procRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one job in a fresh child; resolves with what `accept` returns, rejects with a BenchError. */
function runInChild<T>(job: Job<T>, control: RunControl): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const what = job.what ?? 'benchmark';
    if (control.signal?.aborted) { reject(new BenchError('cancelled', `${what} cancelled`)); return; }
    let child: ChildProcess;
    try {
      child = fork(workerPath(), [], {
        serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...job.env },
      });
    } catch (e) {
      reject(e instanceof BenchError ? e : new BenchError('crashed', `could not start the ${what} process: ${(e as Error).message}`));
      return;
    }
    let settled = false;
    let lastLife = Date.now();
    let phase = 'start';
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });

    const finish = (err: BenchError | undefined, value?: T): void => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      control.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err); else resolve(value as T);
    };
    const onAbort = (): void => finish(new BenchError('cancelled', `${what} cancelled`));
    control.signal?.addEventListener('abort', onAbort);

    const checkMemory = (rss: number | undefined): void => {
      if (rss !== undefined && job.memoryLimitBytes > 0 && rss > job.memoryLimitBytes) {
        finish(new BenchError('memory', `the ${what} process used ${(rss / 2 ** 20).toFixed(0)} MiB, over the limit of ${(job.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB: stopped`));
      }
    };
    const watch = setInterval(() => {
      checkMemory(procRss(child.pid));
      const quiet = (Date.now() - lastLife) / 1000;
      if (quiet > job.timeoutS) {
        const step = phase === 'create' ? 'session creation' : phase === 'start' ? 'start-up' : phase === 'convert' ? 'a conversion step' : 'one inference';
        finish(new BenchError('timeout', `${step} took longer than ${job.timeoutS} s (${phase} phase): the ${what} process was stopped`));
      }
    }, WATCH_MS);

    child.on('message', (raw) => {
      const msg = raw as FromWorker;
      lastLife = Date.now();
      if (msg.type === 'progress') {
        phase = msg.progress.phase;
        checkMemory(msg.rss);
        control.onProgress?.(msg.progress);
      } else if (msg.type === 'beat') checkMemory(msg.rss);
      else if (msg.type === 'error') finish(new BenchError(msg.kind, msg.message, msg.name));
      else {
        const v = job.accept(msg);
        if (v !== undefined) finish(undefined, v);
      }
    });
    child.on('error', (e) => finish(new BenchError('crashed', `${what} process error: ${e.message}`)));
    child.on('exit', (code, signal) => setTimeout(() => {
      // Deferred a moment: a result sent just before a normal exit may still be in the IPC pipe.
      // The child's last words, on one line and without its JavaScript stack (a user reads this message).
      const tail = lastWords(stderr);
      finish(new BenchError('crashed', `the ${what} process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}) during ${phase}${tail ? `: ${tail}` : ''}`));
    }, 20));
    if (child.pid !== undefined && control.niceness) {
      try {
        os.setPriority(child.pid, control.niceness);
      } catch { /* not permitted here: run at normal priority */ }
    }
    if (child.pid !== undefined) control.onStart?.(child.pid);
    child.send(job.message);
  });
}

/** Measures a model (and profiles it when `options.profile`). The model file is never modified. */
export async function runBenchmark(modelPath: string, options: Partial<BenchOptions> = {}, control: RunControl = {}): Promise<BenchResult> {
  const opts = withDefaults(options);
  validate(opts);
  const abs = path.resolve(modelPath);
  let size: number;
  try {
    size = fs.statSync(abs).size;
  } catch (e) {
    throw new BenchError('session', `cannot read ${modelPath}: ${(e as Error).message}`);
  }
  const report = (p: BenchProgress): void => control.onProgress?.(p);
  report({ phase: 'start', message: 'hashing the model', percent: 0 });
  const sha256 = await modelHash(abs); // remembered: hovers then find this run without reading the model again
  const figures = await runIsolated<WorkerFigures>({
    message: { type: 'bench', modelPath: abs, options: opts },
    timeoutS: opts.runTimeoutS,
    memoryLimitBytes: opts.memoryLimitBytes,
    accept: (m) => (m.type === 'result' ? m.figures : undefined),
  }, control);
  return {
    tool: TOOL, version: toolVersion(), kind: opts.profile ? 'profile' : 'benchmark',
    model: { path: abs, sha256, sizeBytes: size }, ep: opts.ep, options: opts, machine: machineInfo(),
    concurrency: opts.concurrency, measuredAt: new Date().toISOString(),
    ...figures,
  };
}

/**
 * Runs a model once in a child and returns its outputs, on the inputs given or on inputs synthesised
 * from `options` (dims, batch, seed, inputsFile) exactly as a benchmark would: for A/B agreement
 * checks of a converted model against its original on the same inputs.
 */
export async function runModel(modelPath: string, options: Partial<BenchOptions> = {}, inputs?: InputTensor[], control: RunControl = {}): Promise<{ inputs: InputTensor[]; outputs: InputTensor[]; ms: number }> {
  const opts = withDefaults(options);
  validate(opts);
  return runIsolated({
    message: { type: 'outputs', modelPath: path.resolve(modelPath), options: opts, inputs },
    timeoutS: opts.runTimeoutS, memoryLimitBytes: opts.memoryLimitBytes,
    accept: (m) => (m.type === 'outputs' ? { inputs: m.inputs, outputs: m.outputs, ms: m.ms } : undefined),
  }, control);
}

/**
 * Greedy generations of a decoder from each prompt (batch 1, `newTokens` steps after the prefill) in a
 * child, with the logits each id was chosen from: the token half of a decoder's A/B check.
 */
export async function runGreedy(modelPath: string, prompts: number[][], newTokens: number, options: Partial<BenchOptions> = {}, control: RunControl = {}): Promise<GreedyRun[]> {
  const opts = withDefaults(options);
  validate(opts);
  if (!Number.isInteger(newTokens) || newTokens < 0) throw new BenchError('inputs', `newTokens must be an integer ≥ 0, got ${newTokens}`);
  return runInChild({
    message: { type: 'tokens', modelPath: path.resolve(modelPath), options: opts, prompts, newTokens },
    timeoutS: opts.runTimeoutS, memoryLimitBytes: opts.memoryLimitBytes,
    accept: (m) => (m.type === 'tokens' ? m.runs : undefined),
  }, control);
}

/** Conversion control: the benchmark's, plus the watchdog's limits (a conversion has no bench options). */
export interface ConversionControl extends RunControl {
  /** Seconds without a sign of life (progress or a beat each second) before the child is declared hung; default 300. */
  timeoutS?: number;
  /** Resident memory limit of the child (0 = none). */
  memoryLimitBytes?: number;
}

/**
 * A quantize / fp16 conversion in a child process under the benchmark watchdog (timeout, memory, cancel):
 * the caller only orchestrates. The child writes through a temp file and a rename; should it die or be
 * killed first, its temp files (beside the output, named after its pid) and its private TMPDIR
 * (calibration models) are removed here, so a failed or cancelled conversion leaves nothing behind.
 */
export async function runConversion(input: string, options: ConvertJob['options'], control: ConversionControl = {}): Promise<ConversionSummary> {
  const out = path.resolve(options.out);
  return runWriter<ConversionSummary>({ type: 'convert', input: path.resolve(input), options: { ...options, out } }, out,
    (m) => (m.type === 'converted' ? m.summary : undefined), control);
}

/** "Optimize model" (optimize/) in the same kind of child, under the same watchdog and clean-up. */
export async function runOptimization(input: string, options: OptimizeJob['options'], control: ConversionControl = {}): Promise<OptimizeSummary> {
  const out = path.resolve(options.out);
  return runWriter<OptimizeSummary>({ type: 'optimize', input: path.resolve(input), options: { ...options, out } }, out,
    (m) => (m.type === 'optimized' ? m.summary : undefined), control);
}

/** A job that writes `out` in a child: should the child die first, its temp files beside `out` are removed. */
function runWriter<T>(message: ToWorker, out: string, accept: (m: FromWorker) => T | undefined, control: ConversionControl): Promise<T> {
  return runIsolated<T>({
    message, timeoutS: control.timeoutS ?? 300, memoryLimitBytes: control.memoryLimitBytes ?? 0, what: 'conversion', accept,
  }, control, (pid) => removeTempOutputs(out, pid));
}

/**
 * A job in a child with its own TMPDIR (profile traces, calibration models, A/B samples), removed once
 * the child is gone, however it ended: a crash (SIGSEGV in the runtime), a kill or a full disk leaves no
 * trace behind. `onFailure` removes what the dead child wrote elsewhere.
 */
async function runIsolated<T>(job: Job<T>, control: RunControl, onFailure?: (pid: number) => void): Promise<T> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-child-'));
  let pid: number | undefined;
  try {
    return await runInChild<T>({ ...job, env: { ...job.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp } },
      { ...control, onStart: (p) => { pid = p; control.onStart?.(p); } });
  } catch (e) {
    // The watchdog has sent SIGKILL; wait until the child is gone so no write of it lands after the sweep.
    if (pid !== undefined) { await gone(pid); onFailure?.(pid); }
    throw e;
  } finally {
    // Settled only once the child is gone: no process outlives its job.
    if (pid !== undefined) await gone(pid);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Resolves once `pid` no longer exists (reaped by Node's SIGCHLD handling), or after `maxMs`. */
async function gone(pid: number, maxMs = 5000): Promise<void> {
  for (let waited = 0; waited < maxMs; waited += 10) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The writer's temp files (quantize/writer.ts: `<out>.tmp-<pid>-…`, `<out>.data.tmp-<pid>-…`) of one child. */
function removeTempOutputs(out: string, pid: number): void {
  const dir = path.dirname(out);
  const prefixes = [`${path.basename(out)}.tmp-${pid}-`, `${path.basename(out)}.data.tmp-${pid}-`];
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return; }
  for (const n of names) if (prefixes.some((p) => n.startsWith(p))) fs.rmSync(path.join(dir, n), { force: true });
}

/** Which execution providers this build and machine can run, each with a real probe session. */
export async function detectBackends(eps: EpName[] = [...EP_NAMES], control: RunControl = {}): Promise<BackendAvailability[]> {
  return runInChild<BackendAvailability[]>({
    message: { type: 'probe', eps }, timeoutS: 60, memoryLimitBytes: 0,
    accept: (m) => (m.type === 'probe' ? m.backends : undefined),
  }, control);
}

function validate(o: BenchOptions): void {
  const posInt = (v: number | undefined, name: string, min = 1): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new BenchError('inputs', `${name} must be an integer ≥ ${min}, got ${v}`);
  };
  if (!EP_NAMES.includes(o.ep)) throw new BenchError('ep', `unknown execution provider '${o.ep}' (one of ${EP_NAMES.join(', ')})`);
  posInt(o.batch, 'batch');
  posInt(o.warmupRuns, 'warmupRuns', 0);
  posInt(o.minRuns, 'minRuns');
  posInt(o.concurrency, 'concurrency');
  posInt(o.session?.intraOpNumThreads, 'intraOpNumThreads', 0);
  posInt(o.session?.interOpNumThreads, 'interOpNumThreads', 0);
  // 0 is a real value: a KV cache's past length at the prefill.
  for (const [k, v] of Object.entries(o.dims ?? {})) posInt(v, `dims.${k}`, 0);
  for (const [k, v] of [['minTimeS', o.minTimeS], ['maxTimeS', o.maxTimeS], ['warmupTimeS', o.warmupTimeS]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new BenchError('inputs', `${k} must be a number ≥ 0, got ${v}`);
  }
  if (!(o.runTimeoutS > 0)) throw new BenchError('inputs', `runTimeoutS must be > 0, got ${o.runTimeoutS}`);
}
