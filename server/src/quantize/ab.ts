/**
 * A/B validation: the original and the converted model run on the same inputs, each in its own
 * child process (onnxruntime-node never loads in the server). Output agreement per output, the
 * latency of both, and a verdict against the configured goal, with the reasons behind the numbers.
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lastWords } from '../errors';
import { readModelFile } from '../onnx/reader';
import { ModelInfo } from '../onnx/model';
import { cpuFeatures } from './cpu';
import type { Config } from '../config';
import { loadSamplesDir, modelInputs, readSamplesFile, Sample, synthesizeSamples, writeSamplesFile } from './samples';
import { runBenchmark, runGreedy } from '../bench/runner';
import type { BenchResult } from '../bench/types';
import type { CalibrateResult, CalibrateTask, RunResult, RunTask, WorkerTask } from './worker';
import { GenerativeModel, recognizeGenerative } from '../onnx/generative';
import { abPrompts, compareGenerations, GenerationAgreement } from './greedyAgreement';

export interface AbThresholds {
  /** Minimum cosine similarity of every output (default 0.99). */
  minCosine: number;
  /** Minimum p50 speed-up B over A to call B faster (default 1.1). */
  minSpeedup: number;
  /** Decoders: minimum share of greedily generated ids equal to A's (default 0.9); replaces minCosine in the verdict. */
  minTokenAgreement: number;
}

export const DEFAULT_THRESHOLDS: AbThresholds = { minCosine: 0.99, minSpeedup: 1.1, minTokenAgreement: 0.9 };

/** A decoder's A/B: greedy generations from `prompts` (or seeded ones), `newTokens` steps each; decode timed at `promptTokens`. */
export interface AbGenerationOptions {
  prompts?: number[][];
  /** decode steps per prompt (default 32) */
  newTokens?: number;
  /** the timed generation's prompt length (default: the generation settings' 128) */
  promptTokens?: number;
  /** tokens a sequence may hold: seeded prompts are shortened to leave room for the new tokens */
  contextLength?: number;
}

export const AB_NEW_TOKENS = 32;

/** The A/B's thresholds from the configuration (quantize.minCosine, minSpeedup, minTokenAgreement). */
export function abThresholds(cfg: Pick<Config, 'quantize'>): AbThresholds {
  const { minCosine, minSpeedup, minTokenAgreement } = cfg.quantize;
  return { minCosine, minSpeedup, minTokenAgreement };
}

/** A decoder's A/B at the generation settings' prompt and context lengths, `newTokens` steps per prompt. */
export function abGeneration(cfg: Pick<Config, 'generation'>, newTokens?: number): AbGenerationOptions {
  return { newTokens, promptTokens: cfg.generation.promptTokens, contextLength: cfg.generation.contextLength };
}

export interface AbOptions {
  /** Folder of `.npy` samples (see samples.ts); synthetic inputs otherwise. */
  inputsDir?: string;
  samples?: Sample[];
  /** Synthetic samples to draw (default 4). */
  count?: number;
  dims?: Record<string, number>;
  /** Measure latency too (default true). */
  bench?: boolean;
  benchSeconds?: number;
  threads?: number;
  thresholds?: Partial<AbThresholds>;
  signal?: AbortSignal;
  /** Per child process (default 300 s). */
  timeoutMs?: number;
  /** What the converter did, for the explanation (method name, converted op counts). */
  context?: { method?: string; convertedOps?: Record<string, number> };
  /** Decoders with a KV cache (both models): how their greedy generations are compared and timed. */
  generation?: AbGenerationOptions;
}

export interface OutputAgreement {
  name: string;
  dims: number[];
  maxAbsError: number;
  meanAbsError: number;
  cosine: number;
  /** Classifier-shaped outputs [batch, classes]: share of rows whose top-1 (top-5) class agrees. */
  top1Agreement?: number;
  top5Agreement?: number;
  /** LM-shaped outputs [batch, seq, vocab]: share of positions with the same argmax token. */
  tokenAgreement?: number;
}

