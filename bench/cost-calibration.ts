/**
 * Calibrates the roofline estimate's CPU efficiency against onnxruntime-node on this machine:
 * every model in the shared corpus (at reference.json's feeds), every pretrained model the pinned npm
 * packages ship (test/helpers/npmModels.ts) and the int8 copy our quantizer writes of the BERT-like
 * model (both at the inputs `bench` synthesizes with no dims) is timed (p50/p95 after warm-up), its
 * ideal time at this machine's peak is computed from MACs and bytes, and the efficiency factor and
 * per-node overhead that best explain the measurements are fitted. Prints the estimate-vs-measured
 * table with the shipped factors, and geometric means per group. With --repeat R each model is timed
 * R times, interleaved (a load spike hits one round, not one model), and the median p50 is used.
 *
 *   node scripts/run-ts.mjs bench/cost-calibration.ts [--runs N] [--repeat R]
 *
 * Machine peak: physical cores × fp32 FLOPs/cycle (from the ISA flags in /proc/cpuinfo) × clock.
 * Baseline in the same run: a memory-copy bandwidth measurement (the roofline's memory roof).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { readModelFile } from '../server/src/onnx/reader';
import { summarize } from '../server/src/onnx/summary';
import { rooflineLatencyMs, CPU_EFFICIENCY, P95_OVER_P50 } from '../server/src/cost/model';
import { thisMachine as machine } from './lib/thisMachine';
import { workFigures } from '../server/src/cost/figures';
import { modelCost } from '../server/src/onnx/cost';
import type { ModelInfo } from '../server/src/onnx/model';
import { analysisDims, synthesizeForModel } from '../server/src/bench/inputs';
import { quantizeModel } from '../server/src/quantize/convert';
import { NPM_MODELS } from '../test/helpers/npmModels';
import * as os from 'os';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(process.cwd(), '..', 'shared', 'models');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const repeatArg = process.argv.indexOf('--repeat');
const REPEAT = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 1;

interface Ref { file: string; macs?: number; referenceDims?: number[][]; inputs?: Array<{ name: string; elem_type: string }>; feed?: Record<string, { dims: number[]; type: string; fill: string }> }

function randn(): number {
  return Math.sqrt(-2 * Math.log(Math.random() || 1e-9)) * Math.cos(2 * Math.PI * Math.random());
}

function feedsFor(ref: Ref): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const specs = ref.feed ?? Object.fromEntries((ref.inputs ?? []).map((inp, i) => [inp.name, {
    dims: ref.referenceDims![i], type: inp.elem_type === 'INT64' ? 'int64' : 'float32', fill: inp.elem_type === 'INT64' ? 'ids' : 'randn',
  }]));
  for (const [name, s] of Object.entries(specs)) {
    const size = s.dims.reduce((x, y) => x * y, 1);
    if (s.type === 'int64') {
      const v = s.fill.startsWith('value:') ? BigInt(s.fill.slice(6)) : undefined;
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from({ length: size }, () => v ?? BigInt(Math.floor(Math.random() * 1000))), s.dims);
    } else {
      feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: size }, () => (s.fill === 'zeros' ? 0 : randn())), s.dims);
    }
  }
  return feeds;
}

/** The symbolic dims of the model's inputs, valued from the concrete shapes fed to it. */
function symbolicDims(model: ModelInfo, feeds: Record<string, ort.Tensor>): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const inp of model.graph.inputs) {
    const t = feeds[inp.name];
    inp.shape?.forEach((d, i) => { if (typeof d === 'string' && t) dims[d] = t.dims[i]; });
  }
  return dims;
}

async function time(file: string, feeds: Record<string, ort.Tensor>): Promise<{ p50: number; p95: number }> {
  const session = await ort.InferenceSession.create(file);
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await session.release();
  ms.sort((a, b) => a - b);
  const q = (p: number): number => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)];
  return { p50: q(0.5), p95: q(0.95) };
}

interface Case { name: string; group: 'shared' | 'npm' | 'quantized'; file: string; feeds: Record<string, ort.Tensor>; dims: Record<string, number> }

