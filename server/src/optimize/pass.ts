/**
 * The contract of an optimization pass: one model rule's fix, applied to a WModel in place.
 * Passes are pure graph rewrites except constant folding, which is handed an evaluator (a model
 * run in onnxruntime-node by the caller, in a child process).
 */
import type { Dim } from '../onnx/model';
import type { WModel } from '../quantize/graph';

export interface ConstantValue {
  dataType: number;
  dims: number[];
  /** little-endian, as raw_data holds it */
  data: Buffer;
}

/** Runs a model that has no inputs and returns its outputs by name (constant folding). */
export type Evaluator = (modelFile: string) => Promise<Record<string, ConstantValue>>;

export interface PassContext {
  model: WModel;
  /** Element type of every value whose type is declared or inferred (Cast no-ops, folded outputs). */
  types: Map<string, number>;
  /** Rank of values where inference knows it (LayerNorm axes). */
  ranks: Map<string, number>;
  /**
   * Shapes at the dims used and at a second assignment where every symbolic dim differs: equal in
   * both means equal for all sizes, not broadcast (SkipLayerNormalization's inputs).
   */
  shapes?: Map<string, Dim[]>;
  altShapes?: Map<string, Dim[]>;
  /** Symbolic dims to pin (ONNX011), from --dims or the configuration. */
  dims: Record<string, number>;
  evaluate?: Evaluator;
  /** Where constant folding may write its scratch model. */
  tmpDir?: string;
  /** Set by ONNX012's pass: write the weights as external data. */
  externalData?: boolean;
}

export interface PassResult {
  /** How many nodes, initializers or dims the pass changed (0: nothing to do). */
  changed: number;
  /** What it did, and what it left alone and why. */
  notes: string[];
}

export interface Pass {
  /** The model rule whose finding this pass fixes. */
  rule: string;
  title: string;
  /** Part of "Optimize model" (every safe fix at once); the others run only when named with --only. */
  default: boolean;
  run(ctx: PassContext): PassResult | Promise<PassResult>;
}
