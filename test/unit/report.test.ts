import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { latencyStats } from '../../server/src/bench/stats';
import { traceOf, MAX_TRACE, withDefaults, type BenchResult } from '../../server/src/bench/types';
import { binSamples, niceTicks, scale } from '../../server/src/report/charts';
import { csvField, reportCsv } from '../../server/src/report/csv';
import { reportDocOf, type BenchDoc, type AbDoc } from '../../server/src/report/document';
import { renderReport } from '../../server/src/report/html';
import { renderModelPage } from '../../server/src/report/modelPage';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { tempDir } from '../helpers/benchModels';
import { DIST, REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';

const NONCE = 'bm9uY2Utbm9uY2Utbm9uY2U=';

/** Deterministic latencies: a body around 2 ms and a tail (LCG, no Math.random). */
function samples(n: number, seed = 7): number[] {
  let s = seed;
  const next = (): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31; };
  return Array.from({ length: n }, (_, i) => 2 + next() * 0.5 + (i % 50 === 0 ? 3 + next() : 0));
}

function benchResult(xs: number[], extra: Partial<BenchResult> = {}): BenchResult {
  return {
    tool: 'inference-lens', version: '0.0.0', kind: 'profile', model: { path: '/m/resnet.onnx', sha256: 'ab'.repeat(32), sizeBytes: 4e6 }, ep: 'cpu',
    options: withDefaults(), ortVersion: '1.20.0',
    machine: { cpuModel: 'Test CPU', cores: 4, platform: 'linux', arch: 'x64', totalMemoryBytes: 8e9, isa: { avx2: true, avx512: false, vnni: false, amx: false, neon: false } },
    inputs: [{ name: 'x<1>', type: 'float32', dims: [1, 3, 224, 224], fill: 'uniform01' }], batch: 1, runs: xs.length, warmupRuns: 5, measureMs: 1000,
    latencyMs: latencyStats(xs), throughput: { inferencesPerSec: 400, itemsPerSec: 400 }, sessionCreateMs: 30, peakRssBytes: 1e8, rssGrowthBytes: 0, concurrency: 1,
    trace: traceOf([9, 6, 4, 3, 2.5], xs), warnings: ['noisy <machine>'], measuredAt: '2026-01-01T00:00:00.000Z',
    profile: {
      runs: 5, nodeTotalMs: 2, modelRunMs: 2.2,
      topOps: [{ opType: 'Conv', count: 3, totalMs: 1.5, share: 0.75 }, { opType: 'Relu', count: 3, totalMs: 0.5, share: 0.25 }],
      nodes: [
        { name: '/layer1/Relu_output_0_nchwc', opType: 'Conv', provider: 'CPU', ms: 1, share: 0.5, inModel: false, line: 12 },
        { name: 'ReorderOutput', opType: 'ReorderOutput', provider: 'CPU', ms: 0.5, share: 0.25, inModel: false },
      ],
    },
    ...extra,
  };
}

const costOf = (instance: string): BenchDoc['cost'] => ({
  instance, pricePerHour: 0.2, utilization: 0.6, per1k: 0.0001, perMonth: 150, instancesNeeded: 1, basis: 'measured',
  latencyMs: { p50: 2, p95: 2.4 }, inferencesPerSec: 400, traffic: { requestsPerSec: 10, hoursPerDay: 24 },
  int8Estimate: { speedup: 2, p95Ms: 1.2, per1k: 0.00005, perMonth: 150, modelBytes: 1e6 }, p95BudgetMs: 3,
  cheapest: { instance: 'small', per1k: 0.00008, perMonth: 100, p95Ms: 2.9, basis: 'estimate' },
  instances: [
    { instance: 'small', provider: 'aws', pricePerHour: 0.1, p95Ms: 2.9, per1k: 0.00008, perMonth: 100, instancesNeeded: 1, basis: 'estimate', meetsBudget: true },
    { instance: 'big', provider: 'aws', pricePerHour: 0.2, p95Ms: 2.4, per1k: 0.0001, perMonth: 150, instancesNeeded: 1, basis: 'measured', meetsBudget: true },
    { instance: 'tiny', provider: 'gcp', pricePerHour: 0.05, p95Ms: 9, per1k: 0.00006, perMonth: 40, instancesNeeded: 2, basis: 'estimate', meetsBudget: false },
  ],
});

