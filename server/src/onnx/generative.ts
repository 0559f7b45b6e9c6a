/**
 * Recognising generative (decoder) models, pure: which inputs are the token ids, the attention mask,
 * the position ids and the KV cache (`past`), which outputs are the logits and the updated cache
 * (`present`), and the architecture the cache implies: layers, heads, KV heads, head size, vocabulary.
 *
 * Naming covered: Hugging Face Optimum, onnxruntime-genai and transformers.js (`past_key_values.{i}.key`,
 * `present.{i}.key`), older exports (`past.{i}.key`, `past_key_{i}`, `present_{i}`), and the
 * com.microsoft GroupQueryAttention / MultiHeadAttention ops that take a past (their `num_heads` and
 * `kv_num_heads` attributes give the heads directly). Elsewhere the query heads are read from the
 * attention scores' shape at probe dims chosen so that the sequence and past lengths cannot be confused.
 */
import { allGraphs, bitsPerElement, DataType, Dim, ModelInfo, NodeInfo, ValueInfo } from './model';
import { inferShapes, ShapeInference } from './shapes';
import { dimExpression } from './dims';

export interface KvTensors {
  layer: number;
  key: string;
  /** equal to `key` for a combined `[2, batch, heads, past, head_dim]` tensor (old GPT-2 exports) */
  value: string;
}

/** The symbolic dims a decode loop sets; undefined when that axis is a fixed number or absent. */
export interface GenerativeDims {
  batch?: string;
  /** the new tokens of this call (input_ids' second axis) */
  sequence?: string;
  /** tokens already in the cache */
  past?: string;
  /** past + new, when the model names it separately (an attention mask `total_sequence_length`) */
  total?: string;
  /** an encoder-decoder's decoder: the encoder's output length (encoder_hidden_states' or the cross cache's axis) */
  encoder?: string;
}

/**
 * The cross-attention of an encoder-decoder's decoder (Optimum seq2seq naming): its keys and values come
 * from the encoder's output, computed once per request (`present.{i}.encoder.*` of the first-step decoder)
 * and then read at every step (`past_key_values.{i}.encoder.*`), so the cache holds them for every
 * encoder token, whatever the number of generated tokens.
 */
export interface CrossAttention {
  past: KvTensors[];
  /** K and V of every layer for one encoder token of one sequence */
  bytesPerEncoderToken: number;
  encoderHiddenStates?: string;
  encoderAttentionMask?: string;
}

export interface GenerativeModel {
  inputIds: string;
  attentionMask?: string;
  positionIds?: string;
  /** A merged decoder (Optimum's `decoder_model_merged.onnx`): the bool input whose If runs the with-cache graph when true. */
  useCacheBranch?: string;
  logits: string;
  past: KvTensors[];
  present: KvTensors[];
  dims: GenerativeDims;
  /** Axis of the past length in each cache tensor (2 for `[batch, heads, past, head_dim]`). */
  pastAxis: number;
  layers: number;
  /** query heads; NaN when the graph does not say */
  heads: number;
  kvHeads: number;
  headDim: number;
  /** vocabulary (the logits' last axis); NaN when not fixed */
  vocab: number;
  /** ONNX element type of the cache */
  kvElemType: number;
  /** K and V of every layer for one token of one sequence */
  kvCacheBytesPerToken: number;
  /** Where the heads came from: an attention op's attributes or the attention scores' shape. */
  headsFrom: 'attribute' | 'scores' | 'unknown';
  /** An encoder-decoder's decoder: its cross-attention cache. */
  cross?: CrossAttention;
}

// Optimum's seq2seq decoders name the self-attention cache `.decoder.` and the cross-attention one `.encoder.`.
const PAST = [/^past_key_values[._](\d+)[._](?:decoder[._])?(key|value)$/, /^past[._](\d+)[._](key|value)$/, /^past_(key|value)s?[._]?(\d+)$/, /^past[._](\d+)$/];
const PRESENT = [/^present[._](\d+)[._](?:decoder[._])?(key|value)$/, /^present_key_values[._](\d+)[._](key|value)$/, /^present_(key|value)s?[._]?(\d+)$/, /^present[._](\d+)$/];

