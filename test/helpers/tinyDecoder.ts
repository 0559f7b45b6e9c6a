/**
 * A tiny decoder-only language model built with server/src/onnx/builder.ts, laid out as Hugging Face
 * Optimum exports one with a KV cache: `input_ids`, `attention_mask [batch, past + seq]`,
 * `position_ids`, `past_key_values.{i}.key|value [batch, heads, past, head_dim]` → `logits`,
 * `present.{i}.key|value`. Learned positions, multi-head attention under a causal mask AND the
 * attention mask, a ReLU MLP, untied LM head. Deterministic weights, so a clone alone tests the
 * generative analysis and the decode loop on a real model. `withCache: false` drops the cache (a
 * decoder exported without `use_cache`), its causal mask made with Trilu as torch exports `triu`.
 */
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, int64Tensor, model, ModelSpec, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import type { onnx } from 'onnx-proto';

export const TINY = { layers: 2, d: 16, heads: 2, headDim: 8, mlp: 32, vocab: 64, positions: 256 };

/** MACs of one call at `s` new tokens after `past` cached ones (batch 1), counted from the architecture. */
export function tinyMacs(s: number, past: number): number {
  const { layers, d, heads, headDim, mlp, vocab } = TINY;
  const t = past + s;
  return layers * (4 * s * d * d + 2 * s * t * heads * headDim + 2 * s * d * mlp) + s * d * vocab;
}

/**
 * The pieces of the tiny transformers (this decoder, tinySeq2Seq.ts): nodes and seeded weights in creation
 * order (the same order gives the same weights), heads projections, masked attention, the MLP.
 */
export class TinyGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inits: onnx.ITensorProto[] = [];
  constructor(private seed: number) {
    const { d, heads, headDim } = TINY;
    this.inits.push(int64Tensor('heads_shape', [4], [0, 0, heads, headDim]), int64Tensor('model_shape', [3], [0, 0, d]),
      int64Tensor('ax0', [1], [0]), int64Tensor('ax12', [2], [1, 2]), floatTensor('scale', [], [1 / Math.sqrt(headDim)]),
      floatTensor('neg', [], [-1e4]));
  }

  w(name: string, dims: number[], scale: number): string {
    this.inits.push(floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), this.seed++, scale)));
    return name;
  }

  /** Seeds of `n` weights another file of the same model creates here. */
  skipWeights(n: number): void {
    this.seed += n;
  }

  /** x [batch, seq, d] → [batch, heads, seq, head_dim] (named `out`) through weight `name`. */
  heads(x: string, name: string, out = `${name}_new`): string {
    const { d, heads, headDim } = TINY;
    this.nodes.push(node('MatMul', [x, this.w(`${name}_w`, [d, heads * headDim], 0.3)], [`${name}_flat`]));
    this.nodes.push(node('Reshape', [`${name}_flat`, 'heads_shape'], [`${name}_bshd`]));
    this.nodes.push(node('Transpose', [`${name}_bshd`], [out], { perm: [0, 2, 1, 3] }));
    return out;
  }

  /** Scaled dot-product attention where `allowed` (bool, broadcast to the scores), its output projection added to `h`. */
  attend(p: string, h: string, q: string, k: string, v: string, allowed: string): string {
    const { d } = TINY;
    this.nodes.push(node('Transpose', [k], [`${p}kt`], { perm: [0, 1, 3, 2] }));
    this.nodes.push(node('MatMul', [q, `${p}kt`], [`${p}scores_raw`]));
    this.nodes.push(node('Mul', [`${p}scores_raw`, 'scale'], [`${p}scores`]));
    this.nodes.push(node('Where', [allowed, `${p}scores`, 'neg'], [`${p}masked`]));
    this.nodes.push(node('Softmax', [`${p}masked`], [`${p}probs`], { axis: -1 }));
    this.nodes.push(node('MatMul', [`${p}probs`, v], [`${p}ctx`]));
    this.nodes.push(node('Transpose', [`${p}ctx`], [`${p}ctx_bshd`], { perm: [0, 2, 1, 3] }));
    this.nodes.push(node('Reshape', [`${p}ctx_bshd`, 'model_shape'], [`${p}ctx_flat`]));
    this.nodes.push(node('MatMul', [`${p}ctx_flat`, this.w(`${p}wo`, [d, d], 0.3)], [`${p}attn`]));
    this.nodes.push(node('Add', [h, `${p}attn`], [`${p}h1`]));
    return `${p}h1`;
  }

  /** ReLU MLP with its residual. */
  mlp(p: string, h: string, out = `${p}out`): string {
    const { d, mlp } = TINY;
    this.nodes.push(node('MatMul', [h, this.w(`${p}w1`, [d, mlp], 0.3)], [`${p}up`]));
    this.nodes.push(node('Relu', [`${p}up`], [`${p}act`]));
    this.nodes.push(node('MatMul', [`${p}act`, this.w(`${p}w2`, [mlp, d], 0.3)], [`${p}down`]));
    this.nodes.push(node('Add', [h, `${p}down`], [out]));
    return out;
  }

  /** `mask` [batch, total] (int64, 1 = attend) as bool [batch, 1, 1, total]. */
  keyMask(mask: string, out: string): string {
    this.nodes.push(node('Cast', [mask], [`${out}_b`], { to: DataType.BOOL }));
    this.nodes.push(node('Unsqueeze', [`${out}_b`, 'ax12'], [out]));
    return out;
  }
}

