import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { BUILTIN_INSTANCES, buildCatalog, Instance, validateInstance } from '../../server/src/cost/catalog';
import {
  cheapest, costOf, DAYS_PER_MONTH, estimatePerformance, fp16Change, int8Change, priceAll, rooflineLatencyMs, scalePerformance,
} from '../../server/src/cost/model';
import { performanceFromBench } from '../../server/src/cost/measured';
import { checkBudgets, costJson, costReport, formatMs, formatUsd, lensTitle, costMarkdown } from '../../server/src/cost/report';
import type { WorkFigures } from '../../server/src/cost/figures';
import { mergeConfig, parseConfig } from '../../server/src/config';
import { resolveCostSettings } from '../../server/src/cost/settings';

/** A round-number instance so every expected figure below can be checked by hand. */
const BOX: Instance = {
  id: 'box', provider: 'test', region: 'here', kind: 'cpu', vcpus: 4, memoryGiB: 8, pricePerHour: 0.36,
  cpu: { model: 'test', physicalCores: 2, flopsPerCycleFp32: 25, clockGHz: 2, peakFp32Gflops: 100, int8Multiplier: 4, memBandwidthGBs: 10 },
  power: { watts: 36 }, source: 'test', date: '2026-11-29',
};
const WORK: WorkFigures = { macs: 1e9, params: 25e6, weightBytes: 1e8, floatWeightBytes: 1e8, nodes: 100 };