const CROSS_PAST = [/^past_key_values[._](\d+)[._]encoder[._](key|value)$/];
const ENCODER_HIDDEN = /^encoder_hidden_states$/i;
const ENCODER_MASK = /^encoder_attention_mask$/i;
const USE_CACHE = /^use_cache_branch$/i;

/** `name` as a cache tensor: its layer and whether it holds K, V or both. */
function kvPart(name: string, patterns: RegExp[]): { layer: number; kind: 'key' | 'value' | 'both' } | undefined {
  for (const re of patterns) {
    const m = re.exec(name);
    if (!m) continue;
    if (m.length === 2) return { layer: Number(m[1]), kind: 'both' };
    const [a, b] = [m[1], m[2]];
    return /^\d+$/.test(a) ? { layer: Number(a), kind: b as 'key' | 'value' } : { layer: Number(b), kind: a as 'key' | 'value' };
  }
  return undefined;
}

/** Cache tensors by layer; layers with only one of K and V are dropped. */
function kvTensors(names: string[], patterns: RegExp[]): KvTensors[] {
  const byLayer = new Map<number, Partial<KvTensors>>();
  for (const n of names) {
    const p = kvPart(n, patterns);
    if (!p) continue;
    const e = byLayer.get(p.layer) ?? { layer: p.layer };
    if (p.kind === 'both') { e.key = n; e.value = n; } else e[p.kind] = n;
    byLayer.set(p.layer, e);
  }
  return [...byLayer.values()].filter((e): e is KvTensors => !!e.key && !!e.value).sort((a, b) => a.layer - b.layer);
}

const IDS = /^(input_ids|input|ids|tokens|token_ids|decoder_input_ids)$/i;
const MASK = /^(?!encoder_).*attention_mask|^mask$/i;
const POSITIONS = /position_ids|^positions$/i;

function tokenInput(inputs: ValueInfo[]): ValueInfo | undefined {
  const ints = inputs.filter((i) => i.elemType === 7 || i.elemType === 6);
  return ints.find((i) => IDS.test(i.name)) ?? ints.find((i) => /ids|token/i.test(i.name) && !MASK.test(i.name) && !POSITIONS.test(i.name));
}

function logitsOutput(outputs: ValueInfo[]): ValueInfo | undefined {
  return outputs.find((o) => /logits/i.test(o.name)) ?? outputs.find((o) => o.shape?.length === 3 && !kvPart(o.name, PRESENT));
}

const sym = (d: Dim | undefined): string | undefined => (typeof d === 'string' ? d : undefined);

/** Attention ops that take a past: their heads (GroupQueryAttention's kv_num_heads too). */
function attentionOpHeads(model: ModelInfo): { heads: number; kvHeads?: number } | undefined {
  for (const n of model.graph.nodes) {
    if (n.domain !== 'com.microsoft' || (n.opType !== 'GroupQueryAttention' && n.opType !== 'MultiHeadAttention')) continue;
    const heads = intAttr(n, 'num_heads');
    if (heads) return { heads, kvHeads: intAttr(n, 'kv_num_heads') };
  }
  return undefined;
}

function intAttr(n: NodeInfo, name: string): number | undefined {
  const a = n.attributes.get(name);
  return a?.kind === 'int' ? a.value : undefined;
}

/** Probe lengths: distinct from each other, from head counts and from their sum's factors, so a shape names its axis. */
const PROBE = { batch: 1, sequence: 3, past: 5, encoder: 7 };

/**
 * Dims for one call of the model: `sequence` new tokens after `past` cached ones, `batch` sequences;
 * an encoder-decoder's decoder attends to `encoder` encoder outputs (default: past + sequence).
 */
export function callDims(g: GenerativeModel, at: { batch: number; sequence: number; past: number; encoder?: number }, base: Record<string, number> = {}): Record<string, number> {
  const d: Record<string, number> = { ...base };
  if (g.dims.batch) d[g.dims.batch] = at.batch;
  if (g.dims.sequence) d[g.dims.sequence] = at.sequence;
  if (g.dims.past) d[g.dims.past] = at.past;
  if (g.dims.total && !dimExpression(g.dims.total)) d[g.dims.total] = at.past + at.sequence;
  if (g.dims.encoder) d[g.dims.encoder] = at.encoder ?? at.past + at.sequence;
  // A known condition folds the merged decoder's If: only the branch that runs is counted.
  if (g.useCacheBranch) d[g.useCacheBranch] = at.past > 0 ? 1 : 0;
  return d;
}