/** A model fed as `bench` feeds it with no dims: the analysis's dims, synthesized inputs. */
function synthesizedCase(name: string, group: Case['group'], file: string): Case {
  const model = readModelFile(file);
  const { dims } = analysisDims(model);
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of synthesizeForModel(model, { dims }).tensors) feeds[t.name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
  return { name, group, file, feeds, dims };
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  if (fs.existsSync(path.join(MODELS, 'reference.json'))) {
    const refs = (JSON.parse(fs.readFileSync(path.join(MODELS, 'reference.json'), 'utf8')) as { models: Record<string, Ref> }).models;
    for (const [name, ref] of Object.entries(refs)) {
      const file = path.join(MODELS, ref.file);
      const feeds = feedsFor(ref);
      out.push({ name, group: 'shared', file, feeds, dims: symbolicDims(readModelFile(file), feeds) });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-calib-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const int8 = path.join(dir, 'bert_small_like.int8.onnx');
    await quantizeModel(path.join(MODELS, 'bert_small_like.onnx'), { method: 'int8-dynamic', out: int8 });
    out.push(synthesizedCase('bert_small_like int8 (ours)', 'quantized', int8));
  } else console.log(`(no shared models at ${MODELS}: npm models only)`);
  for (const m of NPM_MODELS) if (fs.existsSync(m.file)) out.push(synthesizedCase(m.name, 'npm', m.file));
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

async function main(): Promise<void> {
  const m = machine();
  console.log(`machine: ${m.cpu.model}, ${m.cpu.physicalCores} cores × ${m.cpu.flopsPerCycleFp32} FLOPs/cycle × ${m.cpu.clockGHz.toFixed(3)} GHz = ${m.cpu.peakFp32Gflops.toFixed(1)} GFLOPS fp32 peak (int8 ×${m.cpu.int8Multiplier}); memory copy ${m.cpu.memBandwidthGBs.toFixed(1)} GB/s (measured)`);
  console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}; ${RUNS} runs × ${REPEAT} round(s) per model`);
  const all = await cases();
  const times = new Map<string, Array<{ p50: number; p95: number }>>();
  const key = (c: Case): string => `${c.group}/${c.name}`;
  for (let r = 0; r < REPEAT; r++) for (const c of all) (times.get(key(c)) ?? times.set(key(c), []).get(key(c))!).push(await time(c.file, c.feeds));
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`);
  const rows = all.map((c) => {
    const model = readModelFile(c.file);
    const cost = modelCost(model, c.dims);
    const work = workFigures(summarize(model), cost);
    const t = times.get(key(c))!;
    const unit = { efficiency: { compute: 1, memory: 1, overheadMsPerNode: 0 } };
    // The estimate as it was before this change: every MAC at the fp32 peak, every node of the file paid.
    const flat = { ...work, macsByPrecision: undefined, nodes: summarize(model).nodes, activationBytes: cost.activationBytes };
    return {
      ...c, work, p50: median(t.map((x) => x.p50)), p95: median(t.map((x) => x.p95)), spread: Math.max(...t.map((x) => x.p50)) / Math.min(...t.map((x) => x.p50)),
      one: rooflineLatencyMs(work, m, unit), est: rooflineLatencyMs(work, m).latencyMs, estFlat: rooflineLatencyMs(flat, m).latencyMs,
    };
  });
  // Fit: measured ≈ max(compute / ce, memory / me) + nodes × c, minimising squared log error over a grid.
  // The memory factor may exceed 1: small models and activations live in caches faster than DRAM.
  let best = { eff: 1, mem: 1, c: 0, err: Infinity };
  for (let eff = 0.02; eff <= 1.0001; eff += 0.01) {
    for (let mem = 0.1; mem <= 4.0001; mem += 0.1) {
      for (let c = 0; c <= 0.1; c += 0.001) {
        let err = 0;
        for (const r of rows) err += Math.log((Math.max(r.one.computeMs / eff, r.one.memoryMs / mem) + r.work.nodes * c) / r.p50) ** 2;
        if (err < best.err) best = { eff, mem, c, err };
      }
    }
  }
  console.log(`fitted over all ${rows.length}: compute efficiency ${best.eff.toFixed(2)}, memory efficiency ${best.mem.toFixed(1)}, overhead ${(best.c * 1000).toFixed(1)} µs/node (shipped: ${CPU_EFFICIENCY.compute}, ${CPU_EFFICIENCY.memory}, ${(CPU_EFFICIENCY.overheadMsPerNode * 1000).toFixed(1)} µs/node); p95/p50 shipped ${P95_OVER_P50}`);
  console.log('');
  console.log('| model | group | MACs | int8 share | bytes | nodes | ideal ms | est. p50 ms (shipped factors) | measured p50 ms | p95 ms | p50 spread | est./measured |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const tails: number[] = [];
  for (const r of rows) {
    tails.push(r.p95 / r.p50);
    const macs = r.work.macs ?? 0;
    const int8 = macs ? (r.work.macsByPrecision?.int8 ?? 0) / macs : 0;
    const bytes = r.work.weightBytes + (r.work.activationBytes ?? 0);
    const flat = Math.abs(r.estFlat - r.est) > 1e-9 ? ` (before: ${(r.estFlat / r.p50).toFixed(2)}×)` : '';
    console.log(`| ${r.name} | ${r.group} | ${(macs / 1e6).toFixed(2)}M | ${(int8 * 100).toFixed(0)} % | ${(bytes / 1e6).toFixed(2)}MB | ${r.work.nodes} | ${r.one.latencyMs.toFixed(3)} | ${r.est.toFixed(3)} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${r.spread.toFixed(2)} | ${(r.est / r.p50).toFixed(2)}×${flat} |`);
  }
  console.log('');
  for (const g of ['shared', 'npm', 'quantized'] as const) {
    const rs = rows.filter((r) => r.group === g);
    if (rs.length) console.log(`geometric mean est./measured, ${g} (${rs.length}): ${geomean(rs.map((r) => r.est / r.p50)).toFixed(2)}×`);
  }
  tails.sort((a, b) => a - b);
  console.log(`geometric mean est./measured, all (${rows.length}): ${geomean(rows.map((r) => r.est / r.p50)).toFixed(2)}×; median measured p95/p50: ${tails[Math.floor(tails.length / 2)].toFixed(2)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
