/**
 * The greedy decode loop the worker times (`bench --generate`): one prefill call over the prompt with
 * an empty cache, then one call per new token, each fed the previous step's argmax, an attention mask
 * over past + new tokens, position ids when the model takes them, and every `present` tensor back as
 * its `past`. The runtime is handed in (the worker owns onnxruntime-node), so the pure parts (prompts,
 * masks, argmax) are testable alone and the loop costs what the bare runtime loop costs plus an argmax.
 */
import type * as Ort from 'onnxruntime-node';
import type { GenerativeModel } from '../onnx/generative';
import { DEFAULT_GENERATION, GenerationSettings } from '../onnx/generation';
import type { InputSignature } from './inputs';
import { rng } from './inputs';
import { nowMs } from './measure';
import { halfToFloat } from '../quantize/tensorData';

type OrtModule = typeof Ort;

/** What `bench --generate` asks for (BenchOptions.generate). */
export interface GenerateOptions {
  /** synthesised prompt length (seeded ids below the vocabulary); ignored when promptIds is set */
  promptTokens?: number;
  /** the prompt, fed to every sequence of the batch */
  promptIds?: number[];
  /** decode steps after the prefill: newTokens + 1 ids are generated, the first by the prefill */
  newTokens: number;
}

export const DEFAULT_PROMPT_TOKENS = 128;

/**
 * A generation asked for with some options left out (an editor command, CLI flags) completed from the
 * `generation` settings: prompt and output tokens. Throws on a value that is not a count or an id list.
 */
export function completeGenerate(g: Partial<GenerateOptions>, s: GenerationSettings): GenerateOptions {
  const count = (v: unknown, name: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`generate.${name} must be an integer ≥ 1, got ${JSON.stringify(v)}`);
    return v;
  };
  const ids = g.promptIds;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.length || ids.some((x) => !Number.isInteger(x) || x < 0))) throw new Error('generate.promptIds must be a non-empty list of token ids (integers ≥ 0)');
  return {
    promptTokens: count(g.promptTokens, 'promptTokens') ?? s.promptTokens,
    ...(ids && { promptIds: ids }),
    newTokens: count(g.newTokens, 'newTokens') ?? s.outputTokens ?? DEFAULT_GENERATION.outputTokens,
  };
}

/** One prompt per sequence: the given ids for all, or seeded ids in [1, vocab) (0 is often padding). */
export function promptRows(o: GenerateOptions, batch: number, vocab: number, seed: number): number[][] {
  if (o.promptIds?.length) return Array.from({ length: batch }, () => [...o.promptIds!]);
  const n = o.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const top = Number.isFinite(vocab) && vocab > 1 ? vocab : 1000;
  return Array.from({ length: batch }, (_, row) => {
    const r = rng(seed * 7919 + row);
    return Array.from({ length: n }, () => 1 + Math.floor(r() * (top - 1)));
  });
}

/** Per sequence, the argmax over the vocabulary at the last position of logits `[batch, seq, vocab]` (or `[batch, vocab]`). */
export function argmaxLast(data: ArrayLike<number>, dims: readonly number[], half = false): number[] {
  const batch = dims[0];
  const vocab = dims[dims.length - 1];
  const seq = dims.length === 3 ? dims[1] : 1;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const base = (b * seq + seq - 1) * vocab;
    out.push(half ? argmaxHalf(data, base, vocab) : argmax(data, base, vocab));
  }
  return out;
}

/** Per sequence, a float32 copy of the last position's logits (`[batch, seq, vocab]` or `[batch, vocab]`). */
export function lastRows(data: ArrayLike<number>, dims: readonly number[], half = false): Float32Array[] {
  const vocab = dims[dims.length - 1];
  const seq = dims.length === 3 ? dims[1] : 1;
  return Array.from({ length: dims[0] }, (_, b) => {
    const base = (b * seq + seq - 1) * vocab;
    const row = new Float32Array(vocab);
    for (let v = 0; v < vocab; v++) row[v] = half ? halfToFloat(data[base + v]) : data[base + v];
    return row;
  });
}

/** Two monomorphic loops: the per-step argmax is on the decode path, so no per-element branch. */
function argmax(data: ArrayLike<number>, base: number, n: number): number {
  let best = 0, bestV = -Infinity;
  for (let v = 0; v < n; v++) if (data[base + v] > bestV) { bestV = data[base + v]; best = v; }
  return best;
}

function argmaxHalf(data: ArrayLike<number>, base: number, n: number): number {
  let best = 0, bestV = -Infinity;
  for (let v = 0; v < n; v++) {
    const x = halfToFloat(data[base + v]);
    if (x > bestV) { bestV = x; best = v; }
  }
  return best;
}

export interface Generation {
  ttftMs: number;
  /** one per decode step */
  stepMs: number[];
  /** per sequence: the generated ids, the first from the prefill */
  ids: number[][];
  /** bytes of the `present` tensors after the last step */
  kvCacheBytes: number;
  /** with `keepLogits`: per call (prefill first), per sequence, the last position's logits as float32 */
  logits?: Float32Array[][];
}