/** `seed`: the first weight's seed (default 11); another seed gives another model of the same architecture. */
export function tinyDecoder(opts: { withCache?: boolean; seed?: number } = {}): Buffer {
  return encodeModel(model(tinyDecoderSpec(opts)));
}

function tinyDecoderSpec(opts: { withCache?: boolean; seed?: number }): ModelSpec {
  const withCache = opts.withCache ?? true;
  const { layers, d, heads, headDim, vocab, positions } = TINY;
  const t = new TinyGraph(opts.seed ?? 11);
  const { nodes, inits } = t;
  const w = (name: string, dims: number[], scale: number): string => t.w(name, dims, scale);
  if (withCache) inits.push(int64Tensor('zero', [], [0]), int64Tensor('one', [], [1]), int64Tensor('ax1', [1], [1]));
  // Embeddings: tokens + learned positions.
  nodes.push(node('Gather', [w('wte', [vocab, d], 0.5), 'input_ids'], ['tok']));
  nodes.push(node('Gather', [w('wpe', [positions, d], 0.5), 'position_ids'], ['pos']));
  nodes.push(node('Add', ['tok', 'pos'], ['h0']));
  // Mask [batch, 1, seq, total]: key position ≤ query position, and the attention mask.
  nodes.push(node('Shape', ['input_ids'], ['seq_1'], { start: 1, end: 2 }));
  nodes.push(node('Squeeze', ['seq_1', 'ax0'], ['seq']));
  if (withCache) {
    nodes.push(node('Shape', ['past_key_values.0.key'], ['past_1'], { start: 2, end: 3 }));
    nodes.push(node('Squeeze', ['past_1', 'ax0'], ['past']));
    nodes.push(node('Add', ['past', 'seq'], ['total']));
    nodes.push(node('Range', ['zero', 'total', 'one'], ['kpos']));
    nodes.push(node('Range', ['past', 'total', 'one'], ['qpos']));
    nodes.push(node('Unsqueeze', ['qpos', 'ax1'], ['qcol']));
    nodes.push(node('LessOrEqual', ['kpos', 'qcol'], ['causal']));
  } else {
    nodes.push(node('Concat', ['seq_1', 'seq_1'], ['square'], { axis: 0 }));
    nodes.push(node('ConstantOfShape', ['square'], ['ones_sq'], { value: int64Tensor('v', [1], [1]) }));
    nodes.push(node('Trilu', ['ones_sq'], ['tril'], { upper: 0 }));
    nodes.push(node('Cast', ['tril'], ['causal'], { to: DataType.BOOL }));
  }
  t.keyMask('attention_mask', 'am4');
  nodes.push(node('And', ['causal', 'am4'], ['allowed']));
  let h = 'h0';
  for (let i = 0; i < layers; i++) {
    const q = t.heads(h, `l${i}_q`);
    let k = t.heads(h, `l${i}_k`);
    let v = t.heads(h, `l${i}_v`);
    if (withCache) {
      nodes.push(node('Concat', [`past_key_values.${i}.key`, k], [`present.${i}.key`], { axis: 2 }));
      nodes.push(node('Concat', [`past_key_values.${i}.value`, v], [`present.${i}.value`], { axis: 2 }));
      k = `present.${i}.key`;
      v = `present.${i}.value`;
    }
    h = t.mlp(`l${i}_`, t.attend(`l${i}_`, h, q, k, v, 'allowed'));
  }
  nodes.push(node('MatMul', [h, w('lm_head', [d, vocab], 0.5)], ['logits']));
  const total = withCache ? 'past_sequence_length + sequence_length' : 'sequence_length';
  const kv = (name: string, len: string) => valueInfo(name, DataType.FLOAT, ['batch_size', heads, len, headDim]);
  const inputs = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', total]),
    valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab])];
  if (withCache) {
    for (let i = 0; i < layers; i++) {
      inputs.push(kv(`past_key_values.${i}.key`, 'past_sequence_length'), kv(`past_key_values.${i}.value`, 'past_sequence_length'));
      outputs.push(kv(`present.${i}.key`, total), kv(`present.${i}.value`, total));
    }
  }
  return { nodes, initializers: inits, inputs, outputs, name: withCache ? 'tiny_decoder' : 'tiny_decoder_no_cache', opset: 17 };
}

