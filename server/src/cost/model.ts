/**
 * The cost model, pure: performance (measured, or a roofline estimate before any run) and an
 * instance's price in, $ per 1,000 inferences, $ per month, instances needed, energy and a
 * recommendation out. Every formula is written once here and documented in README's cost section.
 *
 *   effective throughput = throughput × utilization        (instances are run at u, default 0.7)
 *   $ per 1k             = 1000 / effective throughput × price per hour / 3600
 *   instances needed     = ceil(requests per s / effective throughput)
 *   $ per month          = instances needed × price per hour × hours per day × 30.4375
 *   Wh per 1k (estimate) = instance watts × 1000 / effective throughput / 3600
 *   roofline latency     = max(Σ 2·MACs_p / (peak_p FLOP/s × compute eff.), bytes / (bandwidth × memory eff.))
 *                          + nodes × overhead per node
 *                          (p: the arithmetic each MAC runs in: fp32 and fp16 at their peaks, int8 at the fp32
 *                           peak × the expected int8 speed-up;
 *                           bytes: weights at their stored type, so an int8 model reads a quarter)
 */
import type { Instance, InstanceKind } from './catalog';
import type { WorkFigures } from './figures';
import type { Traffic } from './settings';
import { ComputePrecision, floatShare, MacsByPrecision } from '../onnx/precision';

export const DAYS_PER_MONTH = 365.25 / 12;

export type Basis = 'measured' | 'estimate';

export interface Performance {
  p50Ms: number;
  p95Ms: number;
  /** inferences per second one instance sustains at full load */
  inferencesPerSec: number;
  basis: Basis;
  /** how the figures were obtained, for the hover: "measured", "roofline estimate", "scaled from …" */
  note?: string;
}

export interface Efficiency {
  /** share of peak FLOP/s reached on the model's compute-bound part */
  compute: number;
  /** effective bandwidth as a multiple of the catalog's DRAM figure (> 1 where caches hold the data) */
  memory: number;
  /** fixed cost per graph node (kernel dispatch, launches, allocation), ms */
  overheadMsPerNode: number;
}

/**
 * CPU factors fitted by bench/cost-calibration.ts against onnxruntime-node 1.30 (default options) on
 * the eight shared models, on a 2-core AMD EPYC (Zen 5, AVX-512) at load average 1.1–1.6 (the
 * calibration's own two threads; nothing else running), median of three fits on 2026-12-02: compute 0.5 of
 * peak, memory 3.5× the DRAM copy bandwidth (weights and activations of these models mostly live in
 * caches), 1 µs per node. An earlier fit on the same machine shared with six builds (load 11–15) gave
 * 0.07 of peak: contention, not the model, and estimates 5× too slow on a quiet machine. See README "How
 * the estimate was calibrated". GPU and accelerator factors are assumptions, not measured here (no GPU on
 * the build machine): typical ONNX Runtime CUDA/Neuron efficiency on small batch-1 models, plus ~10 µs per
 * kernel launch.
 */
export const CPU_EFFICIENCY: Efficiency = { compute: 0.5, memory: 3.5, overheadMsPerNode: 0.001 };
export const EFFICIENCY: Record<InstanceKind, Efficiency> = {
  cpu: CPU_EFFICIENCY,
  gpu: { compute: 0.25, memory: 0.6, overheadMsPerNode: 0.01 },
  accelerator: { compute: 0.25, memory: 0.6, overheadMsPerNode: 0.01 },
};

/**
 * p95 ≈ p50 × this for an estimate. Measured median p95/p50 on the shared models, quiet machine (the
 * fit above): 1.12–1.51 over three runs, median 1.2 (dedicated servers typically see 1.1–1.3); on the
 * contended machine it was 2.2.
 */
export const P95_OVER_P50 = 1.2;

/**
 * Expected int8 speed-up (dynamic/static int8 quantization of MatMul/Conv) by instance kind: an
 * estimate from onnxruntime's published quantization results (VNNI/AMX CPUs ~2×, CPUs without int8
 * dot products ~1.2×, GPU/TensorRT and Inferentia ~1.5× at batch 1). Labelled "estimate" wherever shown.
 */
export function int8Speedup(inst: Instance): number {
  if (inst.kind !== 'cpu') return 1.5;
  return inst.cpu.int8Multiplier >= 4 ? 2 : 1.2;
}

export type Precision = ComputePrecision;

