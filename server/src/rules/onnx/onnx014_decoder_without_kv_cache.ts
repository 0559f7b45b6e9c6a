import type { Finding, ModelContext, ModelRule } from '../types';
import { decoderWithoutCache } from '../../onnx/generative';
import { modelFinding } from './graph';

function check(ctx: ModelContext): Finding[] {
  const why = decoderWithoutCache(ctx.model);
  // A first-step decoder_model.onnx returns the cache for the with-past (or merged) decoder beside it.
  if (!why || ctx.cachedSibling) return [];
  const seq2seq = ctx.model.graph.inputs.some((i) => i.name === 'encoder_hidden_states');
  return [modelFinding(DECODER_WITHOUT_KV_CACHE.id,
    `This decoder was exported without a KV cache: ${why}. Generating with it recomputes the whole prefix for every ` +
    'new token, so the work per token grows with the length and a generation costs the square of it. Export it with ' +
    `the cache (optimum-cli export onnx --task ${seq2seq ? 'text2text-generation-with-past: a decoder_with_past_model.onnx beside this one' : 'text-generation-with-past'}, ` +
    'or use_cache=True) and feed present back as past.',
    { kind: 'graph' })];
}

export const DECODER_WITHOUT_KV_CACHE: ModelRule = {
  id: 'ONNX014',
  name: 'decoder-without-kv-cache',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A decoder language model exported without KV-cache inputs: every generated token recomputes the whole prefix.',
    whatItDoes:
      'Flags a model that maps token ids to logits and either returns `present.*` cache tensors without taking `past_key_values.*` ' +
      'inputs, or computes logits for every position under a causal mask (a `Trilu`, or a constant named like GPT-2\'s ' +
      '`attn.bias`) with no cache inputs at all. Models with `past` inputs, or with GroupQueryAttention/MultiHeadAttention ' +
      'taking a past, are not flagged; neither are encoders (no causal mask), nor a first-step `decoder_model.onnx` ' +
      '(encoder-decoder or decoder-only export) when a `decoder_with_past_model.onnx` or `decoder_model_merged.onnx` of the same export sits beside it.',
    whyItCosts:
      'Without a cache, step t of a generation runs the model over all t tokens again: n new tokens cost about n²/2 ' +
      'token-passes instead of n, and each step is compute-bound at the full length. With the cache a decode step ' +
      'processes one token and reads the cached keys and values, which is what makes time per token flat and small.',
    example: 'inputs: input_ids [batch, seq], attention_mask [batch, seq]   outputs: logits [batch, seq, vocab]   (Trilu causal mask)',
    useInstead:
      'optimum-cli export onnx --model <id> --task text-generation-with-past out/\n' +
      '# then feed present.{i}.key|value back as past_key_values.{i}.key|value and only the new token as input_ids',
  },
  check,
};
