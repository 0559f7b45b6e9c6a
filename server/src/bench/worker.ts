/**
 * The benchmark worker: a child process (forked by runner.ts) that owns onnxruntime-node. It creates
 * the session, feeds synthesised or loaded inputs, runs the protocol (warm-up, measured runs until a
 * minimum count and time, capped by a maximum time), optional sweeps, concurrency and a profiled
 * session, then sends the figures and exits. Bundled to dist/bench-worker.js; also runs from out/.
 *
 * onnxruntime-node's `run` is synchronous under a setImmediate, so requests in flight at once need
 * threads: with `concurrency` N the same file runs as N worker_threads, each with its own session
 * (like OpenVINO's streams), all measuring together.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import type * as Ort from 'onnxruntime-node';
import { readModelFile } from '../onnx/reader';
import { allGraphs, ModelInfo } from '../onnx/model';
import { encodeModel, floatTensor, model as buildModel, node, valueInfo } from '../onnx/builder';
import { DataType } from '../onnx/model';
import { alternativeDims, analysisDims, InputSignature, InputTensor, OrtType, readInputsFile, synthesize, vocabBounds, describe } from './inputs';
import { Measured, measure as measureLoop, nowMs, timeRun, warmup as warmupLoop } from './measure';
import { summariseTrace } from './profile';
import { latencyStats, statWarnings, throughput } from './stats';
import type { ConvertJob, FromWorker, GreedyRun, OptimizeJob, OutputsJob, TokensJob, ToWorker, WorkerFigures } from './protocol';
import { ConversionSummary, quantizeModel } from '../quantize/convert';
import type { BackendAvailability, BenchOptions, BenchProgress, EpName, GenerationResult, SweepPoint } from './types';
import { traceOf } from './types';
import { GenerativeModel, recognizeGenerative } from '../onnx/generative';
import { DecodeLoop, Generation, promptRows } from './generate';
import { optimizeModel, OptimizeSummary } from '../optimize/optimize';
import { ortEvaluator, ortSaver } from '../optimize/evaluate';
import { saveOrtOptimized } from '../optimize/ortSaved';
import { exitWithParent } from './orphanGuard';

type Ort = typeof Ort;
type Session = Ort.InferenceSession;

let ort: Ort;
function loadOrt(): Ort {
  // Loaded lazily so a broken native install is reported as an error message, not a crash at import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ort ??= require('onnxruntime-node') as Ort;
  return ort;
}

class WorkerError extends Error {
  constructor(readonly kind: 'session' | 'ep' | 'inputs' | 'run', message: string) { super(message); }
}

const send = (m: FromWorker): void => { process.send?.(m); };
/** The last message: resolved once it is written, so disconnecting cannot drop a large one (a decoder's logits and cache). */
const sendFlushed = (m: FromWorker): Promise<void> => new Promise((resolve) => {
  if (!process.send) { resolve(); return; }
  process.send(m, undefined, {}, () => resolve());
});
const rss = (): number => process.memoryUsage.rss();
let lastBeat = 0;
function beat(): void {
  const now = Date.now();
  if (now - lastBeat < 200) return;
  lastBeat = now;
  if (isMainThread) send({ type: 'beat', rss: rss() });
  else parentPort?.postMessage({ type: 'beat' });
}
/**
 * Test-only: INFERENCE_LENS_TEST_CRASH=<phase>[:<message start>] makes this child die of SIGSEGV when
 * it reports that progress, as a crash in the native runtime would (no JavaScript handler runs, so
 * nothing is cleaned up here: the parent must).
 */
function crashIfAsked(phase: BenchProgress['phase'], message: string): void {
  const want = process.env.INFERENCE_LENS_TEST_CRASH;
  if (!want) return;
  const [p, start = ''] = want.split(/:(.*)/s);
  if (p === phase && message.startsWith(start)) process.kill(process.pid, 'SIGSEGV');
}
function progress(phase: BenchProgress['phase'], message: string, percent?: number): void {
  crashIfAsked(phase, message);
  lastBeat = Date.now();
  send({ type: 'progress', progress: { phase, message, percent }, rss: rss() });
}


// ---- Session and inputs --------------------------------------------------------------------------

const EP_ORT_NAME: Record<EpName, string> = { cpu: 'cpu', webgpu: 'webgpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml' };

