/**
 * The report renderer on the largest result it gets: a profile with MAX_TRACE (5,000) measured runs,
 * 400 profiled nodes, a batch sweep and the cost on every catalog instance. Baselines measured in the
 * same run: formatMarkdown (the markdown preview the report replaced) and JSON.stringify of the result
 * (what the webview would receive anyway). Prints medians and ratios; no assertion on absolute times.
 */
import { randomBytes } from 'crypto';
import { formatMarkdown } from '../server/src/bench/report';
import { latencyStats } from '../server/src/bench/stats';
import { MAX_TRACE, traceOf, withDefaults, type BenchResult } from '../server/src/bench/types';
import { buildCatalog } from '../server/src/cost/catalog';
import { reportCsv } from '../server/src/report/csv';
import type { BenchDoc } from '../server/src/report/document';
import { renderReport } from '../server/src/report/html';
import { time as timeRuns } from './lib/timing';

// Deterministic heavy-tailed latencies (LCG): a body near 2 ms, 1 % of runs 5-50× slower.
let seed = 42;
const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
const samples = Array.from({ length: MAX_TRACE }, () => 2 + rnd() * 0.4 + (rnd() < 0.01 ? 10 + rnd() * 90 : 0));
const stats = latencyStats(samples);
const nodes = Array.from({ length: 400 }, (_, i) => ({ name: `/encoder/layer.${i % 24}/op_${i}/MatMul_output_0_nchwc`, opType: i % 3 ? 'MatMul' : 'Add', provider: 'CPU', ms: 1 / (i + 1), share: 1 / (i + 1) / 6.5, inModel: true, line: i * 3 }));
const sweep = { kind: 'batch' as const, points: [1, 2, 4, 8, 16, 32].map((v) => ({ value: v, runs: 20, latencyMs: latencyStats(samples.slice(0, 50).map((x) => x * v)), throughput: { inferencesPerSec: 400 / v, itemsPerSec: 400 } })) };
const result: BenchResult = {
  tool: 'inference-lens', version: '0', kind: 'profile', model: { path: '/m/bert.onnx', sha256: '0'.repeat(64), sizeBytes: 438e6 }, ep: 'cpu', options: withDefaults(), ortVersion: '1.20.0',
  machine: { cpuModel: 'bench', cores: 2, platform: 'linux', arch: 'x64', totalMemoryBytes: 8e9, isa: { avx2: true, avx512: false, vnni: false, amx: false, neon: false } },
  inputs: [{ name: 'input_ids', type: 'int64', dims: [1, 128], fill: 'tokens' }], batch: 1, runs: samples.length, warmupRuns: 50, measureMs: 12_000,
  latencyMs: stats, throughput: { inferencesPerSec: 400, itemsPerSec: 400 }, sessionCreateMs: 300, peakRssBytes: 9e8, rssGrowthBytes: 0, concurrency: 1,
  sweep, profile: { runs: 20, nodeTotalMs: 6.5, modelRunMs: 7, topOps: [{ opType: 'MatMul', count: 267, totalMs: 5, share: 0.77 }, { opType: 'Add', count: 133, totalMs: 1.5, share: 0.23 }], nodes },
  trace: traceOf(samples.slice(0, 50), samples), warnings: [], measuredAt: new Date().toISOString(),
};
const instances = buildCatalog({}).map((i, k) => ({ instance: i.id, provider: i.provider, pricePerHour: i.pricePerHour, p95Ms: 2 + k, per1k: 0.001 * (k + 1), perMonth: 100 + k, instancesNeeded: 1, basis: 'estimate' as const, meetsBudget: k % 2 === 0 }));
const doc: BenchDoc = {
  kind: 'bench', result,
  cost: { instance: instances[0].instance, pricePerHour: 0.2, utilization: 0.7, per1k: 0.001, perMonth: 100, instancesNeeded: 1, basis: 'measured', latencyMs: { p50: stats.p50, p95: stats.p95 }, inferencesPerSec: 400, traffic: { requestsPerSec: 10, hoursPerDay: 24 }, int8Estimate: { speedup: 2, p95Ms: 1, per1k: 0.0005, perMonth: 100, modelBytes: 1e8 }, instances },
};

const time = (fn: () => unknown): number => timeRuns(fn, 15);
const html = renderReport(doc, { nonce: randomBytes(18).toString('base64'), interactive: true });
const rows: Array<[string, number]> = [
  [`renderReport (${samples.length} runs, ${nodes.length} nodes, ${instances.length} instances → ${(html.length / 1e3).toFixed(0)} kB HTML)`, time(() => renderReport(doc, { nonce: randomBytes(18).toString('base64'), interactive: true }))],
  ['reportCsv (every run and figure)', time(() => reportCsv(doc))],
  ['baseline: formatMarkdown (the preview the report replaced)', time(() => formatMarkdown(result))],
  ['baseline: JSON.stringify of the result', time(() => JSON.stringify(doc))],
];
const base = rows[0][1];
console.log('report rendering, median ms of 15');
console.log('| what | ms | ratio vs renderReport |');
console.log('| --- | ---: | ---: |');
for (const [what, ms] of rows) console.log(`| ${what} | ${ms.toFixed(2)} | ${(ms / base).toFixed(2)}× |`);
