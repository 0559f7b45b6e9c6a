/**
 * A tiny encoder-decoder (seq2seq) model built with server/src/onnx/builder.ts, exported as Hugging Face
 * Optimum lays one out: `encoder_model.onnx` (`input_ids`, `attention_mask` → `last_hidden_state`),
 * `decoder_model.onnx`, the first step (`input_ids`, `encoder_attention_mask`, `encoder_hidden_states` →
 * `logits`, `present.{i}.decoder.*` and the cross-attention cache `present.{i}.encoder.*`), and
 * `decoder_with_past_model.onnx`, every later step (the two caches in as `past_key_values.{i}.decoder|encoder.*`,
 * `present.{i}.decoder.*` out). The two decoders share their seeded weights, so they compute the same
 * function: what the first step returns, fed back, continues it. Dims as TINY (tinyDecoder.ts).
 */
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, int64Tensor, model, node, valueInfo } from '../../server/src/onnx/builder';
import { TINY, TinyGraph } from './tinyDecoder';

const ENC = 'encoder_sequence_length';

/** MACs of one decoder call at `s` new tokens after `past` cached ones, attending to `enc` encoder outputs (batch 1). */
export function tinySeq2SeqDecoderMacs(s: number, past: number, enc: number, firstStep = false): number {
  const { layers, d, heads, headDim, mlp, vocab } = TINY;
  const self = 4 * s * d * d + 2 * s * (past + s) * heads * headDim;
  const cross = 2 * s * d * d + 2 * s * enc * heads * headDim + (firstStep ? 2 * enc * d * d : 0);
  return layers * (self + cross + 2 * s * d * mlp) + s * d * vocab;
}

export function tinyEncoder(): Buffer {
  const t = new TinyGraph(301);
  t.nodes.push(node('Gather', [t.w('enc_wte', [TINY.vocab, TINY.d], 0.5), 'input_ids'], ['e0']));
  t.keyMask('attention_mask', 'enc_allowed');
  let h = 'e0';
  for (let i = 0; i < TINY.layers; i++) {
    const p = `enc${i}_`;
    const a = t.attend(p, h, t.heads(h, `${p}q`), t.heads(h, `${p}k`), t.heads(h, `${p}v`), 'enc_allowed');
    h = t.mlp(p, a, i === TINY.layers - 1 ? 'last_hidden_state' : `${p}out`);
  }
  return encodeModel(model({
    nodes: t.nodes, initializers: t.inits, name: 'tiny_encoder', opset: 17,
    inputs: [valueInfo('input_ids', DataType.INT64, ['batch_size', ENC]), valueInfo('attention_mask', DataType.INT64, ['batch_size', ENC])],
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch_size', ENC, TINY.d])],
  }));
}