/** Inputs the loop knows how to feed; anything else is an error that names it. */
function checkSignature(g: GenerativeModel, sig: InputSignature[]): void {
  const known = new Set([g.inputIds, g.attentionMask, g.positionIds, g.useCacheBranch, ...g.past.flatMap((p) => [p.key, p.value])].filter(Boolean));
  const unknown = sig.filter((s) => !known.has(s.name)).map((s) => s.name);
  if (unknown.length) throw new Error(`the decode loop does not know how to feed input${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (it feeds input ids, attention mask, position ids, use_cache_branch and past_key_values)`);
}

const bytesOf = (t: Ort.Tensor): number => (t.data as ArrayBufferView).byteLength;

export class DecodeLoop {
  private readonly types = new Map<string, string>();
  private readonly shapes = new Map<string, InputSignature['shape']>();

  constructor(private readonly ort: OrtModule, private readonly session: Ort.InferenceSession, private readonly g: GenerativeModel, sig: InputSignature[]) {
    checkSignature(g, sig);
    for (const s of sig) { this.types.set(s.name, s.type); this.shapes.set(s.name, s.shape); }
  }

  private ints(name: string, values: number[], dims: number[]): Ort.Tensor {
    const data = this.types.get(name) === 'int32' ? Int32Array.from(values) : BigInt64Array.from(values, (v) => BigInt(v));
    return new this.ort.Tensor(this.types.get(name) === 'int32' ? 'int32' : 'int64', data, dims);
  }

  /** An empty cache tensor for `batch` sequences: the past axis 0, heads and head size from the signature or the model. */
  private emptyPast(name: string, batch: number): Ort.Tensor {
    const shape = this.shapes.get(name) ?? [];
    const combined = this.g.past[0].key === this.g.past[0].value;
    const dims = shape.map((d, i) => {
      if (i === this.g.pastAxis) return 0;
      if (typeof d === 'number') return d;
      if (i === (combined ? 1 : 0)) return batch;
      return i === shape.length - 1 ? this.g.headDim : this.g.kvHeads;
    });
    const type = this.types.get(name) ?? 'float32';
    const data = type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    return new this.ort.Tensor(type as 'float32', data as Float32Array, dims);
  }

  private feeds(tokens: number[][], past: number, cache: Record<string, Ort.Tensor>): Record<string, Ort.Tensor> {
    const batch = tokens.length, s = tokens[0].length, total = past + s;
    const f: Record<string, Ort.Tensor> = { [this.g.inputIds]: this.ints(this.g.inputIds, tokens.flat(), [batch, s]), ...cache };
    if (this.g.attentionMask) f[this.g.attentionMask] = this.ints(this.g.attentionMask, new Array<number>(batch * total).fill(1), [batch, total]);
    if (this.g.positionIds) {
      const pos = Array.from({ length: batch * s }, (_, i) => past + (i % s));
      f[this.g.positionIds] = this.ints(this.g.positionIds, pos, [batch, s]);
    }
    // A merged decoder: its with-cache branch once there is a cache.
    if (this.g.useCacheBranch) f[this.g.useCacheBranch] = new this.ort.Tensor('bool', Uint8Array.from([past > 0 ? 1 : 0]), [1]);
    return f;
  }

  private async step(feeds: Record<string, Ort.Tensor>, kept?: Float32Array[][]): Promise<{ next: number[]; cache: Record<string, Ort.Tensor>; kvBytes: number }> {
    const out = await this.session.run(feeds);
    const logits = out[this.g.logits];
    const half = logits.type === 'float16';
    const next = argmaxLast(logits.data as Float32Array, logits.dims, half);
    kept?.push(lastRows(logits.data as Float32Array, logits.dims, half));
    const cache: Record<string, Ort.Tensor> = {};
    let kvBytes = 0;
    this.g.past.forEach((p, i) => {
      const pr = this.g.present[i];
      cache[p.key] = out[pr.key];
      cache[p.value] = out[pr.value];
      kvBytes += bytesOf(out[pr.key]) + (pr.value !== pr.key ? bytesOf(out[pr.value]) : 0);
    });
    return { next, cache, kvBytes };
  }

  /**
   * Prefill + `steps` greedy decode steps; `onStep` after each call (the watchdog's sign of life).
   * `keepLogits` (A/B checks, not timing) copies each call's last-position logits out.
   */
  async generate(prompt: number[][], steps: number, onStep: () => void = () => undefined, keepLogits = false): Promise<Generation> {
    const batch = prompt.length;
    const empty: Record<string, Ort.Tensor> = {};
    for (const p of this.g.past) { empty[p.key] = this.emptyPast(p.key, batch); empty[p.value] = this.emptyPast(p.value, batch); }
    const ids = prompt.map(() => [] as number[]);
    const kept = keepLogits ? [] as Float32Array[][] : undefined;
    let t0 = nowMs();
    let r = await this.step(this.feeds(prompt, 0, empty), kept);
    const ttftMs = nowMs() - t0;
    onStep();
    r.next.forEach((id, b) => ids[b].push(id));
    let past = prompt[0].length;
    const stepMs: number[] = [];
    for (let k = 0; k < steps; k++) {
      t0 = nowMs();
      r = await this.step(this.feeds(r.next.map((id) => [id]), past, r.cache), kept);
      stepMs.push(nowMs() - t0);
      onStep();
      r.next.forEach((id, b) => ids[b].push(id));
      past++;
    }
    return { ttftMs, stepMs, ids, kvCacheBytes: r.kvBytes, ...(kept && { logits: kept }) };
  }
}
