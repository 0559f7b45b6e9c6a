/**
 * Encoder-decoder pairs by file name, pure: Hugging Face Optimum and transformers.js export a seq2seq
 * model (T5, BART, Whisper, Marian...) as files side by side: `encoder_model.onnx` (run once per request
 * over the input) and the decoder as `decoder_model.onnx` (the first step: it computes the cross-attention
 * cache from the encoder's output), `decoder_with_past_model.onnx` (every later step, fed both caches) or
 * `decoder_model_merged.onnx` (both in one file behind an If on `use_cache_branch`). transformers.js adds
 * a variant suffix (`_quantized`, `_fp16`...), the same on every file of one export.
 */

export type DecoderForm = 'first-step' | 'with-past' | 'merged';

export interface EncoderDecoderPair {
  /** which half this file is */
  role: 'encoder' | 'decoder';
  /** this file's form when it is a decoder */
  form?: DecoderForm;
  /** the encoder's file name (same folder) */
  encoder: string;
  /** the decoder files beside it, first step first */
  decoders: Array<{ file: string; form: DecoderForm }>;
}

// Longest stems first, so `decoder_model_merged` is not read as `decoder_model` + `_merged`.
const FILE = /^(decoder_model_merged|decoder_with_past_model|decoder_model|encoder_model)((?:_[A-Za-z0-9]+)*)\.onnx$/;
const FORMS: Record<string, DecoderForm> = { decoder_model: 'first-step', decoder_with_past_model: 'with-past', decoder_model_merged: 'merged' };
const ORDER: DecoderForm[] = ['first-step', 'with-past', 'merged'];

function parse(name: string): { stem: string; variant: string } | undefined {
  const m = FILE.exec(name);
  return m ? { stem: m[1], variant: m[2] } : undefined;
}

/**
 * `name`'s pair among `siblings` (the file names in its folder), or undefined when it is not one half
 * of an export that has both halves (same variant suffix).
 */
export function pairFromNames(name: string, siblings: string[]): EncoderDecoderPair | undefined {
  const me = parse(name);
  if (!me) return undefined;
  const same = siblings.map((f) => ({ file: f, p: parse(f) })).filter((x) => x.p?.variant === me.variant);
  const encoder = same.find((x) => x.p!.stem === 'encoder_model')?.file;
  const decoders = same.filter((x) => x.p!.stem !== 'encoder_model').map((x) => ({ file: x.file, form: FORMS[x.p!.stem] }))
    .sort((a, b) => ORDER.indexOf(a.form) - ORDER.indexOf(b.form));
  if (!encoder || !decoders.length) return undefined;
  return me.stem === 'encoder_model' ? { role: 'encoder', encoder, decoders } : { role: 'decoder', form: FORMS[me.stem], encoder, decoders };
}

/**
 * For a first-step `decoder_model.onnx`: the sibling of the same variant that runs the later steps with
 * the cache (`decoder_with_past_model.onnx` or `decoder_model_merged.onnx`), in an encoder-decoder
 * export or in a decoder-only one (Optimum's older causal-LM layout, no encoder).
 */
export function cachedSibling(name: string, siblings: string[]): string | undefined {
  const me = parse(name);
  if (me?.stem !== 'decoder_model') return undefined;
  return siblings.find((f) => {
    const p = parse(f);
    return p?.variant === me.variant && (p.stem === 'decoder_with_past_model' || p.stem === 'decoder_model_merged');
  });
}

/** One line for a summary or a hover. */
export function pairLine(p: EncoderDecoderPair): string {
  const forms: Record<DecoderForm, string> = { 'first-step': 'first step', 'with-past': 'later steps, with the cache', merged: 'both, merged' };
  const decoders = p.decoders.map((d) => `${d.file} (${forms[d.form]})`).join(', ');
  return p.role === 'encoder'
    ? `Encoder of an encoder-decoder pair: decoder ${decoders}`
    : `Decoder of an encoder-decoder pair (${forms[p.form!]}): encoder ${p.encoder}; decoders ${decoders}`;
}