/** Query heads from the attention scores `[batch, heads, sequence, past + sequence]` at the probe dims. */
function headsFromScores(model: ModelInfo, inf: ShapeInference): number {
  const counts = new Map<number, number>();
  const total = PROBE.past + PROBE.sequence;
  // Every graph: a merged decoder's attention sits in the If's branches.
  for (const n of [...allGraphs(model.graph)].flatMap((gr) => gr.nodes)) {
    if (n.opType !== 'MatMul' || n.domain !== '') continue;
    const s = inf.values.get(n.outputs[0])?.shape;
    if (!s || s.length !== 4 || s[2] !== PROBE.sequence || s[3] !== total || typeof s[1] !== 'number') continue;
    counts.set(s[1], (counts.get(s[1]) ?? 0) + 1);
  }
  let best = NaN, most = 0;
  for (const [h, c] of counts) if (c > most) { best = h; most = c; }
  return best;
}

/**
 * The model as a decoder with a KV cache, or undefined when it is not one (no token-id input, no
 * logits, or no past/present pair per layer).
 */
export function recognizeGenerative(model: ModelInfo): GenerativeModel | undefined {
  const g = model.graph;
  const inits = new Set(g.initializers.map((t) => t.name));
  const inputs = g.inputs.filter((i) => !inits.has(i.name));
  const ids = tokenInput(inputs);
  const logits = logitsOutput(g.outputs);
  const past = kvTensors(inputs.map((i) => i.name), PAST);
  const present = kvTensors(g.outputs.map((o) => o.name), PRESENT);
  if (!ids || !logits || !past.length || present.length !== past.length) return undefined;
  const first = inputs.find((i) => i.name === past[0].key)!;
  const shape = first.shape;
  if (!shape || shape.length < 3) return undefined;
  const combined = past[0].key === past[0].value;
  // [batch, heads, past, head_dim] (or [batch, past, heads, head_dim]); a combined tensor has a leading 2.
  const axes = combined ? shape.slice(1) : shape;
  const mask = inputs.find((i) => MASK.test(i.name));
  const pastAxisInner = [1, 2].find((a) => typeof axes[a] === 'string') ?? 2;
  const pastAxis = pastAxisInner + (combined ? 1 : 0);
  const crossPast = kvTensors(inputs.map((i) => i.name), CROSS_PAST);
  const hidden = inputs.find((i) => ENCODER_HIDDEN.test(i.name));
  const encoderMask = inputs.find((i) => ENCODER_MASK.test(i.name));
  const crossFirst = crossPast.length ? inputs.find((i) => i.name === crossPast[0].key) : undefined;
  const useCache = inputs.find((i) => USE_CACHE.test(i.name) && i.elemType === DataType.BOOL);
  const encoderDim = sym(crossFirst?.shape?.[pastAxis]) ?? sym(hidden?.shape?.[1]) ?? sym(encoderMask?.shape?.[1]);
  const dims: GenerativeDims = {
    batch: sym(ids.shape?.[0]), sequence: sym(ids.shape?.[1]), past: sym(axes[pastAxisInner]),
    total: mask && sym(mask.shape?.[1]) !== sym(ids.shape?.[1]) ? sym(mask.shape?.[1]) : undefined,
    ...(encoderDim && { encoder: encoderDim }),
  };
  const base: Omit<GenerativeModel, 'heads' | 'kvHeads' | 'headDim' | 'vocab' | 'kvCacheBytesPerToken' | 'headsFrom'> = {
    inputIds: ids.name, attentionMask: mask?.name, positionIds: inputs.find((i) => POSITIONS.test(i.name))?.name,
    ...(useCache && { useCacheBranch: useCache.name }),
    logits: logits.name, past, present, dims, pastAxis, layers: past.length, kvElemType: first.elemType,
  };
  const probe = { ...base, heads: NaN, kvHeads: NaN, headDim: NaN, vocab: NaN, kvCacheBytesPerToken: NaN, headsFrom: 'unknown' as const };
  let inf: ShapeInference | undefined;
  const inferred = (): ShapeInference => (inf ??= inferShapes(model, callDims(probe, PROBE)));
  const fixed = (name: string, axis: number): number => {
    const declared = [...g.inputs, ...g.outputs].find((v) => v.name === name)?.shape?.[axis];
    if (typeof declared === 'number') return declared;
    const s = inferred().values.get(name)?.shape;
    const d = s?.[axis < 0 ? s.length + axis : axis];
    return typeof d === 'number' ? d : NaN;
  };
  const headAxis = (pastAxisInner === 2 ? 1 : 2) + (combined ? 1 : 0);
  const kvHeads = fixed(first.name, headAxis);
  const headDim = fixed(first.name, shape.length - 1);
  const vocab = fixed(logits.name, -1);
  const op = attentionOpHeads(model);
  let heads = op?.heads ?? NaN;
  let headsFrom: GenerativeModel['headsFrom'] = op ? 'attribute' : 'unknown';
  if (!op) {
    heads = headsFromScores(model, inferred());
    if (Number.isFinite(heads)) headsFrom = 'scores';
  }
  const bytes = bitsPerElement(first.elemType) / 8;
  const isCross = crossPast.length || hidden || encoderMask;
  const cross: CrossAttention | undefined = isCross ? {
    past: crossPast, encoderHiddenStates: hidden?.name, encoderAttentionMask: encoderMask?.name,
    // Read like the self cache: the heads axis and the head size of the first layer's key.
    bytesPerEncoderToken: crossFirst ? 2 * crossPast.length * fixed(crossFirst.name, headAxis) * fixed(crossFirst.name, shape.length - 1) * (bitsPerElement(crossFirst.elemType) / 8) : 0,
  } : undefined;
  return {
    ...base, heads, kvHeads: op?.kvHeads ?? kvHeads, headDim, vocab, headsFrom,
    kvCacheBytesPerToken: 2 * past.length * kvHeads * headDim * bytes, ...(cross && { cross }),
  };
}