export interface Perf {
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  runs: number;
  /** Items per second (batch / p50). */
  throughput: number;
  sizeBytes: number;
  peakRssBytes: number;
  loadMs: number;
  /** decoders: timed by a greedy generation (p50/p95 are then per decode step, throughput tokens/s) */
  decode?: { ttftMsP50: number; tokensPerSec: number; promptTokens: number; newTokens: number };
}

export type Verdict = 'ship it' | 'faster but less accurate' | 'not faster on this machine: keep the original' | 'less accurate: keep the original' | 'accurate (speed not measured)';

export interface AbReport {
  a: string;
  b: string;
  inputs: 'real' | 'synthetic';
  samples: number;
  outputs: OutputAgreement[];
  minCosine: number;
  accurate: boolean;
  perfA?: Perf;
  perfB?: Perf;
  /** decoders: decode tokens/s B over A; otherwise p50 A over B */
  speedup?: number;
  /** decoders: time to first token (the prefill) A over B */
  prefillSpeedup?: number;
  /** decoders: the greedy generations compared; the verdict's accuracy is their token agreement */
  generation?: GenerationAgreement;
  sizeRatio: number;
  verdict: Verdict;
  explanation: string[];
  thresholds: AbThresholds;
}

/** Where the worker script is: beside the bundle in dist/, or beside this module when transpiled. */
export function workerScript(): string {
  const candidates = [path.join(__dirname, 'quantize-worker.js'), path.join(__dirname, 'worker.js')];
  // Bundled scripts elsewhere (bench/ via run-ts) use the repository's dist/.
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', 'quantize-worker.js'));
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`quantize worker not found (looked for ${candidates.slice(0, 3).join(', ')}…): run the build`);
  return found;
}

export function runWorker(task: RunTask, signal?: AbortSignal, timeoutMs?: number): Promise<RunResult>;
export function runWorker(task: CalibrateTask, signal?: AbortSignal, timeoutMs?: number): Promise<CalibrateResult>;
export function runWorker(task: WorkerTask, signal?: AbortSignal, timeoutMs = 300_000): Promise<RunResult | CalibrateResult> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const child = fork(workerScript(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => { child.kill('SIGKILL'); finish(() => reject(signal?.reason ?? new Error('cancelled'))); };
    signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => { child.kill('SIGKILL'); finish(() => reject(new Error(`model run timed out after ${timeoutMs / 1000} s`))); }, timeoutMs);
    child.on('message', (m: { ok: boolean; result?: RunResult | CalibrateResult; error?: string }) => {
      finish(() => (m.ok ? resolve(m.result!) : reject(new Error(`onnxruntime: ${m.error}`))));
    });
    child.on('exit', (code, sig) => finish(() => reject(new Error(`the model process died (${sig ?? `exit ${code}`})${lastWords(stderr) ? `: ${lastWords(stderr)}` : ''}`))));
    child.send(task);
  });
}

/** Samples for a model: real ones from a folder when given, synthetic otherwise. */
export function samplesFor(m: ModelInfo, o: Pick<AbOptions, 'inputsDir' | 'samples' | 'count' | 'dims'>): { samples: Sample[]; real: boolean } {
  if (o.samples) return { samples: o.samples, real: true };
  if (o.inputsDir) return { samples: loadSamplesDir(o.inputsDir, m), real: true };
  return { samples: synthesizeSamples(m, o.count ?? 4, o.dims), real: false };
}

function modelBytes(file: string, m: ModelInfo): number {
  const files = new Set([file]);
  for (const t of m.graph.initializers) if (t.location?.external) files.add(t.location.file);
  let n = 0;
  for (const f of files) n += fs.statSync(f).size;
  return n;
}

function perfOf(r: BenchResult, size: number): Perf {
  const g = r.generation;
  return {
    p50Ms: r.latencyMs.p50, p95Ms: r.latencyMs.p95, meanMs: r.latencyMs.mean, runs: r.runs,
    throughput: r.throughput.itemsPerSec, sizeBytes: size, peakRssBytes: r.peakRssBytes, loadMs: r.sessionCreateMs,
    ...(g && { decode: { ttftMsP50: g.ttftMs.p50, tokensPerSec: g.tokensPerSec, promptTokens: g.promptTokens, newTokens: g.newTokens } }),
  };
}

