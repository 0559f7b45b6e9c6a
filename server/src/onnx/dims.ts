/**
 * Values for the dynamic dims of a model's inputs when nobody set them: the defaults, dims written as
 * expressions of other dims (`past_sequence_length + sequence_length`, as Hugging Face Optimum exports
 * a decoder's attention mask), and the lengths to try when a default makes a shape degenerate (an
 * audio window shorter than the model's first convolution kernel). Pure.
 */

export const DEFAULT_BATCH = 1;
export const DEFAULT_SEQUENCE = 128;
export const DEFAULT_SPATIAL = 224;
/** A KV cache's past length: 0 is the prefill every decode starts from, and the README's reference. */
export const DEFAULT_PAST = 0;

const BATCH_LIKE = /^(n|b|bs|batch|batch_?size|batches|num_?batch(es)?)$|batch/i;
const PAST_LIKE = /past|cache_?len/i;
const SEQUENCE_LIKE = /^(t|s|l)$|seq|sequence|length|len$|^len|token|time|step|frames|samples/i;

/** The value an unset symbolic dim defaults to (see shapes.ts's module comment for the rule). */
export function defaultDim(name: string | null, axis: number, rank: number): number {
  if (name && BATCH_LIKE.test(name)) return DEFAULT_BATCH;
  if (name && PAST_LIKE.test(name)) return DEFAULT_PAST;
  if (name && SEQUENCE_LIKE.test(name)) return DEFAULT_SEQUENCE;
  if (axis === 0) return DEFAULT_BATCH;
  if (rank === 4 && axis >= 2) return DEFAULT_SPATIAL;
  return 1;
}

export function isBatchLike(name: string): boolean {
  return BATCH_LIKE.test(name);
}

/**
 * A dim param that is an arithmetic expression of other dims (`a + b`, `a - 1`, `2 * a`): its terms,
 * or undefined for a plain name. Names may contain dots and slashes (`p2o.DynamicDimension.0`), not spaces.
 */
export function dimExpression(param: string): Array<string | number> | undefined {
  const tokens = param.trim().split(/\s*([+*-])\s*/).filter((t) => t !== '');
  if (tokens.length < 3 || tokens.length % 2 === 0) return undefined;
  const out: Array<string | number> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (i % 2 === 1) { if (!/^[+*-]$/.test(t)) return undefined; out.push(t); continue; }
    if (/^\d+$/.test(t)) out.push(Number(t));
    else if (/^[A-Za-z_][\w.:/]*$/.test(t)) out.push(t);
    else return undefined;
  }
  return out;
}

/** Evaluates an expression's terms left to right, `*` before `+`/`-`. */
export function evalDimExpression(terms: Array<string | number>, value: (name: string) => number): number {
  const vals: number[] = [];
  const ops: string[] = [];
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    if (i % 2 === 1) { ops.push(t as string); continue; }
    const v = typeof t === 'number' ? t : value(t);
    if (ops[ops.length - 1] === '*') { ops.pop(); vals.push(vals.pop()! * v); } else vals.push(v);
  }
  let total = vals[0];
  ops.forEach((op, i) => { total = op === '+' ? total + vals[i + 1] : total - vals[i + 1]; });
  return total;
}

/**
 * Lengths tried, smallest first, for defaulted sequence dims when the default gives some node a
 * degenerate shape: common audio windows (Silero VAD takes 512 samples at 16 kHz; v4 also 1024 and
 * 1536) up to one second at 16 kHz. Bounded, so the search costs at most this many inferences.
 */
export const FITTING_LENGTHS = [512, 1024, 1536, 4096, 16000];