/** The decoder's first step (`withPast: false`) or its later steps with both caches (`withPast: true`). */
export function tinySeq2SeqDecoder(withPast: boolean): Buffer {
  const { layers, d, heads, headDim, vocab } = TINY;
  const t = new TinyGraph(601);
  const { nodes } = t;
  t.inits.push(int64Tensor('zero', [], [0]), int64Tensor('one', [], [1]), int64Tensor('ax1', [1], [1]));
  nodes.push(node('Gather', [t.w('dec_wte', [vocab, d], 0.5), 'input_ids'], ['d0']));
  // Causal self-attention over past + new tokens: key position ≤ query position.
  nodes.push(node('Shape', ['input_ids'], ['seq_1'], { start: 1, end: 2 }));
  nodes.push(node('Squeeze', ['seq_1', 'ax0'], ['seq']));
  const past = withPast ? 'past' : 'zero';
  if (withPast) {
    nodes.push(node('Shape', ['past_key_values.0.decoder.key'], ['past_1'], { start: 2, end: 3 }));
    nodes.push(node('Squeeze', ['past_1', 'ax0'], ['past']));
  }
  nodes.push(node('Add', [past, 'seq'], ['total']));
  nodes.push(node('Range', ['zero', 'total', 'one'], ['kpos']));
  nodes.push(node('Range', [past, 'total', 'one'], ['qpos']));
  nodes.push(node('Unsqueeze', ['qpos', 'ax1'], ['qcol']));
  nodes.push(node('LessOrEqual', ['kpos', 'qcol'], ['causal']));
  t.keyMask('encoder_attention_mask', 'cross_allowed');
  let h = 'd0';
  for (let i = 0; i < layers; i++) {
    const p = `dec${i}_`;
    const q = t.heads(h, `${p}q`);
    const [k, v] = [`present.${i}.decoder.key`, `present.${i}.decoder.value`];
    if (withPast) {
      nodes.push(node('Concat', [`past_key_values.${i}.decoder.key`, t.heads(h, `${p}k`)], [k], { axis: 2 }));
      nodes.push(node('Concat', [`past_key_values.${i}.decoder.value`, t.heads(h, `${p}v`)], [v], { axis: 2 }));
    } else {
      t.heads(h, `${p}k`, k);
      t.heads(h, `${p}v`, v);
    }
    const hs = t.attend(`${p}self_`, h, q, k, v, 'causal');
    // Cross-attention: keys and values from the encoder's output, computed once (first step) and cached.
    const qc = t.heads(hs, `${p}cq`);
    let kc = `past_key_values.${i}.encoder.key`, vc = `past_key_values.${i}.encoder.value`;
    if (!withPast) {
      kc = t.heads('encoder_hidden_states', `${p}ck`, `present.${i}.encoder.key`);
      vc = t.heads('encoder_hidden_states', `${p}cv`, `present.${i}.encoder.value`);
    } else {
      t.skipWeights(2); // the first step's cross K/V projections: the weights after them keep their seeds
    }
    h = t.mlp(p, t.attend(`${p}cross_`, hs, qc, kc, vc, 'cross_allowed'));
  }
  nodes.push(node('MatMul', [h, t.w('dec_lm_head', [d, vocab], 0.5)], ['logits']));
  const kv = (name: string, len: string) => valueInfo(name, DataType.FLOAT, ['batch_size', heads, len, headDim]);
  const total = withPast ? 'past_decoder_sequence_length + decoder_sequence_length' : 'decoder_sequence_length';
  const inputs = [valueInfo('input_ids', DataType.INT64, ['batch_size', 'decoder_sequence_length']), valueInfo('encoder_attention_mask', DataType.INT64, ['batch_size', ENC])];
  if (!withPast) inputs.push(valueInfo('encoder_hidden_states', DataType.FLOAT, ['batch_size', ENC, d]));
  const outputs = [valueInfo('logits', DataType.FLOAT, ['batch_size', 'decoder_sequence_length', vocab])];
  for (let i = 0; i < layers; i++) {
    if (withPast) {
      inputs.push(kv(`past_key_values.${i}.decoder.key`, 'past_decoder_sequence_length'), kv(`past_key_values.${i}.decoder.value`, 'past_decoder_sequence_length'),
        kv(`past_key_values.${i}.encoder.key`, ENC), kv(`past_key_values.${i}.encoder.value`, ENC));
    }
    outputs.push(kv(`present.${i}.decoder.key`, total), kv(`present.${i}.decoder.value`, total));
    if (!withPast) outputs.push(kv(`present.${i}.encoder.key`, ENC), kv(`present.${i}.encoder.value`, ENC));
  }
  return encodeModel(model({ nodes, initializers: t.inits, inputs, outputs, name: withPast ? 'tiny_decoder_with_past' : 'tiny_decoder_first_step', opset: 17 }));
}

/** The three files of the export, as Optimum names them. */
export function tinySeq2SeqFiles(): Record<string, Buffer> {
  return { 'encoder_model.onnx': tinyEncoder(), 'decoder_model.onnx': tinySeq2SeqDecoder(false), 'decoder_with_past_model.onnx': tinySeq2SeqDecoder(true) };
}
