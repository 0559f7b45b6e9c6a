/**
 * Messages between the runner (server or CLI side) and the benchmark worker (child process).
 * The child owns onnxruntime; the parent only sends a job and listens.
 */
import type { InputTensor } from './inputs';
import type { BackendAvailability, BenchOptions, BenchProgress, BenchResult, EpName } from './types';
import type { ConversionSummary, QuantizeOptions } from '../quantize/convert';
import type { OptimizeOptions, OptimizeSummary } from '../optimize/optimize';

/** A conversion (quantize / fp16) run in the child, under the benchmark's watchdog. `out` is resolved by the parent. */
export interface ConvertJob {
  type: 'convert';
  input: string;
  options: Omit<QuantizeOptions, 'signal' | 'onProgress'> & { out: string };
}

/** Graph clean-ups and fusions (optimize/) in the child: constant folding runs models in onnxruntime-node. */
export interface OptimizeJob {
  type: 'optimize';
  input: string;
  /** `ort`: save the graph onnxruntime builds at the extended level instead of our passes. */
  options: Omit<OptimizeOptions, 'signal' | 'onProgress' | 'evaluate'> & { out: string; ort?: boolean };
}

/** Run a model once on given (or synthesised) inputs and return its outputs: A/B checks. */
export interface OutputsJob {
  type: 'outputs';
  modelPath: string;
  options: BenchOptions;
  /** fed as given; when absent, synthesised from options (dims, batch, seed) or options.inputsFile */
  inputs?: InputTensor[];
}

/** Greedy generations from several prompts (one at a time, batch 1), ids and last-position logits kept: a decoder's A/B. */
export interface TokensJob {
  type: 'tokens';
  modelPath: string;
  options: BenchOptions;
  prompts: number[][];
  newTokens: number;
}

/** One prompt's greedy generation: newTokens + 1 ids (the first from the prefill), and the logits each was chosen from. */
export interface GreedyRun {
  ids: number[];
  logits: Float32Array[];
}

export type ToWorker =
  | { type: 'bench'; modelPath: string; options: BenchOptions }
  | OutputsJob
  | TokensJob
  | { type: 'probe'; eps: EpName[] }
  | ConvertJob
  | OptimizeJob;

/** The figures only the child can measure; the runner adds model hash, machine, version, cache age. */
export type WorkerFigures = Pick<BenchResult,
  | 'ortVersion' | 'inputs' | 'batch' | 'runs' | 'warmupRuns' | 'measureMs' | 'latencyMs' | 'throughput'
  | 'sessionCreateMs' | 'peakRssBytes' | 'rssGrowthBytes' | 'sweep' | 'profile' | 'generation' | 'trace' | 'warnings'>;

export type FromWorker =
  | { type: 'progress'; progress: BenchProgress; rss: number }
  /** sent after each finished run (throttled): the watchdog's sign of life */
  | { type: 'beat'; rss: number }
  | { type: 'result'; figures: WorkerFigures }
  | { type: 'probe'; backends: BackendAvailability[] }
  | { type: 'outputs'; inputs: InputTensor[]; outputs: InputTensor[]; ms: number }
  | { type: 'tokens'; runs: GreedyRun[] }
  | { type: 'converted'; summary: ConversionSummary }
  | { type: 'optimized'; summary: OptimizeSummary }
  /** `name`: the errno code or class of the error in the child (ENOSPC, OnnxReadError...), so the parent can say what to do */
  | { type: 'error'; kind: 'session' | 'ep' | 'inputs' | 'run'; message: string; name?: string };