/** Both models decoder-only with a KV cache (what the decode loop runs): the A/B compares their generations. */
function decoders(mA: ModelInfo, mB: ModelInfo): GenerativeModel | undefined {
  const gA = recognizeGenerative(mA);
  return gA && !gA.cross && recognizeGenerative(mB) ? gA : undefined;
}

/** Greedy generations of both models from the same prompts, compared. */
async function compareDecoders(fileA: string, fileB: string, g: GenerativeModel, o: AbOptions): Promise<GenerationAgreement> {
  const newTokens = o.generation?.newTokens ?? AB_NEW_TOKENS;
  const room = o.generation?.contextLength ? o.generation.contextLength - newTokens : Infinity;
  const prompts = o.generation?.prompts ?? abPrompts(g.vocab, room);
  const opts = o.threads ? { session: { intraOpNumThreads: o.threads } } : {};
  const a = await runGreedy(fileA, prompts, newTokens, opts, { signal: o.signal });
  const b = await runGreedy(fileB, prompts, newTokens, opts, { signal: o.signal });
  return compareGenerations(prompts, a, b);
}

/** Symbolic dim name → the value the samples use, so the benchmark runs the same shapes. */
function sampleDims(m: ModelInfo, s: Sample): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const v of modelInputs(m.graph)) {
    const t = s[v.name];
    (v.shape ?? []).forEach((d, k) => { if (typeof d === 'string' && t && t.dims[k] !== undefined) dims[d] = t.dims[k]; });
  }
  return dims;
}