/** Cheap, by names only: does the model take a KV cache (a past per layer, or an attention op with a past)? */
export function takesKvCache(model: ModelInfo): boolean {
  return model.graph.inputs.some((i) => kvPart(i.name, PAST)) || !!attentionOpHeads(model);
}

/**
 * Why a model looks like a decoder exported without a KV cache, or undefined: it returns `present`
 * tensors but takes no `past`, or it maps token ids to per-position logits through a causal mask
 * (a Trilu, or a constant named like GPT-2's `attn.bias` / a causal mask) and has no cache inputs.
 */
export function decoderWithoutCache(model: ModelInfo): string | undefined {
  const g = model.graph;
  const inits = new Set(g.initializers.map((t) => t.name));
  const inputs = g.inputs.filter((i) => !inits.has(i.name));
  if (takesKvCache(model)) return undefined;
  const ids = tokenInput(inputs);
  if (!ids) return undefined;
  const present = g.outputs.filter((o) => kvPart(o.name, PRESENT));
  if (present.length) return `it returns the KV cache (${present[0].name}${present.length > 1 ? `, … ${present.length} tensors` : ''}) but takes no past_key_values inputs`;
  const logits = g.outputs.find((o) => /logits/i.test(o.name) && o.shape?.length === 3);
  if (!logits) return undefined;
  const trilu = g.nodes.find((n) => n.opType === 'Trilu');
  if (trilu) return `it computes ${logits.name} for every position under a causal mask (${trilu.opType}${trilu.name ? ` '${trilu.name}'` : ''}) and takes no past_key_values inputs`;
  const named = [...g.initializers.map((t) => t.name), ...g.nodes.filter((n) => n.opType === 'Constant').map((n) => n.outputs[0] ?? '')]
    .find((n) => /attn\.(masked_)?bias$|causal/i.test(n));
  if (named) return `it computes ${logits.name} for every position under a causal mask ('${named}') and takes no past_key_values inputs`;
  return undefined;
}