describe('cost formulas (hand-computed)', () => {
  it('$ per 1k, instances needed, $ per month and energy at a utilisation', () => {
    // effective throughput = 100/s × 0.5 = 50/s; $/1k = 1000/50 × 0.36/3600 = 20 s × $0.0001/s = $0.002
    const c = costOf({ inferencesPerSec: 100 }, BOX, 0.5, { requestsPerSec: 120, hoursPerDay: 24 });
    assert.strictEqual(c.effectiveThroughput, 50);
    assert.ok(Math.abs(c.per1k - 0.002) < 1e-12, String(c.per1k));
    // 120 req/s over 50/s per instance → 3 instances; 3 × $0.36 × 24 h × 30.4375 days = $788.94
    assert.strictEqual(c.instancesNeeded, 3);
    assert.ok(Math.abs(c.perMonth - 788.94) < 0.005, String(c.perMonth));
    assert.strictEqual(DAYS_PER_MONTH, 30.4375);
    // 36 W × 20 s per 1k / 3600 = 0.2 Wh
    assert.ok(Math.abs(c.energyWhPer1k! - 0.2) < 1e-12);
  });

  it('needs one instance at exactly its capacity, and a second just above', () => {
    assert.strictEqual(costOf({ inferencesPerSec: 100 }, BOX, 0.5, { requestsPerSec: 50, hoursPerDay: 8 }).instancesNeeded, 1);
    assert.strictEqual(costOf({ inferencesPerSec: 100 }, BOX, 0.5, { requestsPerSec: 50.5, hoursPerDay: 8 }).instancesNeeded, 2);
    // 8 h/day: 1 × 0.36 × 8 × 30.4375 = 87.66
    assert.ok(Math.abs(costOf({ inferencesPerSec: 100 }, BOX, 0.5, { requestsPerSec: 1, hoursPerDay: 8 }).perMonth - 87.66) < 1e-9);
  });

  it('rejects impossible inputs instead of printing Infinity', () => {
    assert.throws(() => costOf({ inferencesPerSec: 0 }, BOX, 0.7, { requestsPerSec: 1, hoursPerDay: 24 }), /throughput/);
    assert.throws(() => costOf({ inferencesPerSec: 10 }, BOX, 1.5, { requestsPerSec: 1, hoursPerDay: 24 }), /utilization/);
  });

  it('roofline: compute and memory roofs, per-node overhead', () => {
    // compute: 2e9 FLOP / (100 GFLOP/s × 0.5) = 40 ms; memory: 1e8 B / (10 GB/s × 1) = 10 ms; 100 nodes × 0.01 ms = 1 ms
    const r = rooflineLatencyMs(WORK, BOX, { efficiency: { compute: 0.5, memory: 1, overheadMsPerNode: 0.01 } });
    assert.ok(Math.abs(r.computeMs - 40) < 1e-9 && Math.abs(r.memoryMs - 10) < 1e-9 && Math.abs(r.overheadMs - 1) < 1e-9);
    assert.ok(Math.abs(r.latencyMs - 41) < 1e-9);
    assert.strictEqual(r.bound, 'compute');
    // int8 on a VNNI core: 4× the peak → compute 10 ms, now memory-bound at 10 ms
    const q = rooflineLatencyMs(WORK, BOX, { precision: 'int8', efficiency: { compute: 0.5, memory: 1, overheadMsPerNode: 0 } });
    assert.ok(Math.abs(q.computeMs - 10) < 1e-9);
  });

  it('accelerators use their own peaks', () => {
    const gpu: Instance = { ...BOX, id: 'gpu', kind: 'gpu', accelerator: { name: 'x', count: 2, fp32Tflops: 10, fp16Tflops: 40, int8Tops: 80, memBandwidthGBs: 500 } };
    // 2e9 FLOP / (2 × 10 TFLOP/s × 1) = 0.1 ms; 1e8 B / (1000 GB/s) = 0.1 ms
    const r = rooflineLatencyMs(WORK, gpu, { efficiency: { compute: 1, memory: 1, overheadMsPerNode: 0 } });
    assert.ok(Math.abs(r.computeMs - 0.1) < 1e-12 && Math.abs(r.memoryMs - 0.1) < 1e-12);
  });

  it('scales a measurement to another instance by the ratio of their estimates', () => {
    const fast: Instance = { ...BOX, id: 'fast', cpu: { ...BOX.cpu, peakFp32Gflops: 200, memBandwidthGBs: 20 } };
    const measured = { p50Ms: 30, p95Ms: 36, inferencesPerSec: 33, basis: 'measured' as const };
    const same = scalePerformance(measured, WORK, BOX, BOX);
    assert.strictEqual(same, measured);
    const s = scalePerformance(measured, WORK, BOX, fast);
    const ratio = rooflineLatencyMs(WORK, fast).latencyMs / rooflineLatencyMs(WORK, BOX).latencyMs;
    assert.ok(ratio < 1);
    assert.ok(Math.abs(s.p95Ms - 36 * ratio) < 1e-9);
    assert.strictEqual(s.basis, 'estimate');
  });

  it('recommends the cheapest instance meeting the p95 budget', () => {
    const slowCheap: Instance = { ...BOX, id: 'slow-cheap', pricePerHour: 0.1, cpu: { ...BOX.cpu, peakFp32Gflops: 10 } };
    const pricey: Instance = { ...BOX, id: 'pricey', pricePerHour: 3, cpu: { ...BOX.cpu, peakFp32Gflops: 1000, memBandwidthGBs: 100 } };
    const traffic = { requestsPerSec: 0.01, hoursPerDay: 24 }; // one instance of each suffices
    const all = priceAll(WORK, [BOX, slowCheap, pricey], BOX, undefined, 0.7, traffic, undefined);
    assert.strictEqual(cheapest(all)!.instance.id, 'slow-cheap'); // no budget: cheapest per month
    // at 10 req/s the slow one needs several instances: the fast, dearer one costs less per month
    const busy = priceAll(WORK, [BOX, slowCheap], BOX, undefined, 0.7, { requestsPerSec: 10, hoursPerDay: 24 }, undefined);
    assert.ok(busy.find((o) => o.instance.id === 'slow-cheap')!.cost.instancesNeeded > 1);
    assert.strictEqual(cheapest(busy)!.instance.id, 'box');
    const p95OfBox = estimatePerformance(WORK, BOX).p95Ms;
    const budgeted = priceAll(WORK, [BOX, slowCheap, pricey], BOX, undefined, 0.7, traffic, p95OfBox);
    assert.strictEqual(cheapest(budgeted)!.instance.id, 'box');
    assert.strictEqual(cheapest(priceAll(WORK, [BOX, slowCheap, pricey], BOX, undefined, 0.7, traffic, 0.001)), undefined);
  });

  it('int8 change: documented speed-up and 4× smaller float weights', () => {
    const perf = { p50Ms: 20, p95Ms: 24, inferencesPerSec: 50, basis: 'measured' as const };
    const q = int8Change(perf, WORK, BOX, 0.7, { requestsPerSec: 1, hoursPerDay: 24 })!;
    assert.strictEqual(q.speedup, 2);
    assert.strictEqual(q.perf.p95Ms, 12);
    assert.strictEqual(q.perf.basis, 'estimate');
    assert.strictEqual(q.modelBytes, 2.5e7);
  });
});