/**
 * The same decoder as Optimum's `decoder_model_merged.onnx` lays one out: one file for prefill and decode,
 * an `If` on the `use_cache_branch` input running the with-cache graph (then) or the one without (else,
 * whose keys and values of the new tokens are the cache it returns). Both branches read the same
 * weights at the top level, so it computes what tinyDecoder() does.
 */
export function tinyMergedDecoder(): Buffer {
  const cached = tinyDecoderSpec({ withCache: true });
  const fresh = tinyDecoderSpec({ withCache: false });
  const inits = new Map([...fresh.initializers!, ...cached.initializers!].map((t) => [t.name!, t]));
  const outer = new Set([...cached.inputs.map((i) => i.name!), ...inits.keys()]);
  const branch = (spec: ModelSpec, prefix: string, outputs: string[]): onnx.IGraphProto => {
    const rename = (n: string): string => (!n || outer.has(n) ? n : `${prefix}${n}`);
    return {
      name: prefix, initializer: [], input: [],
      node: spec.nodes.map((nd) => ({ ...nd, input: nd.input!.map(rename), output: nd.output!.map(rename) })),
      output: outputs.map((o) => ({ name: rename(o), type: { tensorType: { elemType: DataType.FLOAT } } })),
    };
  };
  const names = cached.outputs.map((o) => o.name!);
  const newKv = Array.from({ length: TINY.layers }, (_, i) => [`l${i}_k_new`, `l${i}_v_new`]).flat();
  const merged = node('If', ['use_cache_branch'], names, {
    then_branch: { graph: branch(cached, 'with_past/', names) },
    else_branch: { graph: branch(fresh, 'without_past/', ['logits', ...newKv]) },
  });
  return encodeModel(model({
    ...cached, name: 'tiny_decoder_merged', nodes: [merged], initializers: [...inits.values()],
    inputs: [...cached.inputs, valueInfo('use_cache_branch', DataType.BOOL, [1])],
  }));
}