/** Attribute values of every element matching a tag + class in the SVG text. */
function marks(html: string, tag: string, cls: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of html.matchAll(new RegExp(`<${tag} class="${cls}[^"]*"([^>]*)>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.push(attrs);
  }
  return out;
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('report renderer', () => {
  const xs = samples(400);
  const doc: BenchDoc = { kind: 'bench', result: benchResult(xs), cost: costOf('big') };

  it('is one self-contained page: a CSP with the nonce, no external URL, no inline style attribute', () => {
    const html = renderReport(doc, { nonce: NONCE });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'has a CSP');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`style-src 'nonce-${NONCE}'`));
    assert.match(csp, new RegExp(`script-src 'nonce-${NONCE}'`));
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
    // every <style> and <script> carries the nonce; the static file has no script at all
    for (const m of html.matchAll(/<(style|script)([^>]*)>/g)) assert.strictEqual(m[2], ` nonce="${NONCE}"`);
    assert.ok(!html.includes('<script'), 'the CLI file needs no script');
    // the only URL is the SVG namespace (an identifier, never fetched)
    const urls = [...html.matchAll(/(?:https?:)?\/\/[\w.-]+\.[a-z]{2,}[^\s"'<)]*/g)].map((m) => m[0]);
    assert.deepStrictEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
    assert.ok(!/\sstyle="/.test(html), 'style attributes would need unsafe-inline');
    assert.ok(!/\son\w+="/.test(html), 'no inline event handlers');
    assert.throws(() => renderReport(doc, { nonce: 'short' }), /nonce/);
  });

  it('escapes what came from the model and the machine', () => {
    const html = renderReport(doc, { nonce: NONCE });
    assert.ok(html.includes('x&lt;1&gt;') && !html.includes('x<1>'));
    assert.ok(html.includes('noisy &lt;machine&gt;'));
  });

  it('draws a histogram with one bar per bin whose counts sum to the sample count', () => {
    const html = renderReport(doc, { nonce: NONCE });
    const hist = section(html, 'histogram');
    const bars = marks(hist, 'rect', 'bar');
    const svg = /<svg class="chart histogram"[^>]*data-bins="(\d+)"/.exec(hist);
    assert.ok(svg);
    assert.strictEqual(bars.length, Number(svg[1]));
    assert.ok(bars.length >= 8 && bars.length <= 60);
    assert.strictEqual(bars.reduce((a, b) => a + Number(b['data-count']), 0), xs.length);
    // bins are contiguous and ordered
    for (let i = 1; i < bars.length; i++) assert.ok(Math.abs(Number(bars[i]['data-x0']) - Number(bars[i - 1]['data-x1'])) < 1e-9);
  });

  it('puts the p50/p95/p99 markers at the x of their value on the bins\' scale', () => {
    const html = section(renderReport(doc, { nonce: NONCE }), 'histogram');
    const bars = marks(html, 'rect', 'bar');
    const lo = Number(bars[0]['data-x0']), hi = Number(bars[bars.length - 1]['data-x1']);
    const x0 = Number(bars[0].x) - 0.5;
    const lastBar = bars[bars.length - 1];
    const x1 = Number(lastBar.x) + Number(lastBar.width) + 0.5;
    const markers = marks(html, 'line', 'marker');
    assert.deepStrictEqual(markers.map((m) => m['data-label']), ['p50', 'p95', 'p99']);
    const l = doc.result.latencyMs;
    for (const [m, v] of [[markers[0], l.p50], [markers[1], l.p95], [markers[2], l.p99]] as const) {
      assert.strictEqual(Number(m['data-value']), v);
      const expected = scale(lo, hi, x0, x1)(v);
      assert.ok(Math.abs(Number(m.x1) - expected) <= 0.6, `${m['data-label']} at ${m.x1}, expected ${expected}`);
    }
    assert.ok(Number(markers[0].x1) < Number(markers[1].x1) && Number(markers[1].x1) <= Number(markers[2].x1));
  });

  it('switches to a log axis for a heavy tail (a noisy machine), markers at their log-scaled x', () => {
    const noisy = [...Array.from({ length: 300 }, (_, i) => 0.06 + (i % 30) / 1000), 5, 13];
    const l = latencyStats(noisy);
    const html = renderReport({ kind: 'bench', result: benchResult(noisy, { latencyMs: l }) }, { nonce: NONCE });
    const hist = section(html, 'histogram');
    assert.match(hist, /data-scale="log"/);
    assert.match(hist, /latency \(ms, log scale\)/);
    const bars = marks(hist, 'rect', 'bar');
    assert.strictEqual(bars.reduce((a, b) => a + Number(b['data-count']), 0), noisy.length);
    const body = bars.filter((b) => Number(b['data-x1']) <= 0.1).reduce((a, b) => a + Number(b['data-count']), 0);
    assert.ok(bars.filter((b) => Number(b['data-x1']) <= 0.1).length >= 3, 'the body spreads over several bars');
    assert.strictEqual(body, 300);
    const lo = Number(bars[0]['data-x0']), hi = Number(bars[bars.length - 1]['data-x1']);
    const x0 = Number(bars[0].x) - 0.5, last = bars[bars.length - 1];
    const at = scale(Math.log(lo), Math.log(hi), x0, Number(last.x) + Number(last.width) + 0.5);
    for (const m of marks(hist, 'line', 'marker')) assert.ok(Math.abs(Number(m.x1) - at(Math.log(Number(m['data-value'])))) <= 0.6, m['data-label']);
    // the trace caps the outliers so the runs stay readable
    assert.match(section(html, 'trace'), /runs above [\d.]+ ms \(up to 13 ms\) are drawn at the top/);
  });

  it('bins a long tail into the last bar instead of squashing the body', () => {
    const body = Array.from({ length: 200 }, (_, i) => 1 + (i % 20) / 100);
    const withTail = [...body, 10];
    const { bins, overflow, log } = binSamples(withTail, latencyStats(withTail).p99);
    assert.strictEqual(log, false);
    assert.strictEqual(overflow, 1);
    assert.strictEqual(bins.reduce((a, b) => a + b.count, 0), withTail.length);
    assert.ok(bins[bins.length - 1].x1 < 10);
    assert.deepStrictEqual(binSamples([3, 3, 3], 3).bins.map((b) => b.count), [3]);
  });

  it('traces every run with the warm-up shaded', () => {
    const html = section(renderReport(doc, { nonce: NONCE }), 'trace');
    const line = marks(html, 'polyline', 'line');
    assert.strictEqual(line.length, 1);
    assert.strictEqual(Number(line[0]['data-points']), 5 + xs.length);
    const shade = marks(html, 'rect', 'shade');
    assert.strictEqual(shade.length, 1);
    assert.strictEqual(Number(shade[0]['data-from']), 1);
    assert.ok(Number(shade[0]['data-to']) > 5 && Number(shade[0]['data-to']) < 6);
  });

  it('lists hot nodes with their names; rows with a line are focusable and say which line', () => {
    const plain = renderReport(doc, { nonce: NONCE });
    const html = renderReport(doc, { nonce: NONCE, interactive: true, cspSource: 'vscode-resource:' });
    const rows = [...section(html, 'profile').matchAll(/<tr class="node([^"]*)" data-node="([^"]*)"([^>]*)>/g)];
    assert.deepStrictEqual(rows.map((r) => r[2]), ['/layer1/Relu_output_0_nchwc', 'ReorderOutput']);
    assert.match(rows[0][3], /data-line="12" tabindex="0"/);
    assert.ok(!/tabindex/.test(rows[1][3]), 'a node without a line is not a control');
    assert.match(section(html, 'profile'), /50\.0 % of node time mapped/);
    // interactive: a nonce'd script wires rows and Export buttons; the CSP admits the webview's source for images only
    assert.match(html, new RegExp(`<script nonce="${NONCE}">[^]*acquireVsCodeApi[^]*</script>`));
    assert.match(html, /img-src data: vscode-resource:/);
    assert.deepStrictEqual([...html.matchAll(/data-export="(\w+)"/g)].map((m) => m[1]), ['html', 'json', 'csv']);
    assert.ok(!plain.includes('data-export'));
    const ops = marks(section(html, 'profile'), 'rect', 'bar');
    assert.deepStrictEqual(ops.map((o) => [o['data-label'], Number(o['data-value'])]), [['Conv', 1.5], ['Relu', 0.5]]);
  });

  it('prices every instance, cheapest first, with the chosen one highlighted and budget checks', () => {
    const html = section(renderReport(doc, { nonce: NONCE }), 'cost');
    const rows = [...html.matchAll(/<tr([^>]*)><td>([\w.-]+)/g)].map((m) => [m[2], m[1].includes('aria-current="true"')]);
    assert.deepStrictEqual(rows, [['tiny', false], ['small', false], ['big', true]]);
    assert.match(html, /over the budget/);
    assert.match(html, /p95 budget 3\.00 ms/);
  });

  it('says so when an older cached result has no run-by-run samples', () => {
    const old = renderReport({ kind: 'bench', result: benchResult(xs, { trace: undefined, profile: undefined }) }, { nonce: NONCE });
    assert.match(section(old, 'histogram'), /no run-by-run samples/);
    assert.ok(!old.includes('class="chart histogram"'));
    assert.ok(!old.includes('id="cost"'));
  });

  it('draws sweep curves for latency and throughput, skipping failed points', () => {
    const pt = (value: number, p50: number): NonNullable<BenchResult['sweep']>['points'][number] => ({ value, runs: 10, latencyMs: latencyStats([p50, p50 * 1.2]), throughput: { inferencesPerSec: 1000 / p50, itemsPerSec: (1000 / p50) * value } });
    const sweep = { kind: 'batch' as const, points: [pt(1, 2), pt(2, 3), pt(4, 5), { ...pt(8, 1), error: 'out of memory' }] };
    const html = section(renderReport({ kind: 'bench', result: benchResult(xs, { sweep }) }, { nonce: NONCE }), 'sweep');
    const lines = marks(html, 'polyline', 'line');
    assert.deepStrictEqual(lines.map((l) => [l['data-series'], Number(l['data-points'])]), [['p50', 3], ['p95', 3], ['items/s', 3]]);
    assert.match(html, /out of memory/);
  });

  it('shows an A/B comparison side by side with per-output agreement and the verdict', () => {
    const perf = (p50: number, size: number): NonNullable<AbDoc['ab']['perfA']> => ({ p50Ms: p50, p95Ms: p50 * 1.1, meanMs: p50, runs: 20, throughput: 1000 / p50, sizeBytes: size, peakRssBytes: 1e8, loadMs: 20 });
    const ab: AbDoc['ab'] = {
      a: '/m/bert.onnx', b: '/m/bert.int8.onnx', inputs: 'synthetic', samples: 4, minCosine: 0.995, accurate: true,
      outputs: [{ name: 'logits', dims: [1, 2], maxAbsError: 0.01, meanAbsError: 0.001, cosine: 0.995, top1Agreement: 1, top5Agreement: 1 }],
      perfA: perf(10, 4e8), perfB: perf(5, 1e8), speedup: 2, sizeRatio: 0.25, verdict: 'ship it', explanation: ['This CPU has VNNI.'],
      thresholds: { minCosine: 0.99, minSpeedup: 1.1, minTokenAgreement: 0.9 },
    };
    const parsed = reportDocOf({ tool: 'inference-lens', ab, conversion: { method: 'int8-dynamic', input: '/m/bert.onnx', output: '/m/bert.int8.onnx', bytesBefore: 4e8, bytesAfter: 1e8, sizeRatio: 0.25, nodesConverted: 72, convertedByOp: { MatMul: 72 }, converted: [], skipped: [], notes: [], options: {}, seconds: 3 } });
    assert.strictEqual(parsed.kind, 'ab');
    const html = renderReport(parsed, { nonce: NONCE });
    assert.match(html, /<title>A\/B comparison: bert\.onnx vs bert\.int8\.onnx<\/title>/);
    assert.match(html, /class="verdict ok"[^>]*><strong>ship it<\/strong> · 2\.00× p50/);
    const side = section(html, 'side-by-side');
    assert.match(side, /<td>p50<\/td><td class="num">10\.0 ms<\/td><td class="num">5\.00 ms<\/td><td class="num"><span class="ok">0\.50×<\/span>/);
    assert.match(side, /<td>size<\/td><td class="num">400\.0 MB<\/td><td class="num">100\.0 MB<\/td>/);
    assert.match(section(html, 'outputs'), /<code>logits<\/code>.*0\.99500.*top-1 100\.0 %/);
    assert.match(section(html, 'conversion'), /int8-dynamic: 72 nodes converted \(MatMul 72\)/);
    const csv = reportCsv(parsed);
    assert.match(csv, /^section,name,metric,value\n/);
    assert.match(csv, /\noutput,logits,cosine,0\.995\n/);
    assert.match(csv, /\nab,B vs A,verdict,ship it\n/);
  });

  it('a generation (bench --generate) leads with time to first token and tokens/s; the phases side by side', () => {
    const top = (op: string, ms: number) => ({ runs: 2, nodeTotalMs: ms, modelRunMs: ms, topOps: [{ opType: op, count: 4, totalMs: ms, share: 1 }], nodes: [] });
    const r = benchResult(samples(40), {
      kind: 'benchmark', profile: undefined,
      generation: {
        promptTokens: 16, newTokens: 8, batch: 1, ttftMs: { p50: 5.5, p95: 6.25 }, interTokenMs: { p50: 2.5, p95: 3, p99: 3.5 }, tokensPerSec: 400,
        kvCacheBytes: 3e6, peakRssBytes: 1e8, generatedIds: [487, 487, 12], generations: 5, profile: { prefill: top('MatMul', 4), decode: top('Gather', 1) },
      },
    });
    const html = renderReport({ kind: 'bench', result: r }, { nonce: NONCE });
    assert.match(html, /<div class="card lead"><div class="card-label">time to first token<\/div><div class="card-value">5\.50 ms<\/div><div class="card-sub">p95 6\.25 ms · prompt 16 tokens/);
    assert.match(html, /card-label">decode<\/div><div class="card-value">400 tokens\/s/);
    assert.match(html, /card-label">KV cache<\/div><div class="card-value">3\.0 MB/);
    assert.match(html, /<caption>Latency per decode step \(ms\)<\/caption>/);
    const gen = section(html, 'generation');
    assert.match(gen, /<td>prefill \(time to first token\)<\/td><td class="num">5\.50 ms<\/td>/);
    assert.match(gen, /Hot ops, prefill \(per call\)/);
    assert.match(gen, /Hot ops, decode \(per step\)/);
    assert.match(gen, /ids of the first sequence: 487 487 12/);
    assert.doesNotMatch(renderReport({ kind: 'bench', result: benchResult(samples(40)) }, { nonce: NONCE }), /time to first token/);
  });

  it('a decoder A/B: decode tokens/s and time to first token side by side, generated tokens prompt by prompt', () => {
    const perf = (tps: number, ttft: number): NonNullable<AbDoc['ab']['perfA']> => ({
      p50Ms: 1000 / tps, p95Ms: 1100 / tps, meanMs: 1000 / tps, runs: 96, throughput: tps, sizeBytes: 2e7, peakRssBytes: 1e8, loadMs: 20,
      decode: { ttftMsP50: ttft, tokensPerSec: tps, promptTokens: 128, newTokens: 32 },
    });
    const ab: AbDoc['ab'] = {
      a: '/m/llama.onnx', b: '/m/llama.int8.onnx', inputs: 'synthetic', samples: 1, minCosine: 0.97, accurate: false,
      outputs: [{ name: 'logits', dims: [1, 2, 8192], maxAbsError: 0.1, meanAbsError: 0.01, cosine: 0.97 }],
      perfA: perf(350, 4), perfB: perf(600, 2), speedup: 600 / 350, prefillSpeedup: 2, sizeRatio: 0.25, verdict: 'faster but less accurate', explanation: [],
      generation: {
        prompts: 2, newTokens: 32, tokenAgreement: 0.5, firstDivergence: [4, null], logitsCosine: 0.99, minStepCosine: 0.98,
        perPrompt: [{ promptTokens: 8, agreement: 0, firstDivergence: 4, logitsCosine: 0.985 }, { promptTokens: 16, agreement: 1, firstDivergence: null, logitsCosine: 0.995 }],
      },
      thresholds: { minCosine: 0.99, minSpeedup: 1.1, minTokenAgreement: 0.9 },
    };
    const html = renderReport(reportDocOf({ tool: 'inference-lens', ab }), { nonce: NONCE });
    assert.match(html, /class="verdict bad"[^>]*><strong>faster but less accurate<\/strong> · 1\.71× decode tokens\/s · size 0\.25× · tokens agree 50\.0 %/);
    const side = section(html, 'side-by-side');
    assert.match(side, /<td>decode tokens\/s<\/td><td class="num">350<\/td><td class="num">600<\/td><td class="num"><span class="ok">1\.71×<\/span>/);
    assert.match(side, /<td>time to first token<\/td>.*<span class="ok">0\.50×<\/span>/);
    const gen = section(html, 'generation');
    assert.match(gen, /50\.0 % of the tokens agree \(goal 90\.0 %\)/);
    assert.match(gen, /<td>1<\/td><td class="num">8<\/td><td class="num"><span class="bad">0\.0 %<\/span><\/td><td class="num">4<\/td><td class="num">0\.98500<\/td>/);
    const csv = reportCsv(reportDocOf({ ab }));
    assert.match(csv, /\nperf,B,decode\.tokensPerSec,600\n/);
    assert.match(csv, /\ngeneration,all prompts,tokenAgreement,0\.5\n/);
    assert.match(csv, /\ngeneration,prompt 2,firstDivergence,\n/);
  });

  it('reads only bench/quantize/compare JSON, with a clear error otherwise', () => {
    assert.strictEqual(reportDocOf({ ...doc.result, cost: doc.cost }).kind, 'bench');
    assert.throws(() => reportDocOf([]), /JSON object/);
    assert.throws(() => reportDocOf({ files: [] }), /not a benchmark, profile or A\/B result/);
    assert.throws(() => reportDocOf({ conversion: {} }), /--no-ab/);
  });

  it('exports every run and figure as CSV', () => {
    const csv = reportCsv(doc);
    const lines = csv.trim().split('\n');
    assert.strictEqual(lines.filter((l) => /^run,\d+,ms,/.test(l)).length, xs.length);
    assert.strictEqual(lines.filter((l) => /^run,warmup \d+,ms,/.test(l)).length, 5);
    assert.ok(lines.includes('cost,big,chosen,1'));
    assert.strictEqual(csvField('a,"b"'), '"a,""b"""');
  });

  it('thins a long trace to MAX_TRACE samples, keeping run order', () => {
    const long = Array.from({ length: MAX_TRACE * 2 + 1 }, (_, i) => i);
    const t = traceOf([], long);
    assert.strictEqual(t.stride, 3);
    assert.ok(t.samplesMs.length <= MAX_TRACE);
    assert.deepStrictEqual(t.samplesMs.slice(0, 3), [0, 3, 6]);
    assert.deepStrictEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  });
});

describe('model editor page', () => {
  it('shows a real model: figures, a sortable op table with MACs, weights by type, I/O, findings, actions', () => {
    const file = testModel('mlp_mnist_like.onnx');
    const report = analyzeModelFile(file, mergeConfig());
    assert.ok(report.summary);
    const last = benchResult(samples(50));
    // ORT's fused nodes count for the model op they map to
    last.profile!.nodes = [
      { name: 'fused /net/net.0/Gemm', opType: 'FusedGemm', provider: 'CPU', ms: 0.5, share: 0.5, inModel: true, line: 16, modelOpType: 'Gemm' },
      { name: '/net/net.2/Gemm', opType: 'Gemm', provider: 'CPU', ms: 0.25, share: 0.25, inModel: true, line: 18, modelOpType: 'Gemm' },
      { name: 'ReorderOutput', opType: 'ReorderOutput', provider: 'CPU', ms: 0.25, share: 0.25, inModel: false },
    ];
    const html = renderModelPage({ file, summary: report.summary, findings: report.findings, last }, { nonce: NONCE });
    assert.match(html, /<td>Gemm<\/td>.*?<td class="num" data-v="0\.75">0\.750<\/td><\/tr>/);
    assert.match(html, new RegExp(`script-src 'nonce-${NONCE}'`));
    assert.ok(!/\sstyle="|\son\w+="/.test(html));
    assert.match(html, /<div class="card-label">parameters<\/div><div class="card-value">535\.8 k<\/div>/);
    // Gemm carries every MAC of the MLP: 784·512 + 512·256 + 256·10
    const gemm = /<tr><td>Gemm<\/td><td class="num" data-v="3">3<\/td><td class="num" data-v="(\d+)">/.exec(html);
    assert.strictEqual(Number(gemm?.[1]), 784 * 512 + 512 * 256 + 256 * 10);
    assert.match(html, /<table class="sortable">/);
    assert.match(html, /<th scope="col" data-col="2" tabindex="0" class="num">MACs<\/th>/);
    assert.match(html, /<tr><td>float<\/td>/);
    assert.match(html, /<tr><td>input<\/td><td><code>input<\/code><\/td>/);
    for (const a of ['benchmark', 'profile', 'quantize', 'optimize', 'compare', 'text']) assert.ok(html.includes(`data-action="${a}"`), a);
    assert.ok(report.findings.some((f) => html.includes(f.rule)), 'findings listed');
    assert.match(html, /<section id="last">.*Open Report/);
    // symbolic dims are editable in place
    assert.match(html, /<input type="number" min="1" step="1" data-dim="batch" value="1" aria-label="value of dim batch">/);
    assert.match(html, /<button type="button" id="apply-dims">Apply<\/button>/);
    const unreadable = renderModelPage({ file: '/x/bad.onnx', findings: [{ rule: 'ONNX000', message: 'truncated <file>' }] }, { nonce: NONCE });
    assert.match(unreadable, /could not be read.*truncated &lt;file&gt;/s);
  });
});

describe('CLI report', function () {
  this.timeout(60000);
  const cli = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let dir: string;
  before(() => { dir = tempDir('il-report-'); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  let json: BenchResult;
  let src: string;
  before(() => {
    const bench = cli('bench', testModel('mlp_mnist_like.onnx'), '--warmup', '3', '--min-runs', '30', '--min-time', '0', '--max-time', '5', '--profile', '--cache-dir', dir, '--format', 'json');
    assert.strictEqual(bench.code, 0, bench.stderr);
    json = JSON.parse(bench.stdout) as BenchResult;
    src = path.join(dir, 'result.json');
    fs.writeFileSync(src, bench.stdout);
  });

  it('turns a real benchmark JSON into the report: every run in the histogram, hot nodes on their lines', () => {
    assert.ok(json.trace, 'the benchmark keeps its run-by-run samples');
    assert.strictEqual(json.trace.samplesMs.length, json.runs);
    // The warm-up lasts a minimum time as well as N runs: a tiny model fits thousands of runs in it, the trace keeps the first MAX_TRACE.
    assert.strictEqual(json.trace.warmupMs.length, Math.min(json.warmupRuns, MAX_TRACE));
    const out = path.join(dir, 'report.html');
    const r = cli('report', src, '--out', out);
    assert.strictEqual(r.code, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    const counts = [...html.matchAll(/<rect class="bar"[^>]*data-count="(\d+)"/g)].map((m) => Number(m[1]));
    assert.strictEqual(counts.reduce((a, b) => a + b, 0), json.runs);
    for (const n of json.profile!.nodes) assert.ok(html.includes(`data-node="${n.name}" data-line="${n.line}" tabindex="0"`), n.name);
    assert.ok(fs.readdirSync(dir).every((f) => !f.endsWith('.tmp')));
  });

  it('never overwrites a file unasked; CSV to stdout; clear errors', () => {
    const out = path.join(dir, 'exists.html');
    fs.writeFileSync(out, 'mine');
    const again = cli('report', src, '--out', out);
    assert.strictEqual(again.code, 1);
    assert.match(again.stderr, /exists; --force replaces it/);
    assert.strictEqual(fs.readFileSync(out, 'utf8'), 'mine');
    assert.strictEqual(cli('report', src, '--out', out, '--force').code, 0);
    assert.match(fs.readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
    const csv = cli('report', src, '--format', 'csv');
    assert.strictEqual(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^section,name,metric,value/);
    // Markdown for a CI job summary: the latency table, the cost, and a baseline verdict when the JSON has one.
    const md = cli('report', src, '--format', 'md');
    assert.strictEqual(md.code, 0, md.stderr);
    assert.match(md.stdout, /^### Profile: /);
    assert.match(md.stdout, /\| p50 \| p90 \| p95 \| p99 \|/);
    const withBaseline = path.join(dir, 'with-baseline.json');
    fs.writeFileSync(withBaseline, JSON.stringify({ ...JSON.parse(fs.readFileSync(src, 'utf8')), baseline: { verdict: 'regression', reason: 'regression: slower past the 10 % threshold', against: 'base.json' } }));
    assert.match(cli('report', withBaseline, '--format', 'md').stdout, /\*\*Against the baseline\*\* \(base\.json\): ❌ regression: slower/);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"files": []}');
    const b = cli('report', bad);
    assert.strictEqual(b.code, 1);
    assert.match(b.stderr, /bad\.json: not a benchmark, profile or A\/B result/);
    assert.strictEqual(cli('report').code, 2);
  });
});