export async function compareModels(fileA: string, fileB: string, o: AbOptions = {}): Promise<AbReport> {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  const mA = readModelFile(fileA), mB = readModelFile(fileB);
  const { samples, real } = samplesFor(mA, o);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-ab-'));
  try {
    const samplesFile = path.join(dir, 'inputs.bin');
    writeSamplesFile(samples, samplesFile);
    // Sequential, not parallel: two models timed at once would share the cores and both look slow.
    const rA = await runWorker({ kind: 'run', model: path.resolve(fileA), samplesFile, outDir: path.join(dir, 'a'), threads: o.threads }, o.signal, o.timeoutMs);
    const rB = await runWorker({ kind: 'run', model: path.resolve(fileB), samplesFile, outDir: path.join(dir, 'b'), threads: o.threads }, o.signal, o.timeoutMs);
    for (const name of rA.outputs) if (!rB.outputs.includes(name)) throw new Error(`output '${name}' of ${path.basename(fileA)} is missing from ${path.basename(fileB)}`);
    const outputs = compareOutputs(path.join(dir, 'a'), path.join(dir, 'b'), rA.outputs, samples.length, vocabularies(mA));
    const decoder = decoders(mA, mB);
    const generation = decoder && await compareDecoders(fileA, fileB, decoder, o);
    let perfA: Perf | undefined, perfB: Perf | undefined;
    if (o.bench !== false) {
      // Timing through the benchmark runner: a decoder by a greedy generation (decode is where it pays or
      // not), anything else at the shapes of the samples (its own synthetic values).
      const opts = {
        dims: sampleDims(mA, samples[0]), warmupRuns: 3, minRuns: 10, minTimeS: o.benchSeconds ?? 3, maxTimeS: (o.benchSeconds ?? 3) * 4,
        ...(o.threads ? { session: { intraOpNumThreads: o.threads } } : {}),
        ...(decoder && { dims: {}, generate: { promptTokens: o.generation?.promptTokens, newTokens: o.generation?.newTokens ?? AB_NEW_TOKENS } }),
      };
      perfA = perfOf(await runBenchmark(path.resolve(fileA), opts, { signal: o.signal }), modelBytes(fileA, mA));
      perfB = perfOf(await runBenchmark(path.resolve(fileB), opts, { signal: o.signal }), modelBytes(fileB, mB));
    }
    const minCosine = Math.min(...outputs.map((x) => x.cosine));
    const accurate = generation ? generation.tokenAgreement >= thresholds.minTokenAgreement : minCosine >= thresholds.minCosine;
    const speedup = perfA?.decode && perfB?.decode ? perfB.decode.tokensPerSec / perfA.decode.tokensPerSec : perfA && perfB ? perfA.p50Ms / perfB.p50Ms : undefined;
    const prefillSpeedup = perfA?.decode && perfB?.decode ? perfA.decode.ttftMsP50 / perfB.decode.ttftMsP50 : undefined;
    const sizeRatio = modelBytes(fileB, mB) / modelBytes(fileA, mA);
    const verdict: Verdict = speedup === undefined ? (accurate ? 'accurate (speed not measured)' : 'less accurate: keep the original') :
      speedup >= thresholds.minSpeedup ? (accurate ? 'ship it' : 'faster but less accurate') :
      'not faster on this machine: keep the original';
    const report: AbReport = {
      a: fileA, b: fileB, inputs: real ? 'real' : 'synthetic', samples: samples.length, outputs, minCosine, accurate,
      perfA, perfB, speedup, ...(prefillSpeedup !== undefined && { prefillSpeedup }), ...(generation && { generation }), sizeRatio, verdict, explanation: [], thresholds,
    };
    report.explanation = explain(report, mA, mB, o.context);
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Embedding table sizes: an output whose last dim is one of them is LM-shaped (token logits). */
export function vocabularies(m: ModelInfo): Set<number> {
  const inits = new Map(m.graph.initializers.map((i) => [i.name, i]));
  return new Set(m.graph.nodes.filter((n) => n.opType === 'Gather').map((n) => inits.get(n.inputs[0])?.dims[0]).filter((x): x is number => !!x && x > 100));
}

/** Agreement of the outputs two worker runs wrote (sample<i>.bin in each folder). */
export function compareOutputs(dirA: string, dirB: string, names: string[], count: number, vocabs: Set<number>): OutputAgreement[] {
  return names.map((name) => {
    const acc = new Agreement(name, vocabs);
    for (let i = 0; i < count; i++) {
      const a = readSamplesFile(path.join(dirA, `sample${i}.bin`))[0][name];
      const b = readSamplesFile(path.join(dirB, `sample${i}.bin`))[0][name];
      acc.add(a.dims, floats(a.data), floats(b.data));
    }
    return acc.result();
  });
}

function floats(b: Buffer): Float32Array {
  const f = new Float32Array(b.length / 4);
  Buffer.from(f.buffer).set(b);
  return f;
}

/** Streaming agreement statistics for one output over all samples. */
class Agreement {
  private maxAbs = 0; private sumAbs = 0; private n = 0;
  private dot = 0; private na = 0; private nb = 0;
  private rows = 0; private top1 = 0; private top5 = 0; private tokens = 0; private tokenSame = 0;
  private dims: number[] = [];
  constructor(private readonly name: string, private readonly vocabs: Set<number>) {}

  add(dims: number[], a: Float32Array, b: Float32Array): void {
    this.dims = dims;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (d > this.maxAbs || Number.isNaN(d)) this.maxAbs = Number.isNaN(d) ? Infinity : d;
      this.sumAbs += d; this.dot += a[i] * b[i]; this.na += a[i] * a[i]; this.nb += b[i] * b[i];
    }
    this.n += a.length;
    const last = dims[dims.length - 1] ?? 1;
    if (dims.length === 2 && last >= 2) {
      for (let r = 0; r < dims[0]; r++) {
        const ra = a.subarray(r * last, (r + 1) * last), rb = b.subarray(r * last, (r + 1) * last);
        const ta = topK(ra, Math.min(5, last)), tb = topK(rb, Math.min(5, last));
        this.rows++;
        if (ta[0] === tb[0]) this.top1++;
        if (tb.includes(ta[0])) this.top5++;
      }
    } else if (dims.length === 3 && this.vocabs.has(last)) {
      for (let p = 0; p < a.length / last; p++) {
        this.tokens++;
        if (topK(a.subarray(p * last, (p + 1) * last), 1)[0] === topK(b.subarray(p * last, (p + 1) * last), 1)[0]) this.tokenSame++;
      }
    }
  }

  result(): OutputAgreement {
    const cos = this.na === 0 && this.nb === 0 ? 1 : this.dot / (Math.sqrt(this.na) * Math.sqrt(this.nb) || 1);
    return {
      name: this.name, dims: this.dims, maxAbsError: this.maxAbs, meanAbsError: this.n ? this.sumAbs / this.n : 0,
      cosine: Number.isFinite(cos) ? cos : 0,
      ...(this.rows ? { top1Agreement: this.top1 / this.rows, top5Agreement: this.top5 / this.rows } : {}),
      ...(this.tokens ? { tokenAgreement: this.tokenSame / this.tokens } : {}),
    };
  }
}

function topK(a: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (idx.length < k) { idx.push(i); idx.sort((x, y) => a[y] - a[x]); continue; }
    if (a[i] > a[idx[k - 1]]) { idx[k - 1] = i; idx.sort((x, y) => a[y] - a[x]); }
  }
  return idx;
}

