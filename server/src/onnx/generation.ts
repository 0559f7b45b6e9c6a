/**
 * A decoder's work in its two phases, pure: the prefill (the prompt in one call, compute-bound) and a
 * decode step (one new token per sequence after `pastTokens` cached ones, memory-bound), at the
 * `generation` settings. MACs come from onnx/cost.ts at each phase's dims, so they follow the graph
 * as exported (every new query against all keys, grouped-query attention over all query heads).
 *
 * Bytes (what a memory-bound phase streams from memory, the roofline's denominator):
 * - weights read per call: every weight once, except a table only gathered from (the token embedding),
 *   of which only the gathered rows are read; a tied embedding that is also the LM head is read whole;
 * - prefill: weights + the KV cache it writes (prompt × batch × KV bytes per token);
 * - decode, per token: (weights + the cache read, (past + 1) × batch × KV bytes per token) / batch;
 *   an encoder-decoder's decoder also reads its cross-attention cache (prompt × batch × its bytes per
 *   encoder token) at every step: the prompt is the encoder's input there.
 * Activations are left out: in decode they are a few KiB, and in prefill the phase is compute-bound.
 */
import type { ModelInfo } from './model';
import { modelCost, ModelCost } from './cost';
import { inferShapes, ShapeInference } from './shapes';
import { callDims, GenerativeModel } from './generative';

/** `generation` in inference-lens.json and the `inferenceLens.generation` setting. */
export interface GenerationSettings {
  promptTokens?: number;
  outputTokens?: number;
  /** tokens a sequence may hold (prompt + output at most): sizes the KV cache */
  contextLength?: number;
  /** sequences decoded together */
  batch?: number;
}

export type ResolvedGeneration = Required<GenerationSettings>;

export const DEFAULT_GENERATION = { promptTokens: 128, outputTokens: 128, batch: 1 };

export function resolveGeneration(s: GenerationSettings = {}): ResolvedGeneration {
  const promptTokens = s.promptTokens ?? DEFAULT_GENERATION.promptTokens;
  const outputTokens = s.outputTokens ?? DEFAULT_GENERATION.outputTokens;
  return { promptTokens, outputTokens, batch: s.batch ?? DEFAULT_GENERATION.batch, contextLength: s.contextLength ?? promptTokens + outputTokens };
}

const KEYS = ['promptTokens', 'outputTokens', 'contextLength', 'batch'] as const;

/** Validates a raw `generation` object: unknown keys and non-positive integers are reported, not fatal. */
export function parseGenerationSettings(raw: unknown, source: string, problems: string[]): GenerationSettings {
  const out: GenerationSettings = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${source}: "generation" must be an object`);
    return out;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (!(KEYS as readonly string[]).includes(k)) { problems.push(`${source}: generation.${k} is not a setting (${KEYS.join(', ')})`); continue; }
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 2 ** 24) out[k as typeof KEYS[number]] = v;
    else problems.push(`${source}: generation.${k} must be a positive integer`);
  }
  return out;
}

export interface GenerationFigures {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  kvCacheBytesPerToken: number;
  /** the cache of `batch` sequences at the full context length */
  kvCacheBytes: number;
  /** the settings these figures are for */
  settings: ResolvedGeneration;
  /** weight bytes one call reads (see the module comment) */
  weightBytesRead: number;
  prefill: { tokens: number; macs: number; bytes: number; flopsPerByte: number };
  decode: { pastTokens: number; macsPerToken: number; bytesPerToken: number; flopsPerByte: number };
  /** set when a phase's MACs are a lower bound (some shapes unknown) */
  incomplete?: string;
  /**
   * An encoder-decoder's decoder: its cross-attention cache over `encoderTokens` encoder outputs (the
   * prompt, read by the encoder), part of kvCacheBytes and read at every decode step. The prefill counts
   * the decoder only: the encoder is another file, run once per request.
   */
  cross?: { encoderTokens: number; kvBytesPerEncoderToken: number; kvCacheBytes: number };
}

/** Weight bytes one call reads: whole weights, or only the gathered rows of a table nothing else reads. */
export function weightBytesRead(cost: ModelCost, inf: ShapeInference): number {
  const whole = new Set<string>();
  const gathered = new Map<string, number>();
  for (const nc of cost.nodes) {
    if (!nc.counted) continue;
    nc.node.inputs.forEach((name, i) => {
      if (!name || !inf.weights.has(name)) return;
      if (nc.opType === 'Gather' && i === 0) gathered.set(name, (gathered.get(name) ?? 0) + nc.outputBytes);
      else whole.add(name);
    });
  }
  let bytes = 0;
  for (const name of whole) bytes += inf.weights.get(name)!.byteLength;
  for (const [name, b] of gathered) if (!whole.has(name)) bytes += Math.min(b, inf.weights.get(name)!.byteLength);
  return bytes;
}

/** The past length a decode step's figures are given at: the middle of the generation, where per-token cost is its mean. */
export function meanPast(s: ResolvedGeneration): number {
  return s.promptTokens + Math.floor(s.outputTokens / 2);
}

function phase(model: ModelInfo, g: GenerativeModel, at: { batch: number; sequence: number; past: number; encoder: number }, base: Record<string, number>): { cost: ModelCost; read: number } {
  const dims = callDims(g, at, base);
  const inf = inferShapes(model, dims);
  const cost = modelCost(model, dims, inf);
  return { cost, read: weightBytesRead(cost, inf) };
}

/** Prefill and decode figures of a recognised decoder at the settings (`base`: the user's other dims). */
export function generationFigures(model: ModelInfo, g: GenerativeModel, settings: GenerationSettings = {}, base: Record<string, number> = {}): GenerationFigures {
  const s = resolveGeneration(settings);
  const B = s.batch;
  const encoder = s.promptTokens;
  const pre = phase(model, g, { batch: B, sequence: s.promptTokens, past: 0, encoder }, base);
  const past = meanPast(s);
  const dec = phase(model, g, { batch: B, sequence: 1, past, encoder }, base);
  const kv = g.kvCacheBytesPerToken;
  const crossBytes = (g.cross?.bytesPerEncoderToken ?? 0) * encoder * B;
  const prefillBytes = pre.read + s.promptTokens * B * kv;
  const decodeBytes = (dec.read + (past + 1) * B * kv + crossBytes) / B;
  const decodeMacs = dec.cost.macs / B;
  const incomplete = pre.cost.incomplete?.reason ?? dec.cost.incomplete?.reason;
  return {
    layers: g.layers, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim, vocab: g.vocab, kvCacheBytesPerToken: kv,
    kvCacheBytes: kv * s.contextLength * B + crossBytes, settings: s, weightBytesRead: dec.read,
    prefill: { tokens: s.promptTokens, macs: pre.cost.macs, bytes: prefillBytes, flopsPerByte: prefillBytes ? (2 * pre.cost.macs) / prefillBytes : 0 },
    decode: { pastTokens: past, macsPerToken: decodeMacs, bytesPerToken: decodeBytes, flopsPerByte: decodeBytes ? (2 * decodeMacs) / decodeBytes : 0 },
    ...(incomplete && { incomplete }),
    ...(g.cross && { cross: { encoderTokens: encoder, kvBytesPerEncoderToken: g.cross.bytesPerEncoderToken, kvCacheBytes: crossBytes } }),
  };
}
