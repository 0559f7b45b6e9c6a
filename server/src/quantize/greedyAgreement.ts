/**
 * A decoder's A/B on what its users see, pure: the ids two models generate greedily from the same
 * prompts, and the logits they chose them from. A logits cosine of 0.999 can still flip a token, and
 * after the first flipped token the two continue from different text, so the logits are compared
 * only over the calls both made on the same tokens (up to and including the first divergence).
 */
import type { GreedyRun } from '../bench/protocol';
import { promptRows } from '../bench/generate';

export interface PromptAgreement {
  promptTokens: number;
  /** share of the generated ids (newTokens + 1) equal position by position */
  agreement: number;
  /** the first step whose id differs (0: the prefill's), null when none does */
  firstDivergence: number | null;
  /** mean cosine of one call's logits, over the calls made on the same tokens */
  logitsCosine: number;
}

export interface GenerationAgreement {
  prompts: number;
  /** decode steps per prompt (newTokens + 1 ids are compared, the first from the prefill) */
  newTokens: number;
  /** share of all generated ids equal position by position, over every prompt */
  tokenAgreement: number;
  /** per prompt, as in PromptAgreement */
  firstDivergence: Array<number | null>;
  /** mean cosine of one call's logits over every call compared (every prompt, calls on the same tokens) */
  logitsCosine: number;
  /** the lowest cosine of one call's logits */
  minStepCosine: number;
  perPrompt: PromptAgreement[];
}

/** Position-by-position agreement of two id sequences and the first position where they differ. */
export function idAgreement(a: number[], b: number[]): { same: number; firstDivergence: number | null } {
  let same = 0;
  let first: number | null = null;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) same++;
    else first ??= i;
  }
  return { same: n ? same / n : 1, firstDivergence: first };
}

/** Cosine of two logit rows (1 for two zero rows; 0 when not finite). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  if (na === 0 && nb === 0) return 1;
  const c = dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
  return Number.isFinite(c) ? c : 0;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 1);

/** B's generations against A's (the reference), prompt by prompt. */
export function compareGenerations(prompts: number[][], a: GreedyRun[], b: GreedyRun[]): GenerationAgreement {
  if (a.length !== prompts.length || b.length !== prompts.length) throw new Error(`expected ${prompts.length} generations from each model, got ${a.length} and ${b.length}`);
  const all: number[] = [];
  let same = 0, ids = 0;
  const perPrompt = prompts.map((p, i): PromptAgreement => {
    const ag = idAgreement(a[i].ids, b[i].ids);
    const last = Math.min(ag.firstDivergence ?? Infinity, a[i].logits.length - 1, b[i].logits.length - 1);
    const steps = Array.from({ length: last + 1 }, (_, k) => cosine(a[i].logits[k], b[i].logits[k]));
    all.push(...steps);
    const n = Math.max(a[i].ids.length, b[i].ids.length);
    same += ag.same * n;
    ids += n;
    return { promptTokens: p.length, agreement: ag.same, firstDivergence: ag.firstDivergence, logitsCosine: mean(steps) };
  });
  return {
    prompts: prompts.length, newTokens: Math.max(0, (a[0]?.ids.length ?? 1) - 1), tokenAgreement: ids ? same / ids : 1,
    firstDivergence: perPrompt.map((x) => x.firstDivergence), logitsCosine: mean(all), minStepCosine: all.length ? Math.min(...all) : 1, perPrompt,
  };
}

/** Prompt lengths of the A/B: short to long, so a flip that needs a long context shows too. */
export const AB_PROMPT_LENGTHS = [8, 16, 32, 64];

/** Seeded prompts of the A/B lengths (ids in [1, vocab)), each no longer than `maxTokens`. */
export function abPrompts(vocab: number, maxTokens = Infinity, lengths = AB_PROMPT_LENGTHS): number[][] {
  return lengths.map((n, i) => promptRows({ promptTokens: Math.max(1, Math.min(n, maxTokens)), newTokens: 0 }, 1, vocab, 101 + i)[0]);
}