describe('quantized and half-precision models priced at their own peaks', () => {
  const traffic = { requestsPerSec: 1, hoursPerDay: 24 };
  const perf = { p50Ms: 20, p95Ms: 24, inferencesPerSec: 50, basis: 'estimate' as const };
  const eff = { compute: 1, memory: 1, overheadMsPerNode: 0 };

  it('int8 MACs run at the fp32 rate × the expected int8 speed-up (×2 on a VNNI core), fp32 MACs at the fp32 peak', () => {
    // fp32: 2e9 / 100e9 = 20 ms; int8: 2e9 / (100e9 × 2) = 10 ms; memory 0 bytes.
    const none = { macs: 1e9, weightBytes: 0, nodes: 0 };
    assert.strictEqual(rooflineLatencyMs(none, BOX, { efficiency: eff }).computeMs, 20);
    assert.strictEqual(rooflineLatencyMs({ ...none, macsByPrecision: { int8: 1e9 } }, BOX, { efficiency: eff }).computeMs, 10);
    // half int8, half fp32: 5 + 10 ms
    assert.strictEqual(rooflineLatencyMs({ ...none, macsByPrecision: { int8: 5e8, fp32: 5e8 } }, BOX, { efficiency: eff }).computeMs, 15);
    // without int8 dot products (multiplier 1): ×1.2
    const old = { ...BOX, cpu: { ...BOX.cpu, int8Multiplier: 1 } };
    assert.ok(Math.abs(rooflineLatencyMs({ ...none, macsByPrecision: { int8: 1e9 } }, old, { efficiency: eff }).computeMs - 20 / 1.2) < 1e-9);
    // a forced precision (the what-if) prices every MAC at it
    assert.strictEqual(rooflineLatencyMs({ ...none, macsByPrecision: { fp32: 1e9 } }, BOX, { efficiency: eff, precision: 'int8' }).computeMs, 5);
  });

  it('no int8 what-if on a model whose MACs are mostly int8 already', () => {
    assert.ok(int8Change(perf, { ...WORK, macsByPrecision: { fp32: 6e8, int8: 4e8 } }, BOX, 0.7, traffic));
    assert.strictEqual(int8Change(perf, { ...WORK, macsByPrecision: { fp32: 4e8, int8: 6e8 } }, BOX, 0.7, traffic), undefined);
  });

  it('an fp16 what-if only where the instance has a faster fp16 peak and the model is float32', () => {
    assert.strictEqual(fp16Change(perf, WORK, BOX, 0.7, traffic), undefined, 'a CPU: no fp16 peak above fp32');
    const gpu: Instance = { ...BOX, id: 'gpu', kind: 'gpu', accelerator: { name: 'x', count: 1, fp32Tflops: 10, fp16Tflops: 40, int8Tops: 80, memBandwidthGBs: 1000 } };
    const c = fp16Change(perf, WORK, gpu, 0.7, traffic)!;
    assert.ok(c.speedup > 1, String(c.speedup));
    assert.strictEqual(c.modelBytes, 5e7);
    assert.strictEqual(fp16Change(perf, { ...WORK, macsByPrecision: { fp16: 1e9 } }, gpu, 0.7, traffic), undefined, 'already fp16');
  });
});

describe('instance catalog', () => {
  it('has at least 15 complete instances, each with a source and the date it was read', () => {
    assert.ok(BUILTIN_INSTANCES.length >= 15, String(BUILTIN_INSTANCES.length));
    const ids = BUILTIN_INSTANCES.map((i) => i.id);
    assert.strictEqual(new Set(ids).size, ids.length, 'unique ids');
    for (const inst of BUILTIN_INSTANCES) {
      const problems: string[] = [];
      assert.ok(validateInstance(inst, problems), `${inst.id}: ${problems.join('; ')}`);
      assert.ok(inst.source.length > 20, `${inst.id} source`);
      assert.match(inst.date, /^\d{4}-\d{2}-\d{2}$/, `${inst.id} date`);
      assert.ok(inst.power && inst.power.watts > 0 && inst.power.source, `${inst.id} power figures with a source`);
      const c = inst.cpu;
      assert.ok(Math.abs(c.peakFp32Gflops - c.physicalCores * c.flopsPerCycleFp32 * c.clockGHz) < 0.1, `${inst.id}: peak = cores × FLOPs/cycle × GHz`);
      assert.ok(c.derivation && c.derivation.length > 20, `${inst.id}: peak derivation documented`);
      if (inst.kind !== 'cpu') assert.ok(inst.accelerator!.source, `${inst.id}: accelerator source`);
    }
  });

  it('covers the families engineers serve on', () => {
    const ids = BUILTIN_INSTANCES.map((i) => i.id).join(' ');
    for (const fam of ['c7i.', 'm7i.', 'c7g.', 'g4dn.', 'g5.', 'g6.', 'inf2.', 'n2-', 'c3-', 'g2-', 'Standard_D', 'Standard_F', 'NC4as_T4']) {
      assert.ok(ids.includes(fam), fam);
    }
  });

  it('holds no prices in code: the JSON is the only source', () => {
    const src = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'server', 'src', 'cost', 'model.ts'), 'utf8');
    assert.doesNotMatch(src, /pricePerHour\s*[:=]\s*\d/);
  });

  it('merges user instances: overrides field by field, adds complete ones, reports incomplete ones', () => {
    const problems: string[] = [];
    const cat = buildCatalog({
      'c7i.xlarge': { pricePerHour: 0.1 },
      'my-box': { vcpus: 8, memoryGiB: 32, pricePerHour: 0.5, cpu: { peakFp32Gflops: 500, memBandwidthGBs: 40 } },
      'half': { pricePerHour: 1 },
    }, problems);
    const c7i = cat.find((i) => i.id === 'c7i.xlarge')!;
    assert.strictEqual(c7i.pricePerHour, 0.1);
    assert.strictEqual(c7i.cpu.peakFp32Gflops, 409.6); // untouched fields stay
    const mine = cat.find((i) => i.id === 'my-box')!;
    assert.strictEqual(mine.source, 'user setting');
    assert.strictEqual(mine.kind, 'cpu');
    assert.ok(!cat.some((i) => i.id === 'half'));
    assert.match(problems.join('\n'), /instance half: .*vcpus is missing/);
  });
});

