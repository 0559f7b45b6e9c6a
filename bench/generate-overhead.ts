/**
 * `bench --generate`: what the decode loop costs, and how the roofline estimate of a decode step
 * compares with the measured inter-token latency.
 *
 * 1. The loop itself: server/src/bench/generate.ts's DecodeLoop against a bare onnxruntime-node loop
 *    doing the same steps (prefill, then feed each present back as past and the argmax as the next
 *    token), on the same session in this process, in ABBA rounds. Goal: ≤ 5 % on tokens/s. Because a
 *    shared machine's load moves tokens/s by more than that between rounds, each loop's own share of
 *    a step (the step's time outside `session.run`: feeds, argmax, bookkeeping) is measured too.
 * 2. End to end: runBenchmark({generate}) (the child process, its own session) against the bare loop here.
 * 3. Roofline per phase: the decode step's estimate (onnx/generation.ts figures on this machine's
 *    peaks, cost/model.ts's CPU efficiency) next to the measured inter-token p50, and the prefill's
 *    next to the measured TTFT.
 *
 * Run: npm run bench -- generate-overhead   (INFERENCE_LENS_MODELS overrides the models folder; GEN_ROUNDS, default 15)
 */
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { DecodeLoop } from '../server/src/bench/generate';
import { modelSignature } from '../server/src/bench/inputs';
import { table } from '../server/src/bench/report';
import { runBenchmark } from '../server/src/bench/runner';
import type { GenerationResult } from '../server/src/bench/types';
import { latencyStats } from '../server/src/bench/stats';
import { CPU_EFFICIENCY, rooflineLatencyMs } from '../server/src/cost/model';
import { recognizeGenerative, GenerativeModel } from '../server/src/onnx/generative';
import { generationFigures } from '../server/src/onnx/generation';
import { readModelFile } from '../server/src/onnx/reader';
import { thisMachine } from './lib/thisMachine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof Ort;
const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const PROMPT = Array.from({ length: 16 }, (_, i) => i + 1);
const STEPS = 32;
const ROUNDS = Number(process.env.GEN_ROUNDS ?? 15);
const median = (xs: number[]): number => latencyStats(xs).p50;

/** The bare loop: nothing but tensors, run, argmax, and present handed back as past. Returns each decode step's ms. */
async function bareGeneration(session: Ort.InferenceSession, g: GenerativeModel): Promise<{ stepMs: number[]; runMs: number; ids: number[] }> {
  const int64 = (v: number[]): Ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), [1, v.length]);
  const feeds: Record<string, Ort.Tensor> = { [g.inputIds]: int64(PROMPT) };
  for (const p of g.past) for (const n of [p.key, p.value]) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, g.kvHeads, 0, g.headDim]);
  let len = PROMPT.length;
  if (g.attentionMask) feeds[g.attentionMask] = int64(new Array<number>(len).fill(1));
  const ids: number[] = [];
  const stepMs: number[] = [];
  let runMs = 0;
  for (let step = 0; step <= STEPS; step++) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    if (step > 0) runMs += Number(process.hrtime.bigint() - t0) / 1e6;
    const logits = out[g.logits].data as Float32Array;
    const V = out[g.logits].dims[2];
    const base = logits.length - V;
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[base + v] > logits[base + best]) best = v;
    ids.push(best);
    feeds[g.inputIds] = int64([best]);
    len++;
    if (g.attentionMask) feeds[g.attentionMask] = int64(new Array<number>(len).fill(1));
    g.past.forEach((p, i) => { feeds[p.key] = out[g.present[i].key]; feeds[p.value] = out[g.present[i].value]; });
    if (step > 0) stepMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { stepMs, runMs, ids };
}

/** The session as the DecodeLoop sees it, with the time spent inside `run` summed (the loop's own share is the rest). */
function timedSession(session: Ort.InferenceSession): { session: Ort.InferenceSession; runMs: () => number; reset: () => void } {
  let ms = 0;
  const proxy = {
    run: async (feeds: Record<string, Ort.Tensor>) => {
      const t0 = process.hrtime.bigint();
      const out = await session.run(feeds);
      ms += Number(process.hrtime.bigint() - t0) / 1e6;
      return out;
    },
  } as unknown as Ort.InferenceSession;
  return { session: proxy, runMs: () => ms, reset: () => { ms = 0; } };
}

let timed: ReturnType<typeof timedSession>;

async function oursGeneration(loop: DecodeLoop): Promise<{ stepMs: number[]; runMs: number; ids: number[] }> {
  let prefill = true;
  // The first onStep follows the prefill: from there on, the timer holds the decode steps' runs only.
  const r = await loop.generate([PROMPT], STEPS, () => { if (prefill) { timed.reset(); prefill = false; } });
  return { stepMs: r.stepMs, runMs: timed.runMs(), ids: r.ids[0] };
}

/** The share of decode time spent outside session.run. */
const ownShare = (x: { stepMs: number[]; runMs: number }): number => {
  const total = x.stepMs.reduce((a, b) => a + b, 0);
  return (total - x.runMs) / total;
};

/** Decode tokens/s from the median step (a shared machine's stalls hit the mean, not the median). */
const tokPerSec = (stepMs: number[]): number => 1000 / median(stepMs);

/** Generations of the bare loop for about `seconds`: the step times, as the child's measurement gathers them. */
async function bareFor(file: string, g: GenerativeModel, seconds: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  await bareGeneration(session, g);
  const steps: number[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) steps.push(...(await bareGeneration(session, g)).stepMs);
  await session.release();
  return steps;
}

