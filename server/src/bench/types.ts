/**
 * The benchmark's contract: what callers ask for (BenchOptions) and what they get back (BenchResult).
 * BenchResult is also the CLI's `--format json` shape and the LSP command's return value, so fields
 * are only ever added, never renamed or removed.
 */

import type { GenerateOptions } from './generate';

/** Execution providers we know how to ask onnxruntime-node for. */
export type EpName = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
export const EP_NAMES: readonly EpName[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

/** The onnxruntime session options we expose (the ones that change speed). */
export interface SessionOptionsSpec {
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  /** symbolic dim name → fixed value, so ORT can plan memory for a static shape */
  freeDimensionOverrides?: Record<string, number>;
}

export interface BenchOptions {
  ep: EpName;
  /** value of the batch dim (a symbolic first dim, or one named batch/N/batch_size); default 1 */
  batch?: number;
  /** values for any symbolic dim by name (`seq`, `height`…); `batch` here is the same as `batch` above */
  dims?: Record<string, number>;
  session?: SessionOptionsSpec;
  /** warm-up: at least this many runs… */
  warmupRuns: number;
  /** …and at least this long (seconds; 0 = count only) */
  warmupTimeS: number;
  /** measured runs continue until both minRuns and minTimeS are reached (trtexec style)… */
  minRuns: number;
  minTimeS: number;
  /** …but stop at maxTimeS whatever the count (at least one measured run is always made) */
  maxTimeS: number;
  /** requests in flight at once (1 = sequential latency) */
  concurrency: number;
  /** run a sweep after the main measurement */
  sweep?: 'batch' | 'threads';
  /** points of the sweep (default batch 1,2,4,8,16,32; threads 1,2,4… up to the cores) */
  sweepValues?: number[];
  /** also run a profiled session and return per-operator times */
  profile: boolean;
  /** a .json or .npy file with real inputs instead of synthesised ones */
  inputsFile?: string;
  /** seed of the synthesised inputs (deterministic) */
  seed: number;
  /** kill the child when one inference (or the session creation) takes longer than this */
  runTimeoutS: number;
  /** kill the child when its resident memory grows past this many bytes (0 = no limit) */
  memoryLimitBytes: number;
  /** a decoder with a KV cache: time a greedy generation (prefill + decode steps) instead of one call */
  generate?: GenerateOptions;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  ep: 'cpu', warmupRuns: 5, warmupTimeS: 0.2, minRuns: 20, minTimeS: 1, maxTimeS: 30, concurrency: 1,
  profile: false, seed: 1, runTimeoutS: 60, memoryLimitBytes: 4 * 1024 ** 3,
};

/** Fills unset fields with the defaults. */
export function withDefaults(o: Partial<BenchOptions> = {}): BenchOptions {
  const out: BenchOptions = { ...DEFAULT_BENCH_OPTIONS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export interface LatencyStats {
  min: number; max: number; mean: number; stdev: number;
  /** coefficient of variation: stdev / mean (0..; 0.05 = 5 %) */
  cv: number;
  p50: number; p90: number; p95: number; p99: number; p999: number;
}

export interface Throughput {
  inferencesPerSec: number;
  /** inferencesPerSec × batch */
  itemsPerSec: number;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  platform: string;
  arch: string;
  totalMemoryBytes: number;
  /** ISA features that matter for inference kernels */
  isa: { avx2: boolean; avx512: boolean; vnni: boolean; amx: boolean; neon: boolean };
}

/** One synthesised or loaded input tensor, as fed to the session. */
export interface InputDescription {
  name: string;
  /** onnxruntime tensor type: float32, int64, … */
  type: string;
  dims: number[];
  /** how the values were made: tokens (ids < vocab), ones, zeros, range, uniform01, file… */
  fill: string;
}

export interface SweepPoint {
  /** the swept value: batch size or intra-op threads */
  value: number;
  runs: number;
  latencyMs: LatencyStats;
  throughput: Throughput;
  sessionCreateMs?: number;
  /** set when this point could not run (e.g. out of memory, fixed batch dim) */
  error?: string;
}

export interface OpTime {
  opType: string;
  /** nodes of this type that ran */
  count: number;
  /** self time per inference, summed over those nodes */
  totalMs: number;
  /** of all node self time (0..1) */
  share: number;
}

export interface NodeTime {
  /** node name as ORT reports it (after graph optimisation) */
  name: string;
  opType: string;
  provider: string;
  /** self time per inference */
  ms: number;
  share: number;
  /** true when a node of this name exists in the model file (fused nodes may be new) */
  inModel: boolean;
  /** 0-based line of this node in the model text view, when a line map was attached */
  line?: number;
  /** the shapes its outputs had in the profiled run (the static inference can be checked against them) */
  outputShapes?: number[][];
  /** op type of the model node it maps to (a fused `FusedMatMul` runs the model's MatMul) */
  modelOpType?: string;
}

export interface ProfileResult {
  /** profiled inferences the times are averaged over */
  runs: number;
  /** sum of node self times per inference */
  nodeTotalMs: number;
  /** model run wall time per inference as ORT measured it (includes framework overhead) */
  modelRunMs: number;
  topOps: OpTime[];
  nodes: NodeTime[];
}

/** Run-by-run latencies, in run order: the report's histogram and trace. */
export interface RunTrace {
  /** warm-up runs (ms), before the measured ones */
  warmupMs: number[];
  /** measured runs (ms); with concurrency > 1, each thread's runs one after the other */
  samplesMs: number[];
  /** 1 when every run is kept; k when only every k-th was (long runs of tiny models; see MAX_TRACE) */
  stride: number;
}

/** Runs kept in a trace: enough for a smooth histogram, small enough for the cache and the JSON. */
export const MAX_TRACE = 5000;

/** A trace of these runs, thinned to at most MAX_TRACE measured samples (every k-th, order kept). */
export function traceOf(warmupMs: readonly number[], samplesMs: readonly number[]): RunTrace {
  const stride = Math.max(1, Math.ceil(samplesMs.length / MAX_TRACE));
  const round = (v: number): number => Math.round(v * 1e4) / 1e4;
  return {
    warmupMs: warmupMs.slice(0, MAX_TRACE).map(round),
    samplesMs: samplesMs.filter((_, i) => i % stride === 0).map(round),
    stride,
  };
}

export interface BackendAvailability {
  ep: EpName;
  available: boolean;
  /** why not, when not available (not in this build, probe session failed: …) */
  reason?: string;
}

/** `bench --generate`: a greedy generation timed per phase (BenchResult.generation). */
export interface GenerationResult {
  promptTokens: number;
  /** decode steps per generation (newTokens + 1 ids are generated, the first by the prefill) */
  newTokens: number;
  batch: number;
  /** time to first token: the prefill call and its argmax, per generation */
  ttftMs: { p50: number; p95: number };
  /** one decode step (new token for every sequence): feeds, the call, the argmax */
  interTokenMs: { p50: number; p95: number; p99: number };
  /** decode throughput: newTokens × batch over the decode steps' time */
  tokensPerSec: number;
  /** the KV cache after the last step (all sequences, K and V of every layer) */
  kvCacheBytes: number;
  peakRssBytes: number;
  /** the ids the first sequence generated, the first one from the prefill */
  generatedIds: number[];
  /** measured generations (after one warm-up generation) */
  generations: number;
  /** with --profile: hot ops per phase, per prefill call and per decode step (profiled generations after one warm-up) */
  profile?: { prefill: ProfileResult; decode: ProfileResult };
}

export interface BenchResult {
  tool: string;
  version: string;
  kind: 'benchmark' | 'profile';
  model: { path: string; sha256: string; sizeBytes: number };
  ep: EpName;
  options: BenchOptions;
  ortVersion: string;
  machine: MachineInfo;
  inputs: InputDescription[];
  batch: number;
  /** measured runs (excluding warm-up) */
  runs: number;
  warmupRuns: number;
  /** wall time of the measured phase */
  measureMs: number;
  latencyMs: LatencyStats;
  throughput: Throughput;
  sessionCreateMs: number;
  /** peak resident set size of the child process (includes Node itself, ~40 MB) */
  peakRssBytes: number;
  /** RSS after the measured runs minus RSS after warm-up: growth suggests a leak */
  rssGrowthBytes: number;
  concurrency: number;
  sweep?: { kind: 'batch' | 'threads'; points: SweepPoint[] };
  profile?: ProfileResult;
  /** set by `bench --generate`: latencyMs and throughput are then per decode step */
  generation?: GenerationResult;
  /** run-by-run latencies (absent in results cached before it was recorded) */
  trace?: RunTrace;
  warnings: string[];
  /** when these figures were measured (ISO 8601) */
  measuredAt: string;
  /** set when the result came from the cache: its age in seconds at read time */
  cachedAgeS?: number;
}

/** Progress reported while a benchmark runs. */
export interface BenchProgress {
  phase: 'start' | 'create' | 'warmup' | 'measure' | 'sweep' | 'profile' | 'convert' | 'done';
  message: string;
  /** 0..100 when known */
  percent?: number;
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (p: BenchProgress) => void;
  /**
   * Scheduling niceness of the child (0 normal … 19 lowest). The language server uses a low priority
   * so that hovers and diagnostics win the CPU; the CLI runs at normal priority.
   */
  niceness?: number;
  /** called with the child's pid once it is started (logs, tests) */
  onStart?: (pid: number) => void;
}

/** Errors the runner reports (the child died, timed out, ran out of memory, was cancelled, or ORT failed). */
export type BenchErrorKind = 'session' | 'timeout' | 'memory' | 'cancelled' | 'crashed' | 'ep' | 'inputs' | 'run';

export class BenchError extends Error {
  /** `origin`: the errno code or error class in the child it stands for (errors.ts picks its hint by it). */
  constructor(public readonly kind: BenchErrorKind, message: string, readonly origin?: string) {
    super(message);
    this.name = 'BenchError';
  }
}