describe('cost settings', () => {
  it('parses instance, instances, traffic, utilization and budgets; the file wins over settings', () => {
    const problems: string[] = [];
    const settings = parseConfig({ instance: 'g5.xlarge', utilization: 0.5, traffic: { requestsPerSec: 20 } }, 'settings', problems);
    const file = parseConfig({ instance: 'c7g.xlarge', traffic: { hoursPerDay: 8 }, budgets: { p95Ms: 15, costPer1k: 0.01 } }, 'file', problems);
    assert.deepStrictEqual(problems, []);
    const c = resolveCostSettings(mergeConfig(settings, file).cost);
    assert.strictEqual(c.instance, 'c7g.xlarge');
    assert.strictEqual(c.utilization, 0.5);
    assert.deepStrictEqual(c.traffic, { requestsPerSec: 20, hoursPerDay: 8 });
    assert.deepStrictEqual(c.budgets, { p95Ms: 15, costPer1k: 0.01 });
  });

  it('defaults: c7i.xlarge, 70% utilisation, 10 req/s around the clock, no budgets', () => {
    assert.deepStrictEqual(resolveCostSettings(mergeConfig().cost), {
      instance: 'c7i.xlarge', instances: {}, utilization: 0.7, traffic: { requestsPerSec: 10, hoursPerDay: 24 }, budgets: {},
    });
  });

  it('reports wrong values by name and keeps the rest', () => {
    const problems: string[] = [];
    const c = parseConfig({
      utilization: 70, traffic: { requestsPerSec: -1, hoursPerDay: 30, rps: 3 }, budgets: { p95Ms: 'fast', p99Ms: 3, modelBytes: 1e6 },
      instances: { 'x': { pricePerHour: 'cheap' } }, instance: 3,
    }, 'inference-lens.json', problems);
    const text = problems.join('\n');
    for (const p of ['"utilization" must be a fraction', 'traffic.requestsPerSec', 'traffic.hoursPerDay', 'traffic.rps is not a setting',
      'budgets.p95Ms must be a positive number', 'budgets.p99Ms is not a budget', 'instances.x: pricePerHour', '"instance" must be']) {
      assert.ok(text.includes(p), `${p} in\n${text}`);
    }
    assert.deepStrictEqual(c.cost?.budgets, { modelBytes: 1e6 });
  });
});

