/**
 * A decoder's price per token, pure: $ per 1M input (prompt) tokens and $ per 1M output (generated)
 * tokens on an instance, and how many sequences fit in its memory at the context length.
 *
 *   estimate:  prefill ms        = roofline(prefill MACs, prefill bytes)            (compute-bound)
 *              decode ms / step  = roofline(batch × MACs/token, batch × bytes/token) (memory-bound)
 *   measured:  prefill ms = TTFT p50; output tokens/s = the benchmark's decode tokens/s
 *   input tokens/s  = prompt tokens × batch / prefill s;  output tokens/s = batch / decode s per step
 *   $ per 1M tokens = 1e6 / (tokens/s × utilization) × price per hour / 3600
 *   sequences that fit = floor((memory − weight bytes) / (KV bytes per token × context length))
 *     memory: the accelerators' (all of them) on a GPU instance, else the instance's; activations not counted.
 */
import type { GenerationResult } from '../bench/types';
import type { GenerationFigures } from '../onnx/generation';
import type { Instance } from './catalog';
import { Basis, rooflineLatencyMs } from './model';

export interface TokenCost {
  basis: Basis;
  /** prefill of the configured prompt × batch */
  prefillMs: number;
  /** one decode step (a token for every sequence of the batch) */
  decodeMsPerStep: number;
  inputTokensPerSec: number;
  outputTokensPerSec: number;
  per1MInputTokens: number;
  per1MOutputTokens: number;
  /** what bounds each phase in the estimate (absent when measured) */
  bound?: { prefill: 'compute' | 'memory'; decode: 'compute' | 'memory' };
  /** sequences whose KV cache at the context length fits beside the weights */
  sequencesThatFit: number;
  memoryBytes: number;
}

const GiB = 2 ** 30;

export function instanceMemoryBytes(inst: Instance): number {
  const a = inst.accelerator;
  return a?.memoryGiB && inst.kind !== 'cpu' ? a.memoryGiB * a.count * GiB : inst.memoryGiB * GiB;
}

const per1M = (tokensPerSec: number, inst: Instance, utilization: number): number =>
  tokensPerSec > 0 ? (1e6 / (tokensPerSec * utilization)) * inst.pricePerHour / 3600 : Infinity;

/** Token prices on `inst`: estimated from the roofline per phase, or from a `bench --generate` measurement. */
export function tokenCost(g: GenerationFigures, work: { weightBytes: number; nodes: number }, inst: Instance, utilization: number, measured?: GenerationResult): TokenCost {
  const s = g.settings;
  const memoryBytes = instanceMemoryBytes(inst);
  const perSequence = g.kvCacheBytesPerToken * s.contextLength;
  const sequencesThatFit = perSequence > 0 ? Math.max(0, Math.floor((memoryBytes - work.weightBytes) / perSequence)) : 0;
  let prefillMs: number, decodeMsPerStep: number, inputTokensPerSec: number, outputTokensPerSec: number;
  let bound: TokenCost['bound'];
  if (measured) {
    prefillMs = measured.ttftMs.p50;
    inputTokensPerSec = (measured.promptTokens * measured.batch) / (prefillMs / 1000);
    outputTokensPerSec = measured.tokensPerSec;
    decodeMsPerStep = outputTokensPerSec > 0 ? (1000 * measured.batch) / outputTokensPerSec : Infinity;
  } else {
    const pre = rooflineLatencyMs({ macs: g.prefill.macs, weightBytes: g.prefill.bytes, nodes: work.nodes }, inst);
    const dec = rooflineLatencyMs({ macs: g.decode.macsPerToken * s.batch, weightBytes: g.decode.bytesPerToken * s.batch, nodes: work.nodes }, inst);
    prefillMs = pre.latencyMs;
    decodeMsPerStep = dec.latencyMs;
    inputTokensPerSec = (s.promptTokens * s.batch) / (prefillMs / 1000);
    outputTokensPerSec = s.batch / (decodeMsPerStep / 1000);
    bound = { prefill: pre.bound, decode: dec.bound };
  }
  return {
    basis: measured ? 'measured' : 'estimate', prefillMs, decodeMsPerStep, inputTokensPerSec, outputTokensPerSec,
    per1MInputTokens: per1M(inputTokensPerSec, inst, utilization), per1MOutputTokens: per1M(outputTokensPerSec, inst, utilization),
    ...(bound && { bound }), sequencesThatFit, memoryBytes,
  };
}
