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
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import type { onnx } from 'onnx-proto';

export const TINY = { layers: 2, d: 16, heads: 2, headDim: 8, mlp: 32, vocab: 64, positions: 256 };

/** MACs of one call at `s` new tokens after `past` cached ones (batch 1), counted from the architecture. */
export function tinyMacs(s: number, past: number): number {
  const { layers, d, heads, headDim, mlp, vocab } = TINY;
  const t = past + s;
  return layers * (4 * s * d * d + 2 * s * t * heads * headDim + 2 * s * d * mlp) + s * d * vocab;
}

/** `seed`: the first weight's seed (default 11); another seed gives another model of the same architecture. */
export function tinyDecoder(opts: { withCache?: boolean; seed?: number } = {}): Buffer {
  const withCache = opts.withCache ?? true;
  const { layers, d, heads, headDim, mlp, vocab, positions } = TINY;
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  let seed = opts.seed ?? 11;
  const w = (name: string, dims: number[], scale: number): string => {
    inits.push(floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), seed++, scale)));
    return name;
  };
  inits.push(int64Tensor('heads_shape', [4], [0, 0, heads, headDim]), int64Tensor('model_shape', [3], [0, 0, d]),
    int64Tensor('ax0', [1], [0]), int64Tensor('ax12', [2], [1, 2]), floatTensor('scale', [], [1 / Math.sqrt(headDim)]),
    floatTensor('neg', [], [-1e4]));
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
  nodes.push(node('Cast', ['attention_mask'], ['am_b'], { to: DataType.BOOL }));
  nodes.push(node('Unsqueeze', ['am_b', 'ax12'], ['am4']));
  nodes.push(node('And', ['causal', 'am4'], ['allowed']));
  let h = 'h0';
  for (let i = 0; i < layers; i++) {
    const p = (s: string) => `l${i}_${s}`;
    const heads4 = (x: string, name: string): string => {
      nodes.push(node('MatMul', [x, w(p(`w${name}`), [d, heads * headDim], 0.3)], [p(`${name}_flat`)]));
      nodes.push(node('Reshape', [p(`${name}_flat`), 'heads_shape'], [p(`${name}_bshd`)]));
      nodes.push(node('Transpose', [p(`${name}_bshd`)], [p(`${name}_new`)], { perm: [0, 2, 1, 3] }));
      return p(`${name}_new`);
    };
    const q = heads4(h, 'q');
    let k = heads4(h, 'k');
    let v = heads4(h, 'v');
    if (withCache) {
      nodes.push(node('Concat', [`past_key_values.${i}.key`, k], [`present.${i}.key`], { axis: 2 }));
      nodes.push(node('Concat', [`past_key_values.${i}.value`, v], [`present.${i}.value`], { axis: 2 }));
      k = `present.${i}.key`;
      v = `present.${i}.value`;
    }
    nodes.push(node('Transpose', [k], [p('kt')], { perm: [0, 1, 3, 2] }));
    nodes.push(node('MatMul', [q, p('kt')], [p('scores_raw')]));
    nodes.push(node('Mul', [p('scores_raw'), 'scale'], [p('scores')]));
    nodes.push(node('Where', ['allowed', p('scores'), 'neg'], [p('masked')]));
    nodes.push(node('Softmax', [p('masked')], [p('probs')], { axis: -1 }));
    nodes.push(node('MatMul', [p('probs'), v], [p('ctx')]));
    nodes.push(node('Transpose', [p('ctx')], [p('ctx_bshd')], { perm: [0, 2, 1, 3] }));
    nodes.push(node('Reshape', [p('ctx_bshd'), 'model_shape'], [p('ctx_flat')]));
    nodes.push(node('MatMul', [p('ctx_flat'), w(p('wo'), [d, d], 0.3)], [p('attn')]));
    nodes.push(node('Add', [h, p('attn')], [p('h1')]));
    nodes.push(node('MatMul', [p('h1'), w(p('w1'), [d, mlp], 0.3)], [p('up')]));
    nodes.push(node('Relu', [p('up')], [p('act')]));
    nodes.push(node('MatMul', [p('act'), w(p('w2'), [mlp, d], 0.3)], [p('down')]));
    nodes.push(node('Add', [p('h1'), p('down')], [p('out')]));
    h = p('out');
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
  return encodeModel(model({ nodes, initializers: inits, inputs, outputs, name: withCache ? 'tiny_decoder' : 'tiny_decoder_no_cache', opset: 17 }));
}