describe('cost report and budgets', () => {
  const config = (extra: Record<string, unknown>) => mergeConfig(parseConfig({ instance: 'c7i.xlarge', ...extra }, 'test'));

  it('prices a model on the chosen instance and names the basis', () => {
    const res = costReport(WORK, config({}));
    assert.ok('report' in res);
    const j = costJson(res.report);
    assert.strictEqual(j.instance, 'c7i.xlarge');
    assert.strictEqual(j.basis, 'estimate');
    assert.strictEqual(j.utilization, 0.7);
    assert.ok(Math.abs(j.per1k - 1000 / (j.inferencesPerSec * 0.7) * j.pricePerHour / 3600) < 1e-12);
    for (const k of ['instance', 'pricePerHour', 'utilization', 'per1k', 'perMonth', 'instancesNeeded', 'basis', 'latencyMs']) assert.ok(k in j, k);
    assert.match(lensTitle(res.report), /^p95 [\d.]+ ms · \$[\d.]+ \/ 1k · c7i\.xlarge \(est\.\)$/);
    const measured = costReport(WORK, config({}), { p50Ms: 10, p95Ms: 12.3, inferencesPerSec: 100, basis: 'measured' });
    assert.ok('report' in measured);
    assert.strictEqual(lensTitle(measured.report), `p95 12.3 ms · ${formatUsd(1000 / 70 * 0.1785 / 3600)} / 1k · c7i.xlarge`);
    // Every catalog instance priced (the report's cost table): the chosen one with the measurement.
    const all = costJson(measured.report).instances!;
    assert.ok(all.length > 5);
    const chosen = all.find((i) => i.instance === 'c7i.xlarge')!;
    assert.deepStrictEqual([chosen.p95Ms, chosen.basis, chosen.per1k], [12.3, 'measured', costJson(measured.report).per1k]);
    assert.ok(all.filter((i) => i.instance !== 'c7i.xlarge').every((i) => i.per1k > 0 && i.p95Ms > 0));
    const note = costReport(WORK, config({}), { ...performanceFromBench({ latencyMs: { p50: 10, p95: 12.3 } as never, throughput: { inferencesPerSec: 100, itemsPerSec: 100 }, batch: 1, concurrency: 1, measuredAt: '2026-03-01T14:02:00.000Z' }) });
    assert.ok('report' in note);
    assert.strictEqual(costMarkdown('m.onnx', note.report).split('\n')[2], '*measured 2026-03-01 14:02, batch 1, 1 in flight*');
  });

  it('says what is wrong with an unknown instance or uncounted MACs', () => {
    const r = costReport(WORK, config({ instance: 'z9.huge' }));
    assert.ok('error' in r && /unknown instance "z9.huge".*c7i.xlarge/.test(r.error));
    const n = costReport({ ...WORK, macs: undefined }, config({}));
    assert.ok('error' in n && /MACs could not be counted/.test(n.error));
  });

  it('budgets fire with the overshoot and the basis, and clear when met', () => {
    const measured = { p50Ms: 20, p95Ms: 30, inferencesPerSec: 50, basis: 'measured' as const };
    const over = costReport(WORK, config({ budgets: { p95Ms: 20, costPer1k: 0.001, modelBytes: 5e7 } }), measured);
    assert.ok('report' in over);
    const v = checkBudgets(over.report);
    assert.deepStrictEqual(v.map((x) => x.budget), ['p95Ms', 'costPer1k', 'modelBytes']);
    assert.match(v[0].message, /^p95 latency 30\.0 ms \(measured\) on c7i\.xlarge exceeds the p95Ms budget of 20\.0 ms by 10\.0 ms \(\+50%\)/);
    // $/1k = 1000 / 35 × 0.1785 / 3600 = $0.0014 → over $0.001 by 42%
    assert.match(v[1].message, /\$0\.0014 \(measured\) on c7i\.xlarge exceeds the costPer1k budget of \$0\.001 by \$0\.00042 \(\+42%\)/);
    assert.match(v[2].message, /^weights 100\.0 MB exceeds the modelBytes budget of 50\.0 MB by 50\.0 MB \(\+100%\)$/);
    const met = costReport(WORK, config({ budgets: { p95Ms: 31, costPer1k: 0.01, modelBytes: 2e8, monthlyCost: 1e4 } }), measured);
    assert.ok('report' in met);
    assert.deepStrictEqual(checkBudgets(met.report), []);
    const est = costReport(WORK, config({ budgets: { p95Ms: 0.01 } }));
    assert.ok('report' in est);
    assert.match(checkBudgets(est.report)[0].message, /\(estimate\)/);
  });

  it('renders a hover with the figures, the formula and the recommendation', () => {
    const res = costReport(WORK, config({ budgets: { p95Ms: 100 } }));
    assert.ok('report' in res);
    const md = costMarkdown('m.onnx', res.report);
    // The three numbers lead, then what they rest on.
    const [head, , basis] = md.split('\n');
    assert.strictEqual(head, `### p95 ${formatMs(res.report.perf.p95Ms)} · ${formatUsd(res.report.cost.per1k)} / 1k · ${formatUsd(res.report.cost.perMonth)} / month`);
    assert.match(basis, /^\*estimate \(.*benchmark for measured figures\)\*$/);
    for (const s of ['**m.onnx** on **c7i.xlarge**', '25.0 M params · 1.00 G MACs', '*(estimate)*', '$ per 1k', '$ per month', 'energy *(estimate)*',
      '$ per 1k = 1000 / (', 'Cheapest meeting p95 ≤ 100 ms', 'int8 quantization *(estimate, ×2)*']) {
      assert.ok(md.includes(s), `${s} in\n${md}`);
    }
  });
});