function sessionOptions(o: BenchOptions, extra: Partial<Ort.InferenceSession.SessionOptions> = {}): Ort.InferenceSession.SessionOptions {
  const s = o.session ?? {};
  const all: Record<string, unknown> = {
    executionProviders: [EP_ORT_NAME[o.ep]],
    graphOptimizationLevel: s.graphOptimizationLevel,
    intraOpNumThreads: s.intraOpNumThreads,
    interOpNumThreads: s.interOpNumThreads,
    executionMode: s.executionMode,
    enableCpuMemArena: s.enableCpuMemArena,
    enableMemPattern: s.enableMemPattern,
    freeDimensionOverrides: s.freeDimensionOverrides,
    ...extra,
  };
  // The binding rejects keys present with an undefined value: leave unset options out.
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  return all as Ort.InferenceSession.SessionOptions;
}

function unavailableReason(ep: EpName): string | undefined {
  if (ep === 'cpu') return undefined;
  const listed = loadOrt().listSupportedBackends().find((b) => b.name === EP_ORT_NAME[ep]);
  if (!listed) return `this onnxruntime-node build (${process.platform}-${process.arch}) has no ${ep} execution provider`;
  return undefined;
}

async function createSession(modelPath: string, opts: Ort.InferenceSession.SessionOptions, ep: EpName): Promise<{ session: Session; ms: number }> {
  const why = unavailableReason(ep);
  if (why) throw new WorkerError('ep', why);
  const t0 = nowMs();
  try {
    const session = await loadOrt().InferenceSession.create(modelPath, opts);
    return { session, ms: nowMs() - t0 };
  } catch (e) {
    const msg = (e as Error).message;
    const epFailed = ep !== 'cpu' && /provider|cuda|webgpu|dml|coreml|adapter|device/i.test(msg);
    throw new WorkerError(epFailed ? 'ep' : 'session', `${epFailed ? `${ep} execution provider failed` : 'session creation failed'}: ${msg}`);
  }
}

function signatureOf(session: Session): InputSignature[] {
  return session.inputMetadata.map((m) => {
    if (!m.isTensor) throw new WorkerError('inputs', `input '${m.name}' is not a tensor (sequence or map inputs are not supported)`);
    return { name: m.name, type: m.type as OrtType, shape: [...m.shape] };
  });
}

function readModelQuietly(modelPath: string): ModelInfo | undefined {
  try {
    return readModelFile(modelPath);
  } catch {
    return undefined; // ORT reads it fine or reports its own error; we only lose vocab bounds and node names.
  }
}

function makeInputs(sig: InputSignature[], o: BenchOptions, model: ModelInfo | undefined, batch?: number): { tensors: InputTensor[]; batch: number; warnings: string[] } {
  if (o.inputsFile) {
    try {
      const tensors = readInputsFile(o.inputsFile, sig);
      return { tensors, batch: tensors[0]?.dims[0] ?? 1, warnings: [] };
    } catch (e) {
      throw new WorkerError('inputs', `inputs file: ${(e as Error).message}`);
    }
  }
  const vocab = model ? vocabBounds(model) : {};
  // Dims nobody set take the analysis' values, so the run matches the figures the editor shows.
  const fitted = model ? analysisDims(model, o.dims ?? {}) : { dims: o.dims ?? {}, notes: [] };
  const syn = synthesize(sig, { batch: batch ?? o.batch, dims: fitted.dims, seed: o.seed, vocab });
  const names = new Set(sig.map((s) => s.name));
  const guessed = Object.entries(fitted.dims).filter(([k]) => o.dims?.[k] === undefined && !names.has(k) && !(o.batch !== undefined && k === 'batch'));
  const defaults = guessed.length && !guessed.every(([k]) => /batch|\[0\]$/i.test(k))
    ? [`dims not set, fed at the analysis' values: ${guessed.map(([k, v]) => `${k}=${v}`).join(', ')}; set them (--dims) to what production feeds`] : [];
  return { ...syn, warnings: [...fitted.notes, ...defaults, ...syn.warnings] };
}

/**
 * The first inputs failed to run: tries a bounded set of other lengths for the dims nobody set and
 * keeps the first that runs, saying which. Throws the first failure when none does.
 */