/** Why the numbers came out as they did, in words. */
function explain(r: AbReport, mA: ModelInfo, mB: ModelInfo, ctx: AbOptions['context']): string[] {
  const out: string[] = [];
  const cpu = cpuFeatures();
  const ops = (m: ModelInfo): Record<string, number> => {
    const c: Record<string, number> = {};
    for (const n of m.graph.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
    return c;
  };
  const oa = ops(mA), ob = ops(mB);
  const convs = (oa.Conv ?? 0) + (oa.ConvTranspose ?? 0);
  const matmuls = (oa.MatMul ?? 0) + (oa.Gemm ?? 0);
  const int8Ops = (ob.DynamicQuantizeMatMul ?? 0) + (ob.MatMulInteger ?? 0) + (ob.QuantizeLinear ?? 0);
  const method = ctx?.method;
  if (r.inputs === 'synthetic') out.push(`Inputs were synthetic (${r.samples} random samples shaped from the model's signature): agreement on real data may differ; pass --inputs DIR with .npy samples.`);
  if (r.generation) out.push(...explainGeneration(r, r.generation));
  else if (!r.accurate) {
    const worst = r.outputs.reduce((a, b) => (a.cosine < b.cosine ? a : b));
    out.push(`Output '${worst.name}' agrees only to cosine ${worst.cosine.toFixed(4)} (goal ${r.thresholds.minCosine}); try per-channel scales, a smaller int4 block, or accuracy-guided mode to keep the most sensitive layers in float.`);
  }
  if (int8Ops || method?.startsWith('int8')) {
    out.push(cpu.vnni
      ? `This CPU has VNNI (${cpu.model}): int8 dot products run in one instruction, the best case for int8 on CPU.`
      : `This CPU has no VNNI (${cpu.model}): int8 products go through AVX2 multiply-add pairs (weights quantized with reduce_range to avoid saturation), so int8 gains are smaller than on VNNI machines.`);
  }
  if (method === 'int8-dynamic' && convs > matmuls) {
    out.push(`The model is conv-heavy (${convs} Conv vs ${matmuls} MatMul/Gemm): dynamic quantization converts only MatMul/Gemm weights, so most of the time stays in float convolutions. Use int8-static (QDQ with calibration) for CNNs.`);
  }
  if (method === 'int8-dynamic' && r.speedup !== undefined && r.speedup < r.thresholds.minSpeedup && convs <= matmuls) {
    out.push('Dynamic quantization quantizes every activation at run time (a pass over each MatMul input to find its range): with small matrices (small batch × sequence or narrow layers) that overhead eats the int8 gain.');
  }
  if (method === 'fp16' || ob.Cast > (oa.Cast ?? 0) + 2) {
    out.push(cpu.fp16
      ? 'This CPU has native fp16 arithmetic.'
      : 'This CPU has no native fp16 arithmetic: ONNX Runtime runs most fp16 ops by casting to float32 and back, so fp16 saves size and memory, not time, here (it pays on GPUs).');
  }
  if ((method === 'int4-weight' || ob.MatMulNBits) && r.speedup !== undefined && r.speedup < r.thresholds.minSpeedup && !r.generation) {
    out.push('int4 weight-only quantization targets memory-bound work (LLM decoding at batch 1); with larger batches or sequences the MatMuls are compute-bound and the dequantization costs time.');
  }
  if (r.perfA && r.perfB && Math.max(r.perfA.p95Ms / r.perfA.p50Ms, r.perfB.p95Ms / r.perfB.p50Ms) > 1.5) {
    out.push('Latency varied a lot between runs (p95 > 1.5× p50): the machine is busy, so treat the speed-up as approximate and re-run compare on a quiet machine.');
  }
  if (r.perfA?.decode && r.perfB?.decode) out.push(decodeSpeed(r.perfA.decode, r.perfB.decode, r));
  else if (r.speedup !== undefined && r.perfA && r.perfB) {
    out.push(`p50 ${r.perfA.p50Ms.toFixed(2)} ms → ${r.perfB.p50Ms.toFixed(2)} ms (${r.speedup.toFixed(2)}×), size ${fmtMB(r.perfA.sizeBytes)} → ${fmtMB(r.perfB.sizeBytes)} (${r.sizeRatio.toFixed(2)}×), peak memory ${fmtMB(r.perfA.peakRssBytes)} → ${fmtMB(r.perfB.peakRssBytes)}.`);
  }
  if (r.speedup !== undefined && r.speedup < r.thresholds.minSpeedup && r.sizeRatio < 0.75) {
    out.push(`It is ${(1 / r.sizeRatio).toFixed(1)}× smaller: worth it where download size or memory matters more than latency.`);
  }
  return out;
}

/** A decoder is judged on its generated tokens: how many agree, where they part, and the logits before that. */
function explainGeneration(r: AbReport, g: GenerationAgreement): string[] {
  const firsts = g.firstDivergence.map((f) => (f === null ? '-' : String(f))).join(' / ');
  const out = [`Greedy generation from ${g.prompts} prompt(s) (${g.perPrompt.map((p) => p.promptTokens).join(', ')} ids), ${g.newTokens} step(s) each: ` +
    `${pct(g.tokenAgreement)} of the generated tokens agree (goal ${pct(r.thresholds.minTokenAgreement)}); first divergence per prompt at step ${firsts} ('-': none); ` +
    `logits cosine ${g.logitsCosine.toFixed(5)} (lowest step ${g.minStepCosine.toFixed(5)}) over the steps both took on the same tokens.`];
  if (!r.accurate) {
    out.push(g.minStepCosine >= r.thresholds.minCosine
      ? `The logits agree to cosine ${g.minStepCosine.toFixed(4)} at every step and still flip tokens: near-ties in the logits decide greedy choices. Check agreement on real prompts (--prompts FILE), or keep the LM head and the most sensitive layers in float (--exclude, --goal).`
      : 'Tokens flip early: keep the most sensitive layers in float (--goal), try per-channel int8 or a smaller int4 block, or accuracy_level below 4 for int4.');
  }
  return out;
}

function decodeSpeed(a: NonNullable<Perf['decode']>, b: NonNullable<Perf['decode']>, r: AbReport): string {
  const pays = r.speedup! >= r.thresholds.minSpeedup;
  return `Decode ${a.tokensPerSec.toFixed(1)} → ${b.tokensPerSec.toFixed(1)} tokens/s (${r.speedup!.toFixed(2)}×), time to first token ${a.ttftMsP50.toFixed(2)} → ${b.ttftMsP50.toFixed(2)} ms ` +
    `(prefill ${r.prefillSpeedup!.toFixed(2)}×) at a ${a.promptTokens}-token prompt: ${pays ? 'it pays at decode, the memory-bound phase where an LLM spends its tokens' : 'no decode speed-up on this machine'}` +
    `${r.prefillSpeedup! < 1 && pays ? '; the prefill (compute-bound) is slower, so long prompts gain less' : ''}.`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function fmtMB(b: number): string { return `${(b / 2 ** 20).toFixed(1)} MB`; }
