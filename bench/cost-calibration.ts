/**
 * Calibrates the roofline estimate's CPU efficiency against onnxruntime-node on this machine:
 * every model in the shared corpus is timed (p50/p95 after warm-up), its ideal time at this
 * machine's peak is computed from MACs and bytes, and the efficiency factor and per-node overhead
 * that best explain the measurements are fitted. Prints the estimate-vs-measured table.
 *
 *   node scripts/run-ts.mjs bench/cost-calibration.ts [--runs N]
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

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(process.cwd(), '..', 'shared', 'models');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;

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

async function main(): Promise<void> {
  const refs = (JSON.parse(fs.readFileSync(path.join(MODELS, 'reference.json'), 'utf8')) as { models: Record<string, Ref> }).models;
  const m = machine();
  console.log(`machine: ${m.cpu.model}, ${m.cpu.physicalCores} cores × ${m.cpu.flopsPerCycleFp32} FLOPs/cycle × ${m.cpu.clockGHz.toFixed(3)} GHz = ${m.cpu.peakFp32Gflops.toFixed(1)} GFLOPS fp32 peak; memory copy ${m.cpu.memBandwidthGBs.toFixed(1)} GB/s (measured)`);
  const rows: Array<{ name: string; macs: number; bytes: number; nodes: number; p50: number; p95: number; idealMs: number }> = [];
  for (const [name, ref] of Object.entries(refs)) {
    const file = path.join(MODELS, ref.file);
    const model = readModelFile(file);
    const feeds = feedsFor(ref);
    const cost = modelCost(model, symbolicDims(model, feeds));
    const work = workFigures(summarize(model), cost);
    const macs = work.macs ?? 0;
    const t = await time(file, feeds);
    const ideal = rooflineLatencyMs({ ...work, macs }, m, { efficiency: { compute: 1, memory: 1, overheadMsPerNode: 0 } }).latencyMs;
    rows.push({ name, macs, bytes: work.weightBytes + (work.activationBytes ?? 0), nodes: work.nodes ?? 0, p50: t.p50, p95: t.p95, idealMs: ideal });
  }
  // Fit: measured ≈ max(compute / ce, memory / me) + nodes × c, minimising squared log error over a grid.
  // The memory factor may exceed 1: small models and activations live in caches faster than DRAM.
  const parts = rows.map((r) => {
    const one = rooflineLatencyMs({ macs: r.macs, weightBytes: r.bytes, nodes: r.nodes }, m, { efficiency: { compute: 1, memory: 1, overheadMsPerNode: 0 } });
    return { ...r, computeMs: one.computeMs, memoryMs: one.memoryMs };
  });
  let best = { eff: 1, mem: 1, c: 0, err: Infinity };
  for (let eff = 0.02; eff <= 1.0001; eff += 0.01) {
    for (let mem = 0.1; mem <= 4.0001; mem += 0.1) {
      for (let c = 0; c <= 0.1; c += 0.001) {
        let err = 0;
        for (const r of parts) err += Math.log((Math.max(r.computeMs / eff, r.memoryMs / mem) + r.nodes * c) / r.p50) ** 2;
        if (err < best.err) best = { eff, mem, c, err };
      }
    }
  }
  console.log(`fitted: compute efficiency ${best.eff.toFixed(2)}, memory efficiency ${best.mem.toFixed(1)}, overhead ${(best.c * 1000).toFixed(1)} µs/node (shipped: ${CPU_EFFICIENCY.compute}, ${CPU_EFFICIENCY.memory}, ${(CPU_EFFICIENCY.overheadMsPerNode * 1000).toFixed(1)} µs/node); p95/p50 shipped ${P95_OVER_P50}`);
  console.log('');
  console.log('| model | MACs | bytes | nodes | ideal ms | est. p50 ms (shipped factors) | measured p50 ms | measured p95 ms | est./measured |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ratios: number[] = [], tails: number[] = [];
  for (const r of rows) {
    const est = rooflineLatencyMs({ macs: r.macs, weightBytes: r.bytes, nodes: r.nodes }, m).latencyMs;
    ratios.push(est / r.p50);
    tails.push(r.p95 / r.p50);
    console.log(`| ${r.name} | ${(r.macs / 1e6).toFixed(1)}M | ${(r.bytes / 1e6).toFixed(1)}MB | ${r.nodes} | ${r.idealMs.toFixed(3)} | ${est.toFixed(3)} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${(est / r.p50).toFixed(2)}× |`);
  }
  const gm = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
  tails.sort((a, b) => a - b);
  console.log(`\ngeometric mean est./measured: ${gm.toFixed(2)}×; median measured p95/p50: ${tails[Math.floor(tails.length / 2)].toFixed(2)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