async function fallbackInputs(session: Session, sig: InputSignature[], o: BenchOptions, model: ModelInfo | undefined,
  first: { tensors: InputTensor[]; batch: number; warnings: string[] }, failure: unknown): Promise<{ tensors: InputTensor[]; batch: number; warnings: string[] }> {
  if (o.inputsFile || !model || !(failure instanceof WorkerError) || failure.kind !== 'run') throw failure;
  const used = analysisDims(model, o.dims ?? {}).dims;
  const vocab = vocabBounds(model);
  for (const dims of alternativeDims(model, o.dims ?? {}, used)) {
    const syn = synthesize(sig, { batch: o.batch, dims, seed: o.seed, vocab });
    try {
      await runOnce(session, feedsOf(syn.tensors));
    } catch {
      continue;
    }
    const changed = Object.entries(dims).filter(([k, v]) => used[k] !== v).map(([k, v]) => `${k}=${v}`).join(', ');
    const why = (failure as Error).message.split('\n')[0];
    return { ...syn, warnings: [...syn.warnings, `the first inputs (${first.tensors.map((t) => `${t.name}[${t.dims}]`).join(', ')}) failed (${why}); ran with ${changed} instead: set dims to what production feeds`] };
  }
  throw failure;
}

function feedsOf(tensors: InputTensor[]): Record<string, Ort.Tensor> {
  const T = loadOrt().Tensor;
  const feeds: Record<string, Ort.Tensor> = {};
  for (const t of tensors) feeds[t.name] = new T(t.type as 'float32', t.data as Float32Array, t.dims);
  return feeds;
}

/** One timed inference; ORT failures become run errors, and each run is a sign of life. */
async function runOnce(session: Session, feeds: Record<string, Ort.Tensor>): Promise<number> {
  try {
    return await timeRun(() => session.run(feeds));
  } catch (e) {
    throw new WorkerError('run', `inference failed: ${(e as Error).message}`);
  } finally {
    beat();
  }
}

// ---- The protocol --------------------------------------------------------------------------------

const runner = (session: Session, feeds: Record<string, Ort.Tensor>) => (): Promise<number> => runOnce(session, feeds);

function warmup(session: Session, feeds: Record<string, Ort.Tensor>, o: BenchOptions, times?: number[]): Promise<number> {
  return warmupLoop(runner(session, feeds), o.warmupRuns, o.warmupTimeS, o.maxTimeS, times);
}

function measure(session: Session, feeds: Record<string, Ort.Tensor>, minRuns: number, minTimeS: number, maxTimeS: number, onRun?: (n: number, elapsedMs: number) => void): Promise<Measured> {
  return measureLoop(runner(session, feeds), { minRuns, minTimeS, maxTimeS }, onRun);
}

/** Inference errors often come from a guessed dim: say which shapes were fed. */
async function withInputContext<T>(inputs: InputTensor[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof WorkerError && e.kind === 'run') {
      const fed = inputs.map((t) => `${t.name} ${t.type}[${t.dims.join(',')}]`).join(', ');
      throw new WorkerError('run', `${e.message}\n(inputs fed: ${fed}; set dims, e.g. --dims name=value, if a guessed size does not fit the model)`);
    }
    throw e;
  }
}