async function main(): Promise<void> {
  const files = ['decoder_gpt2_tiny.onnx', 'decoder_llama_tiny.onnx'].map((f) => path.join(MODELS, f));
  const machine = thisMachine();
  console.log(`prompt ${PROMPT.length} ids, ${STEPS} decode steps, batch 1; ${ROUNDS} rounds per model, ABBA order; tokens/s = 1000 / median step ms\n`);
  const loopRows = [['model', 'bare tok/s', 'DecodeLoop tok/s', 'median pair ratio', 'bare: outside run', 'DecodeLoop: outside run', 'same ids']];
  const e2eRows = [['model', 'bare tok/s', 'runBenchmark tok/s', 'median pair ratio']];
  const roofRows = [['model', 'phase', 'MACs', 'bytes', 'FLOP/byte', 'ideal ms', 'estimate ms', 'measured p50 ms', 'measured / estimate']];
  for (const file of files) {
    const name = path.basename(file);
    const model = readModelFile(file);
    const g = recognizeGenerative(model)!;
    const session = await ort.InferenceSession.create(file);
    timed = timedSession(session);
    const loop = new DecodeLoop(ort, timed.session, g, modelSignature(model));
    for (let i = 0; i < 3; i++) { await bareGeneration(session, g); await oursGeneration(loop); }
    const bare: number[] = [], ours: number[] = [], ratios: number[] = [], bareOwn: number[] = [], oursOwn: number[] = [];
    let same = true;
    for (let r = 0; r < ROUNDS; r++) {
      const pair = r % 2 === 0 ? [await bareGeneration(session, g), await oursGeneration(loop)] : (([o, b]) => [b, o])([await oursGeneration(loop), await bareGeneration(session, g)]);
      bareOwn.push(ownShare(pair[0]));
      oursOwn.push(ownShare(pair[1]));
      bare.push(tokPerSec(pair[0].stepMs));
      ours.push(tokPerSec(pair[1].stepMs));
      ratios.push(tokPerSec(pair[1].stepMs) / tokPerSec(pair[0].stepMs));
      same &&= pair[0].ids.join() === pair[1].ids.join();
    }
    loopRows.push([name, median(bare).toFixed(0), median(ours).toFixed(0), median(ratios).toFixed(3),
      `${(median(bareOwn) * 100).toFixed(2)} %`, `${(median(oursOwn) * 100).toFixed(2)} %`, same ? 'yes' : 'NO']);
    await session.release();
    // End to end, in pairs (bare here for 2 s, then the child for 2 s, order alternating): median of the pair ratios.
    const e2e: number[] = [], bareE2e: number[] = [], childE2e: number[] = [];
    let gen: GenerationResult | undefined;
    const child = async (): Promise<void> => {
      gen = (await runBenchmark(file, { minRuns: 1, minTimeS: 2, maxTimeS: 20, generate: { promptIds: PROMPT, newTokens: STEPS } })).generation!;
      childE2e.push(1000 / gen.interTokenMs.p50);
    };
    const bareRound = async (): Promise<void> => { bareE2e.push(tokPerSec(await bareFor(file, g, 2))); };
    for (let r = 0; r < 3; r++) {
      if (r % 2 === 0) { await bareRound(); await child(); } else { await child(); await bareRound(); }
      e2e.push(childE2e[r] / bareE2e[r]);
    }
    e2eRows.push([name, median(bareE2e).toFixed(0), median(childE2e).toFixed(0), median(e2e).toFixed(3)]);

    const f = generationFigures(model, g, { promptTokens: PROMPT.length, outputTokens: 2 * STEPS });
    const nodes = model.graph.nodes.length;
    const est = (macs: number, bytes: number, eff = CPU_EFFICIENCY) => rooflineLatencyMs({ macs, weightBytes: bytes, nodes }, machine, { efficiency: eff }).latencyMs;
    const ideal = (macs: number, bytes: number) => est(macs, bytes, { compute: 1, memory: 1, overheadMsPerNode: 0 });
    const phases: Array<[string, number, number, number]> = [
      ['prefill (TTFT)', f.prefill.macs, f.prefill.bytes, gen!.ttftMs.p50],
      [`decode @${f.decode.pastTokens}`, f.decode.macsPerToken, f.decode.bytesPerToken, gen!.interTokenMs.p50],
    ];
    for (const [phase, macs, bytes, measured] of phases) {
      roofRows.push([name, phase, `${(macs / 1e6).toFixed(1)} M`, `${(bytes / 2 ** 20).toFixed(1)} MiB`, ((2 * macs) / bytes).toFixed(2),
        ideal(macs, bytes).toFixed(3), est(macs, bytes).toFixed(3), measured.toFixed(3), (measured / est(macs, bytes)).toFixed(2)]);
    }
  }
  console.log('1. the decode loop vs a bare onnxruntime-node loop (same session, same steps)');
  console.log(table(loopRows).join('\n'));
  console.log('\n2. end to end: runBenchmark --generate (child process) vs the bare loop here');
  console.log(table(e2eRows).join('\n'));
  console.log(`\n3. roofline per phase on this machine (${machine.cpu.peakFp32Gflops.toFixed(0)} GFLOPS fp32 peak, ${machine.cpu.memBandwidthGBs.toFixed(1)} GB/s copy; ` +
    `estimate = cost/model.ts CPU efficiency: compute ${CPU_EFFICIENCY.compute}, memory ×${CPU_EFFICIENCY.memory}, ${CPU_EFFICIENCY.overheadMsPerNode * 1000} µs/node)`);
  console.log(table(roofRows).join('\n'));
  console.log('\nGoal for 1: ratio ≥ 0.95 (the loop costs at most 5 % of tokens/s). Figures move with the machine\'s load; compare within one run.');
}

void main().catch((e) => { console.error(e); process.exit(1); });