/** The peaks the model runs against: the accelerator's when there is one, else the CPU's. */
export function peaks(inst: Instance, precision: Precision = 'fp32'): { gflops: number; bandwidthGBs: number } {
  const a = inst.accelerator;
  if (a && inst.kind !== 'cpu') {
    const t = precision === 'fp32' ? a.fp32Tflops : precision === 'fp16' ? a.fp16Tflops : a.int8Tops;
    return { gflops: t * 1000 * a.count, bandwidthGBs: a.memBandwidthGBs * a.count };
  }
  const mult = precision === 'int8' ? inst.cpu.int8Multiplier : 1;
  return { gflops: inst.cpu.peakFp32Gflops * mult, bandwidthGBs: inst.cpu.memBandwidthGBs };
}

export interface Roofline {
  latencyMs: number;
  computeMs: number;
  memoryMs: number;
  overheadMs: number;
  bound: 'compute' | 'memory';
}

export function rooflineLatencyMs(
  work: Pick<WorkFigures, 'macs' | 'macsByPrecision' | 'weightBytes' | 'activationBytes' | 'nodes'>,
  inst: Instance,
  opts: { precision?: Precision; efficiency?: Efficiency } = {},
): Roofline {
  const eff = opts.efficiency ?? EFFICIENCY[inst.kind];
  const p = peaks(inst, opts.precision);
  // Without a split (or when a precision is forced) every MAC runs at one peak.
  const split: MacsByPrecision = !opts.precision && work.macsByPrecision ? work.macsByPrecision : { [opts.precision ?? 'fp32']: work.macs ?? 0 };
  let computeMs = 0;
  for (const [prec, macs] of Object.entries(split) as Array<[Precision, number]>) {
    // A quantized model's int8 MACs run at the fp32 rate × the int8 speed-up the what-if promises (×2 on
    // VNNI CPUs), not at the int8 peak: dynamic quantization of activations and requantization eat the
    // rest (measured ×1.7–2.2 on the BERT-like model here, docs/measurements.md issue 17).
    const rate = opts.precision || prec !== 'int8' ? peaks(inst, prec).gflops : peaks(inst, 'fp32').gflops * int8Speedup(inst);
    computeMs += (2 * macs) / (rate * 1e9 * eff.compute) * 1000;
  }
  const bytes = work.weightBytes + (work.activationBytes ?? 0);
  const memoryMs = bytes / (p.bandwidthGBs * 1e9 * eff.memory) * 1000;
  const overheadMs = (work.nodes ?? 0) * eff.overheadMsPerNode;
  return {
    latencyMs: Math.max(computeMs, memoryMs) + overheadMs, computeMs, memoryMs, overheadMs,
    bound: computeMs >= memoryMs ? 'compute' : 'memory',
  };
}

/** Estimated performance of one inference stream (batch 1, all cores on one request). */
export function estimatePerformance(work: WorkFigures, inst: Instance): Performance {
  const r = rooflineLatencyMs(work, inst);
  return { p50Ms: r.latencyMs, p95Ms: r.latencyMs * P95_OVER_P50, inferencesPerSec: 1000 / r.latencyMs, basis: 'estimate', note: `roofline estimate, ${r.bound}-bound` };
}

/**
 * Performance on `target` from a measurement made on `measuredOn`: the measurement scaled by the
 * ratio of the two roofline estimates (same model, so the estimate's systematic error cancels).
 */
export function scalePerformance(measured: Performance, work: WorkFigures, measuredOn: Instance, target: Instance): Performance {
  if (measuredOn.id === target.id) return measured;
  const ratio = rooflineLatencyMs(work, target).latencyMs / rooflineLatencyMs(work, measuredOn).latencyMs;
  return {
    p50Ms: measured.p50Ms * ratio, p95Ms: measured.p95Ms * ratio, inferencesPerSec: measured.inferencesPerSec / ratio,
    basis: 'estimate', note: `scaled from the measurement on ${measuredOn.id}`,
  };
}

export interface CostFigures {
  instance: string;
  pricePerHour: number;
  utilization: number;
  /** throughput × utilization */
  effectiveThroughput: number;
  per1k: number;
  perMonth: number;
  instancesNeeded: number;
  /** estimate: instance watts over the time 1,000 inferences occupy it */
  energyWhPer1k?: number;
}

export function costOf(perf: Pick<Performance, 'inferencesPerSec'>, inst: Instance, utilization: number, traffic: Traffic): CostFigures {
  if (!(perf.inferencesPerSec > 0)) throw new RangeError('throughput must be positive');
  if (!(utilization > 0 && utilization <= 1)) throw new RangeError('utilization must be in (0, 1]');
  const effective = perf.inferencesPerSec * utilization;
  const per1k = (1000 / effective) * inst.pricePerHour / 3600;
  const instancesNeeded = Math.max(1, Math.ceil(traffic.requestsPerSec / effective - 1e-9));
  const perMonth = instancesNeeded * inst.pricePerHour * traffic.hoursPerDay * DAYS_PER_MONTH;
  const energyWhPer1k = inst.power ? inst.power.watts * (1000 / effective) / 3600 : undefined;
  return { instance: inst.id, pricePerHour: inst.pricePerHour, utilization, effectiveThroughput: effective, per1k, perMonth, instancesNeeded, energyWhPer1k };
}