async function bench(modelPath: string, o: BenchOptions): Promise<WorkerFigures> {
  if (o.generate) return generateBench(modelPath, o);
  const warnings: string[] = [];
  progress('create', `creating the ${o.ep} session`, 2);
  const { session, ms: sessionCreateMs } = await createSession(modelPath, sessionOptions(o), o.ep);
  const model = readModelQuietly(modelPath);
  const sig = signatureOf(session);
  let inputs = makeInputs(sig, o, model);
  progress('warmup', 'warming up', 5);
  try {
    await runOnce(session, feedsOf(inputs.tensors));
  } catch (e) {
    inputs = await withInputContext(inputs.tensors, () => fallbackInputs(session, sig, o, model, inputs, e));
  }
  warnings.push(...inputs.warnings);
  const feeds = feedsOf(inputs.tensors);
  const warmupMs: number[] = [];
  const warmupRuns = await withInputContext(inputs.tensors, () => warmup(session, feeds, o, warmupMs));
  const rssAfterWarmup = rss();

  let measured: Measured;
  if (o.concurrency > 1) {
    progress('measure', `${o.concurrency} requests in flight`, 10);
    measured = await measureConcurrent(modelPath, o, inputs.tensors);
  } else {
    let lastPct = 0;
    measured = await measure(session, feeds, o.minRuns, o.minTimeS, o.maxTimeS, (n, el) => {
      // Done when both minimums are met, or at the maximum time: whichever comes first.
      const both = Math.min(n / o.minRuns, o.minTimeS > 0 ? el / (o.minTimeS * 1000) : 1);
      const pct = Math.min(1, Math.max(both, el / (o.maxTimeS * 1000 || 1)));
      const overall = 10 + Math.floor(pct * (o.sweep || o.profile ? 40 : 85));
      if (overall > lastPct + 4) { lastPct = overall; progress('measure', `${n} runs`, overall); }
    });
  }
  const rssAfterRuns = rss();
  const latencyMs = latencyStats(measured.samples);
  warnings.push(...statWarnings(latencyMs, measured.samples.length));
  if (measured.wallMs >= o.maxTimeS * 1000 && measured.samples.length < o.minRuns) {
    warnings.push(`stopped at the maximum time (${o.maxTimeS} s) after ${measured.samples.length} of ${o.minRuns} runs`);
  }

  let sweep: WorkerFigures['sweep'];
  if (o.sweep) sweep = { kind: o.sweep, points: await runSweep(modelPath, o, session, sig, model, warnings) };

  let profile: WorkerFigures['profile'];
  if (o.profile) profile = await runProfile(modelPath, o, feeds, model);

  await session.release();
  progress('done', 'done', 100);
  return {
    ortVersion: loadOrt().env.versions.node ?? loadOrt().env.versions.common ?? 'unknown',
    inputs: inputs.tensors.map(describe), batch: inputs.batch,
    runs: measured.samples.length, warmupRuns, measureMs: measured.wallMs,
    latencyMs, throughput: throughput(measured.samples.length, measured.wallMs, inputs.batch),
    sessionCreateMs, peakRssBytes: process.resourceUsage().maxRSS * 1024, rssGrowthBytes: rssAfterRuns - rssAfterWarmup,
    sweep, profile, trace: traceOf(warmupMs, measured.samples), warnings,
  };
}

async function runSweep(modelPath: string, o: BenchOptions, session: Session, sig: InputSignature[], model: ModelInfo | undefined, warnings: string[]): Promise<SweepPoint[]> {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const values = o.sweepValues ?? (o.sweep === 'batch' ? [1, 2, 4, 8, 16, 32] : threadValues(cores));
  // Each point gets a share of the time budget, with a floor so small models still get stable figures.
  const minRuns = Math.max(5, Math.ceil(o.minRuns / 2));
  const minTimeS = Math.max(0.2, o.minTimeS / 2);
  const maxTimeS = Math.max(minTimeS, o.maxTimeS / values.length);
  const points: SweepPoint[] = [];
  for (const [i, v] of values.entries()) {
    progress('sweep', `${o.sweep} ${v}`, 50 + Math.floor((i / values.length) * 35));
    try {
      if (o.sweep === 'batch') {
        if (o.inputsFile) throw new WorkerError('inputs', 'a batch sweep needs synthesised inputs (not --inputs)');
        const inp = makeInputs(sig, o, model, v);
        if (inp.batch !== v) throw new WorkerError('inputs', 'the model has no batch dimension to sweep');
        const feeds = feedsOf(inp.tensors);
        for (let w = 0; w < Math.max(2, Math.min(o.warmupRuns, 5)); w++) await runOnce(session, feeds);
        const m = await measure(session, feeds, minRuns, minTimeS, maxTimeS);
        points.push({ value: v, runs: m.samples.length, latencyMs: latencyStats(m.samples), throughput: throughput(m.samples.length, m.wallMs, v) });
      } else {
        const so = { ...o, session: { ...o.session, intraOpNumThreads: v } };
        const { session: s, ms } = await createSession(modelPath, sessionOptions(so), o.ep);
        const inp = makeInputs(sig, o, model);
        const feeds = feedsOf(inp.tensors);
        for (let w = 0; w < Math.max(2, Math.min(o.warmupRuns, 5)); w++) await runOnce(s, feeds);
        const m = await measure(s, feeds, minRuns, minTimeS, maxTimeS);
        await s.release();
        points.push({ value: v, runs: m.samples.length, latencyMs: latencyStats(m.samples), throughput: throughput(m.samples.length, m.wallMs, inp.batch), sessionCreateMs: ms });
      }
    } catch (e) {
      const msg = (e as Error).message;
      points.push({ value: v, runs: 0, latencyMs: latencyStats([NaN]), throughput: { inferencesPerSec: 0, itemsPerSec: 0 }, error: msg });
      if (/no batch dimension|needs synthesised/.test(msg)) { warnings.push(`batch sweep skipped: ${msg}`); break; }
    }
  }
  return points;
}

