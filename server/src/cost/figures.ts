/**
 * The work a model does per inference, as plain numbers the cost model takes: MACs and activation
 * bytes from the model engine's per-node cost (onnx/cost.ts), weight bytes and node count from the summary.
 */
import type { ModelSummary } from '../onnx/summary';
import type { Incomplete, ModelCost } from '../onnx/cost';
import type { MacsByPrecision } from '../onnx/precision';
import type { Performance } from './model';
import type { Finding } from '../rules/types';
import type { GenerationFigures } from '../onnx/generation';

export interface WorkFigures {
  /** multiply-accumulates per inference; undefined when the model's cost could not be counted */
  macs?: number;
  /** the same MACs by the arithmetic they run in (int8 kernels, fp16, fp32); absent: all at the estimate's precision */
  macsByPrecision?: MacsByPrecision;
  params: number;
  weightBytes: number;
  /** bytes of floating-point weights (what int8 quantization shrinks 4×) */
  floatWeightBytes: number;
  /** bytes of every intermediate tensor, written once and read at least once per inference */
  activationBytes?: number;
  /** nodes that run per inference (ModelCost.runningNodes); every node of the file when no cost was counted */
  nodes: number;
  /** set when macs and activation bytes are lower bounds (some nodes have no shapes) */
  incomplete?: Incomplete;
  /** a decoder with a KV cache: prefill and decode figures, priced per token (cost/tokens.ts) */
  generation?: GenerationFigures;
}

export function workFigures(
  summary: ModelSummary, cost?: Pick<ModelCost, 'macs' | 'activationBytes' | 'incomplete'> & Partial<Pick<ModelCost, 'macsByPrecision' | 'fusedQdq' | 'runningNodes'>>,
): WorkFigures {
  const t = summary.weightBytesByType;
  const floatWeightBytes = (t.float ?? 0) + (t.float16 ?? 0) + (t.double ?? 0) + (t.bfloat16 ?? 0);
  // DequantizeLinear folded into int8 kernels does not run: its float output is not paid for, nor is its
  // node; neither are Constant nodes or an If branch not taken (runningNodes).
  const fused = cost?.fusedQdq ?? { nodes: 0, bytes: 0 };
  return {
    macs: cost?.macs, activationBytes: cost?.activationBytes === undefined ? undefined : cost.activationBytes - fused.bytes,
    ...(cost?.macsByPrecision && { macsByPrecision: cost.macsByPrecision }),
    params: summary.params, weightBytes: summary.weightBytes, floatWeightBytes, nodes: cost?.runningNodes ?? summary.nodes,
    ...(cost?.incomplete && { incomplete: cost.incomplete }),
    ...(summary.generation && { generation: summary.generation }),
  };
}

/** A model named in code, resolved by whoever can read files (server, CLI). */
export interface ResolvedModel {
  file: string;
  summary: ModelSummary;
  /** the model rules' findings on it (ONNX001 says whether its float32 weights are worth quantizing) */
  findings: Finding[];
  work: WorkFigures;
  measured?: Performance;
}

/** `literal` as written in the code → the model, or undefined when it does not resolve or read. */
export type ModelResolver = (literal: string) => ResolvedModel | undefined;