export interface Option {
  instance: Instance;
  perf: Performance;
  cost: CostFigures;
  meetsBudget: boolean;
}

/**
 * Every catalog instance priced for this model: the chosen one with its measurement (if any),
 * the others scaled from that measurement, or estimated when there is none.
 */
export function priceAll(
  work: WorkFigures, catalog: readonly Instance[], chosen: Instance, measured: Performance | undefined,
  utilization: number, traffic: Traffic, p95BudgetMs?: number,
): Option[] {
  const out: Option[] = [];
  for (const inst of catalog) {
    const perf = measured ? scalePerformance(measured, work, chosen, inst) : estimatePerformance(work, inst);
    if (!(perf.inferencesPerSec > 0) || !Number.isFinite(perf.inferencesPerSec)) continue;
    const cost = costOf(perf, inst, utilization, traffic);
    out.push({ instance: inst, perf, cost, meetsBudget: p95BudgetMs === undefined || perf.p95Ms <= p95BudgetMs });
  }
  return out;
}

/** The cheapest option (by $ per month at the traffic, then $ per 1k) meeting the p95 budget. */
export function cheapest(options: readonly Option[]): Option | undefined {
  let best: Option | undefined;
  for (const o of options) {
    if (!o.meetsBudget) continue;
    if (!best || o.cost.perMonth < best.cost.perMonth - 1e-9 || (Math.abs(o.cost.perMonth - best.cost.perMonth) < 1e-9 && o.cost.per1k < best.cost.per1k)) best = o;
  }
  return best;
}

export interface QuantizedChange {
  speedup: number;
  perf: Performance;
  cost: CostFigures;
  modelBytes: number;
}

/**
 * What int8 quantization would change on `inst` (estimate: a documented speed-up factor); undefined when
 * it no longer applies: most dense MACs already run in int8 (a quantized model).
 */
export function int8Change(perf: Performance, work: WorkFigures, inst: Instance, utilization: number, traffic: Traffic): QuantizedChange | undefined {
  if (floatShare(work.macsByPrecision ?? {}) < 0.5) return undefined;
  const s = int8Speedup(inst);
  return scaledChange(perf, s, `int8, ×${s} expected speed-up`, work.weightBytes - work.floatWeightBytes * 0.75, inst, utilization, traffic);
}

/**
 * What float16 would change: only where it applies, an instance whose fp16 peak is above its fp32 peak
 * (GPUs, accelerators; ONNX Runtime's CPU provider has no faster fp16 path) and a model mostly in fp32.
 * The speed-up is the ratio of the two roofline estimates: fp32 MACs moved to the fp16 peak, float32
 * weights and activations halved.
 */
export function fp16Change(perf: Performance, work: WorkFigures, inst: Instance, utilization: number, traffic: Traffic): QuantizedChange | undefined {
  const m = work.macsByPrecision ?? { fp32: work.macs ?? 0 };
  const total = (m.fp32 ?? 0) + (m.fp16 ?? 0) + (m.int8 ?? 0);
  if (!(total > 0) || (m.fp32 ?? 0) / total < 0.5 || peaks(inst, 'fp16').gflops <= peaks(inst, 'fp32').gflops) return undefined;
  const halfBytes = work.floatWeightBytes / 2;
  const half = { ...work, macsByPrecision: { ...m, fp32: 0, fp16: (m.fp16 ?? 0) + (m.fp32 ?? 0) }, weightBytes: work.weightBytes - halfBytes, activationBytes: (work.activationBytes ?? 0) / 2 };
  const s = rooflineLatencyMs(work, inst).latencyMs / rooflineLatencyMs(half, inst).latencyMs;
  const rounded = Math.round(s * 10) / 10;
  return scaledChange(perf, rounded, `fp16, ×${rounded} (roofline)`, work.weightBytes - halfBytes, inst, utilization, traffic);
}

function scaledChange(perf: Performance, s: number, note: string, modelBytes: number, inst: Instance, utilization: number, traffic: Traffic): QuantizedChange {
  const q: Performance = { p50Ms: perf.p50Ms / s, p95Ms: perf.p95Ms / s, inferencesPerSec: perf.inferencesPerSec * s, basis: 'estimate', note };
  return { speedup: s, perf: q, cost: costOf(q, inst, utilization, traffic), modelBytes };
}