function threadValues(cores: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= cores; t *= 2) out.push(t);
  if (out[out.length - 1] !== cores) out.push(cores);
  return out;
}

async function runProfile(modelPath: string, o: BenchOptions, feeds: Record<string, Ort.Tensor>, model: ModelInfo | undefined): Promise<WorkerFigures['profile']> {
  progress('profile', 'profiling operators', 88);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-profile-'));
  try {
    const { session } = await createSession(modelPath, sessionOptions(o, { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') }), o.ep);
    // One warm-up run (skipped in the summary), then enough runs for stable per-node averages.
    const runs = Math.max(3, Math.min(o.minRuns, 50));
    const t0 = nowMs();
    let n = 0;
    while (n <= runs && (n < 2 || nowMs() - t0 < o.maxTimeS * 1000)) { await runOnce(session, feeds); n++; }
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new WorkerError('run', 'onnxruntime wrote no profile trace');
    progress('profile', 'reading the profile trace', 95);
    const names = new Set<string>();
    if (model) for (const g of allGraphs(model.graph)) for (const nd of g.nodes) if (nd.name) names.add(nd.name);
    return summariseTrace(fs.readFileSync(path.join(dir, file), 'utf8'), { skipRuns: 1, modelNodes: names });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Generation: prefill + greedy decode steps ---------------------------------------------------

/** Generations measured at least (each gives one TTFT and newTokens inter-token samples). */
const MIN_GENERATIONS = 3;

/** A decoder's session and its decode loop; a model that is not one, or that the loop cannot feed, is an inputs error. */
async function openDecoder(modelPath: string, o: BenchOptions): Promise<{ session: Session; sessionCreateMs: number; model: ModelInfo; g: GenerativeModel; loop: DecodeLoop }> {
  progress('create', `creating the ${o.ep} session`, 2);
  const { session, ms: sessionCreateMs } = await createSession(modelPath, sessionOptions(o), o.ep);
  const model = readModelQuietly(modelPath);
  const g = model && recognizeGenerative(model);
  if (!model || !g) throw new WorkerError('inputs', `${path.basename(modelPath)} is not a decoder with a KV cache (token ids in; logits, present.* out; past_key_values.* in): --generate needs one`);
  if (g.cross) throw new WorkerError('inputs', `${path.basename(modelPath)} is the decoder of an encoder-decoder pair (it reads ${g.cross.encoderHiddenStates ?? g.cross.past[0]?.key ?? g.cross.encoderAttentionMask}): --generate times decoder-only models; its figures are in analyze`);
  try {
    return { session, sessionCreateMs, model, g, loop: new DecodeLoop(loadOrt(), session, g, signatureOf(session)) };
  } catch (e) {
    throw new WorkerError('inputs', (e as Error).message);
  }
}

function checkPrompt(prompt: number[], vocab: number): void {
  const bad = prompt.find((id) => !Number.isInteger(id) || id < 0 || (Number.isFinite(vocab) && id >= vocab));
  if (bad !== undefined) throw new WorkerError('inputs', `prompt id ${bad} is outside the vocabulary [0, ${vocab})`);
  if (!prompt.length) throw new WorkerError('inputs', 'the prompt is empty');
}

async function generateBench(modelPath: string, o: BenchOptions): Promise<WorkerFigures> {
  const gen = o.generate!;
  const { session, sessionCreateMs, model, g, loop } = await openDecoder(modelPath, o);
  const batch = o.batch ?? 1;
  const prompt = promptRows(gen, batch, g.vocab, o.seed);
  checkPrompt(prompt[0], g.vocab);
  const once = async (): Promise<Generation> => {
    try {
      return await loop.generate(prompt, gen.newTokens, beat);
    } catch (e) {
      throw new WorkerError('run', `generation failed: ${(e as Error).message}`);
    }
  };
  progress('warmup', 'warming up (one generation)', 5);
  const first = await once();
  const rssAfterWarmup = rss();
  const gens: Generation[] = [];
  const t0 = nowMs();
  const elapsed = (): number => nowMs() - t0;
  while (!gens.length || ((gens.length < MIN_GENERATIONS || elapsed() < o.minTimeS * 1000) && elapsed() < o.maxTimeS * 1000)) {
    gens.push(await once());
    progress('measure', `${gens.length} generations`, 10 + Math.min(85, Math.floor((elapsed() / (Math.max(o.minTimeS, 0.001) * 1000)) * 85)));
  }
  const wallMs = elapsed();
  const warnings: string[] = [];
  if (gens.some((x) => x.ids[0].join() !== first.ids[0].join())) warnings.push('greedy generations differed between runs: the model or the runtime is not deterministic');
  const steps = gens.flatMap((x) => x.stepMs);
  const ttft = latencyStats(gens.map((x) => x.ttftMs));
  const inter = latencyStats(steps.length ? steps : [NaN]);
  const decodeS = steps.reduce((a, b) => a + b, 0) / 1000;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const generation: GenerationResult = {
    promptTokens: prompt[0].length, newTokens: gen.newTokens, batch,
    ttftMs: { p50: ttft.p50, p95: ttft.p95 }, interTokenMs: { p50: inter.p50, p95: inter.p95, p99: inter.p99 },
    tokensPerSec: decodeS > 0 ? (steps.length * batch) / decodeS : 0, kvCacheBytes: first.kvCacheBytes, peakRssBytes,
    generatedIds: first.ids[0], generations: gens.length,
  };
  if (steps.length) warnings.push(...statWarnings(inter, steps.length));
  await session.release();
  if (o.profile) generation.profile = await profileGeneration(modelPath, o, g, prompt, model);
  progress('done', 'done', 100);
  const ids = g.inputIds;
  return {
    ortVersion: loadOrt().env.versions.node ?? loadOrt().env.versions.common ?? 'unknown',
    inputs: [{ name: ids, type: 'int64', dims: [batch, prompt[0].length], fill: gen.promptIds?.length ? 'given ids' : 'tokens' }],
    batch, runs: steps.length, warmupRuns: 1 + gen.newTokens, measureMs: wallMs,
    latencyMs: inter, throughput: throughput(steps.length, decodeS * 1000, batch),
    sessionCreateMs, peakRssBytes, rssGrowthBytes: rss() - rssAfterWarmup, generation, warnings,
  };
}

/** A decoder's A/B half: each prompt generated greedily on its own (batch 1, as served), ids and logits kept. */
async function greedyTokens(job: TokensJob): Promise<GreedyRun[]> {
  const { session, g, loop } = await openDecoder(job.modelPath, job.options);
  const runs: GreedyRun[] = [];
  for (const [i, prompt] of job.prompts.entries()) {
    checkPrompt(prompt, g.vocab);
    progress('measure', `prompt ${i + 1} of ${job.prompts.length}`, 5 + Math.floor((i / job.prompts.length) * 90));
    let r: Generation;
    try {
      r = await loop.generate([prompt], job.newTokens, beat, true);
    } catch (e) {
      throw new WorkerError('run', `generation failed: ${(e as Error).message}`);
    }
    runs.push({ ids: r.ids[0], logits: r.logits!.map((call) => call[0]) });
  }
  await session.release();
  return runs;
}

/** Hot ops of each phase: a profiled session runs one warm-up generation and two more; calls are split by their index in a generation. */
async function profileGeneration(modelPath: string, o: BenchOptions, g: GenerativeModel, prompt: number[][], model: ModelInfo): Promise<NonNullable<GenerationResult['profile']>> {
  progress('profile', 'profiling prefill and decode', 90);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-profile-'));
  try {
    const { session } = await createSession(modelPath, sessionOptions(o, { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') }), o.ep);
    const loop = new DecodeLoop(loadOrt(), session, g, signatureOf(session));
    for (let i = 0; i < 3; i++) await loop.generate(prompt, o.generate!.newTokens, beat);
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new WorkerError('run', 'onnxruntime wrote no profile trace');
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const names = new Set<string>();
    for (const gr of allGraphs(model.graph)) for (const nd of gr.nodes) if (nd.name) names.add(nd.name);
    const calls = o.generate!.newTokens + 1;
    return {
      prefill: summariseTrace(text, { skipRuns: calls, modelNodes: names, select: (i) => i % calls === 0 }),
      decode: summariseTrace(text, { skipRuns: calls, modelNodes: names, select: (i) => i % calls !== 0 }),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Concurrency: N threads, one session each ---------------------------------------------------

interface ThreadJob { modelPath: string; options: BenchOptions; tensors: InputTensor[] }
type ThreadMsg = { type: 'beat' } | { type: 'ready' } | { type: 'done'; m: Measured } | { type: 'error'; kind: WorkerError['kind']; message: string };

async function measureConcurrent(modelPath: string, o: BenchOptions, tensors: InputTensor[]): Promise<Measured> {
  const job: ThreadJob = { modelPath, options: { ...o, minRuns: Math.ceil(o.minRuns / o.concurrency) }, tensors };
  const threads = Array.from({ length: o.concurrency }, () => new Worker(__filename, { workerData: job }));
  let ready = 0;
  const results = await new Promise<Measured[]>((resolve, reject) => {
    const done: Measured[] = [];
    for (const t of threads) {
      t.on('message', (m: ThreadMsg) => {
        if (m.type === 'beat') beat();
        else if (m.type === 'ready') { if (++ready === threads.length) for (const x of threads) x.postMessage('go'); }
        else if (m.type === 'done') { done.push(m.m); if (done.length === threads.length) resolve(done); }
        else reject(new WorkerError(m.kind, m.message));
      });
      t.on('error', (e) => reject(new WorkerError('run', `concurrency thread failed: ${e.message}`)));
    }
  });
  await Promise.all(threads.map((t) => t.terminate()));
  // hrtime is process-wide, so the threads' clocks agree: wall = first start to last end.
  const start = Math.min(...results.map((r) => r.startMs));
  const end = Math.max(...results.map((r) => r.endMs));
  return { samples: results.flatMap((r) => r.samples), wallMs: end - start, startMs: start, endMs: end };
}

async function threadMain(job: ThreadJob): Promise<void> {
  const o = job.options;
  try {
    const { session } = await createSession(job.modelPath, sessionOptions(o), o.ep);
    const feeds = feedsOf(job.tensors);
    await warmup(session, feeds, { ...o, warmupTimeS: 0 });
    const go = new Promise<void>((r) => parentPort!.once('message', () => r()));
    parentPort!.postMessage({ type: 'ready' });
    await go;
    const m = await measure(session, feeds, o.minRuns, o.minTimeS, o.maxTimeS);
    parentPort!.postMessage({ type: 'done', m });
  } catch (e) {
    parentPort!.postMessage({ type: 'error', kind: e instanceof WorkerError ? e.kind : 'run', message: (e as Error).message });
  }
}

// ---- Outputs for A/B checks ---------------------------------------------------------------------

async function outputs(job: OutputsJob): Promise<{ inputs: InputTensor[]; outputs: InputTensor[]; ms: number }> {
  const o = job.options;
  progress('create', `creating the ${o.ep} session`, 5);
  const { session } = await createSession(job.modelPath, sessionOptions(o), o.ep);
  const inputs = job.inputs ?? makeInputs(signatureOf(session), o, readModelQuietly(job.modelPath)).tensors;
  progress('measure', 'running', 50);
  const t0 = nowMs();
  let result: Record<string, Ort.Tensor>;
  try {
    result = await session.run(feedsOf(inputs)) as Record<string, Ort.Tensor>;
  } catch (e) {
    throw new WorkerError('run', `inference failed: ${(e as Error).message}`);
  }
  const ms = nowMs() - t0;
  const outs = Object.entries(result).map(([name, t]) => ({ name, type: t.type as OrtType, dims: [...t.dims], data: t.data as InputTensor['data'], fill: 'output' }));
  await session.release();
  return { inputs, outputs: outs, ms };
}

// ---- Backend probe -------------------------------------------------------------------------------

/** A one-node model (Add) to prove an execution provider can really create a session and run. */
function probeModel(): Buffer {
  return encodeModel(buildModel({
    nodes: [node('Add', ['x', 'one'], ['y'])],
    initializers: [floatTensor('one', [1], [1])],
    inputs: [valueInfo('x', DataType.FLOAT, [1])],
    outputs: [valueInfo('y', DataType.FLOAT, [1])],
  }));
}

/** ORT's errors start with a source path and an assertion; keep the sentence a person can act on. */
function shortReason(msg: string): string {
  const first = msg.split('\n')[0];
  return first.replace(/^\S+\.(cc|cpp|h):\d+\s.*?\bwas false\.\s*/, '').trim() || first;
}

async function probe(eps: EpName[]): Promise<BackendAvailability[]> {
  const bytes = probeModel();
  const out: BackendAvailability[] = [];
  for (const ep of eps) {
    let why: string | undefined;
    try {
      why = unavailableReason(ep);
    } catch (e) {
      why = `onnxruntime-node failed to load: ${(e as Error).message}`;
    }
    if (why) { out.push({ ep, available: false, reason: why }); continue; }
    try {
      const s = await loadOrt().InferenceSession.create(bytes, { executionProviders: [EP_ORT_NAME[ep]] });
      await s.run({ x: new (loadOrt().Tensor)('float32', Float32Array.from([1]), [1]) });
      await s.release();
      out.push({ ep, available: true });
    } catch (e) {
      out.push({ ep, available: false, reason: `probe session failed: ${shortReason((e as Error).message)}` });
    }
  }
  return out;
}

// ---- Conversions ---------------------------------------------------------------------------------

/** quantize / fp16 in this process, so the server only orchestrates; a beat each second while it yields. */
async function convert(job: ConvertJob): Promise<ConversionSummary> {
  const life = setInterval(() => send({ type: 'beat', rss: rss() }), 1000);
  try {
    return await quantizeModel(job.input, {
      ...job.options,
      onProgress: (message) => progress('convert', message),
    });
  } finally {
    clearInterval(life);
  }
}

/** Graph clean-ups and fusions in this process; constant folding evaluates with the runtime loaded here. */
async function optimize(job: OptimizeJob): Promise<OptimizeSummary> {
  const life = setInterval(() => send({ type: 'beat', rss: rss() }), 1000);
  try {
    if (job.options.ort) return await saveOrtOptimized(job.input, job.options.out, ortSaver(loadOrt()));
    return await optimizeModel(job.input, {
      ...job.options, evaluate: ortEvaluator(loadOrt()),
      onProgress: (message) => progress('convert', message),
    });
  } finally {
    clearInterval(life);
  }
}

// ---- Entry ---------------------------------------------------------------------------------------

if (!isMainThread && workerData) {
  const job = workerData as ThreadJob;
  void threadMain(job);
} else if (process.send) {
  const endingNormally = exitWithParent();
  process.once('message', (raw) => {
    const msg = raw as ToWorker;
    const work = msg.type === 'probe' ? probe(msg.eps).then((backends) => sendFlushed({ type: 'probe', backends }))
      : msg.type === 'outputs' ? outputs(msg).then((r) => sendFlushed({ type: 'outputs', ...r }))
      : msg.type === 'tokens' ? greedyTokens(msg).then((runs) => sendFlushed({ type: 'tokens', runs }))
      : msg.type === 'convert' ? convert(msg).then((summary) => sendFlushed({ type: 'converted', summary }))
      : msg.type === 'optimize' ? optimize(msg).then((summary) => sendFlushed({ type: 'optimized', summary }))
        : bench(msg.modelPath, msg.options).then((figures) => sendFlushed({ type: 'result', figures }));
    work.catch((e: unknown) => {
      const kind = e instanceof WorkerError ? e.kind : 'run';
      send({ type: 'error', kind, message: (e as Error).message ?? String(e), name: (e as NodeJS.ErrnoException).code ?? (e as Error).name });
    }).finally(() => {
      // Let the IPC channel flush, then go: the parent also kills us if we linger.
      endingNormally();
      process.disconnect?.();
    });
  });
}
