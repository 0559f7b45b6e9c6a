/**
 * The one report renderer: a ReportDoc → a self-contained HTML page (inline SVG charts, one nonce'd
 * stylesheet and script, no external URL). The VS Code webview and `inference-lens report` show the
 * same page; the webview passes its `cspSource` and sets `interactive` (hot-node rows reveal their
 * line, Export buttons), the CLI file is static. Colours are the editor's theme variables with
 * fallbacks for a browser (light and dark by `prefers-color-scheme`).
 */
import { formatBytesShort, formatMs, formatUsd } from '../cost/report';
import type { BenchResult, GenerationResult, LatencyStats } from '../bench/types';
import type { AbReport, OutputAgreement, Perf } from '../quantize/ab';
import type { GenerationAgreement } from '../quantize/greedyAgreement';
import { barsSvg, histogramSvg, lineSvg, Series } from './charts';
import { AbDoc, BenchDoc, ReportDoc, reportSubject } from './document';
import { escapeHtml as esc } from './escape';
import { REPORT_SCRIPT, REPORT_STYLE } from './assets';

export interface RenderOptions {
  /** base64 nonce of the page's style and script (fresh per render) */
  nonce: string;
  /** the webview's `cspSource` (VS Code); absent for a standalone file */
  cspSource?: string;
  /** webview: rows and buttons post messages to the extension */
  interactive?: boolean;
  /** rows of the hot-nodes table (default 30) */
  maxNodes?: number;
}

/** Messages the page posts to the extension (interactive mode). */
export type ReportMessage = { type: 'reveal'; node: string; line?: number } | { type: 'export'; format: 'html' | 'json' | 'csv' };

export function renderReport(doc: ReportDoc, o: RenderOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('the report needs a nonce of at least 16 base64 characters');
  const title = `${doc.kind === 'bench' ? (doc.result.kind === 'profile' ? 'Profile' : 'Benchmark') : 'A/B comparison'}: ${reportSubject(doc)}`;
  const body = doc.kind === 'bench' ? benchBody(doc, o) : abBody(doc);
  const csp = [
    "default-src 'none'", `style-src 'nonce-${o.nonce}'`, `script-src 'nonce-${o.nonce}'`,
    `img-src data:${o.cspSource ? ` ${o.cspSource}` : ''}`, "base-uri 'none'", "form-action 'none'",
  ].join('; ');
  const exportBar = o.interactive
    ? `<nav class="actions" aria-label="Export"><button type="button" data-export="html">Export HTML</button><button type="button" data-export="json">Export JSON</button><button type="button" data-export="csv">Export CSV</button></nav>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style nonce="${o.nonce}">${REPORT_STYLE}</style></head>
<body${o.interactive ? ' class="interactive"' : ''}>
<header><h1>${esc(title)}</h1>${exportBar}</header>
<main>
${body}
</main>
<footer>Inference Lens ${esc(doc.kind === 'bench' ? doc.result.version : '')}</footer>
${o.interactive ? `<script nonce="${o.nonce}">${REPORT_SCRIPT}</script>` : ''}
</body></html>`;
}

// ---- shared pieces ----

const num = (v: number, digits = 3): string => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toLocaleString('en-US') : '–');
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const base = (p: string): string => p.split(/[\\/]/).pop() ?? p;
const ordinal = (n: number): string => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

function section(id: string, heading: string, inner: string, note = ''): string {
  return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(heading)}</h2>${note ? `<p class="note">${note}</p>` : ''}${inner}</section>`;
}

function card(label: string, value: string, sub = '', cls = ''): string {
  return `<div class="card ${cls}"><div class="card-label">${esc(label)}</div><div class="card-value">${esc(value)}</div>${sub ? `<div class="card-sub">${esc(sub)}</div>` : ''}</div>`;
}

/** A table; `rows` are already-escaped cell HTML; `attrs` per row (already escaped). */
function table(caption: string, head: string[], rows: string[][], rowAttrs: string[] = [], numeric: boolean[] = []): string {
  const th = head.map((h, i) => `<th scope="col"${numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const tr = rows.map((r, k) => `<tr${rowAttrs[k] ?? ''}>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table><caption>${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table></div>`;
}

// ---- benchmark / profile ----

function latencyTable(l: LatencyStats, caption = 'Latency per inference (ms)'): string {
  const keys: Array<[string, number]> = [['min', l.min], ['p50', l.p50], ['p90', l.p90], ['p95', l.p95], ['p99', l.p99], ['p99.9', l.p999], ['max', l.max], ['mean', l.mean], ['stdev', l.stdev]];
  return table(caption, [...keys.map(([k]) => k), 'cv'], [[...keys.map(([, v]) => num(v, 4)), pct(l.cv)]], [], keys.map(() => true).concat(true));
}

function benchBody(doc: BenchDoc, o: RenderOptions): string {
  const r = doc.result;
  const l = r.latencyMs;
  const out: string[] = [];
  const isa = Object.entries(r.machine.isa).filter(([, on]) => on).map(([k]) => k.toUpperCase()).join(' ') || 'no AVX2/NEON';
  out.push(`<p class="meta">${esc(base(r.model.path))} · ${formatBytesShort(r.model.sizeBytes)} · sha256 ${esc(r.model.sha256.slice(0, 12))} · ${esc(r.ep)} · batch ${r.batch}${r.concurrency > 1 ? ` · ${r.concurrency} in flight` : ''} · onnxruntime ${esc(r.ortVersion)}<br>` +
    `${esc(r.machine.cpuModel)} (${r.machine.cores} cores, ${esc(isa)}) · measured ${esc(r.measuredAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · ${r.runs} runs after ${r.warmupRuns} warm-up</p>`);

  const g = r.generation;
  // A generation leads with what a decoder's users wait for: the first token, then each next one.
  const cards = g ? [
    card('time to first token', formatMs(g.ttftMs.p50), `p95 ${formatMs(g.ttftMs.p95)} · prompt ${g.promptTokens} tokens`, 'lead'),
    card('inter-token p50', formatMs(g.interTokenMs.p50), `p95 ${formatMs(g.interTokenMs.p95)} · p99 ${formatMs(g.interTokenMs.p99)}`),
    card('decode', `${num(g.tokensPerSec)} tokens/s`, `batch ${g.batch} · ${g.newTokens} steps`, 'lead'),
    card('KV cache', formatBytesShort(g.kvCacheBytes), `after ${g.promptTokens + g.newTokens} tokens`),
  ] : [
    card('p50', formatMs(l.p50)), card('p95', formatMs(l.p95), '', 'lead'), card('p99', formatMs(l.p99)),
    card('throughput', `${num(r.throughput.inferencesPerSec)} /s`, r.batch > 1 ? `${num(r.throughput.itemsPerSec)} items/s` : ''),
  ];
  if (doc.cost) {
    const c = doc.cost;
    cards.push(card('$ per 1k', formatUsd(c.per1k), `${c.instance} · ${c.basis}`, 'lead'));
    cards.push(card('$ per month', formatUsd(c.perMonth), `${c.instancesNeeded} × ${c.instance} at ${c.traffic.requestsPerSec} req/s, ${c.traffic.hoursPerDay} h/day`));
  }
  out.push(`<div class="cards">${cards.join('')}</div>`);
  if (r.warnings.length) out.push(`<ul class="warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);

  const t = r.trace;
  if (t && t.samplesMs.length) {
    const markers = [{ label: 'p50', value: l.p50, cls: 'p50' }, { label: 'p95', value: l.p95, cls: 'p95' }, { label: 'p99', value: l.p99, cls: 'p99' }];
    out.push(section('histogram', 'Latency distribution', histogramSvg(t.samplesMs, markers, l.p99),
      t.stride > 1 ? `every ${ordinal(t.stride)} of ${r.runs} measured runs` : `${t.samplesMs.length} measured runs`));
    const w = t.warmupMs.length;
    const pts = (xs: number[], from: number): Array<[number, number]> => xs.map((v, i) => [from + i * (xs === t.samplesMs ? t.stride : 1), v]);
    const series: Series[] = [{ name: 'latency', cls: 's1', points: [...pts(t.warmupMs, 1), ...pts(t.samplesMs, w + 1)] }];
    const highest = Math.max(...t.samplesMs, ...t.warmupMs);
    const yCap = highest > 4 * l.p99 ? 2 * l.p99 : undefined;
    const notes = [r.concurrency > 1 ? 'with requests in flight, each thread\'s runs follow one another' : '', yCap ? `runs above ${num(yCap)} ms (up to ${num(highest)} ms) are drawn at the top` : ''].filter(Boolean);
    out.push(section('trace', 'Run by run', lineSvg(series, {
      xLabel: 'run', yLabel: 'ms', label: `Latency of each run: ${w} warm-up runs (shaded), then ${r.runs} measured runs`,
      ...(w ? { shade: [1, w + 0.5] as [number, number], shadeLabel: 'warm-up' } : {}), ...(yCap && { yCap }),
    }), notes.join(' · ')));
  } else {
    out.push(section('histogram', 'Latency distribution', '', 'This result has no run-by-run samples (cached by an older version): benchmark again for the histogram and trace.'));
  }
  out.push(latencyTable(l, g ? 'Latency per decode step (ms)' : undefined));
  if (g) out.push(generationBenchSection(g));

  if (r.sweep) out.push(sweepSection(r));
  if (r.profile) out.push(profileSection(r, o));
  if (doc.cost) out.push(costSection(doc));
  else if (doc.costError) out.push(section('cost', 'Cost', '', esc(doc.costError)));

  const inputs = r.inputs.map((i) => [`<code>${esc(i.name)}</code>`, esc(i.type), `[${i.dims.join(', ')}]`, esc(i.fill)]);
  out.push(section('inputs', 'Inputs', table('Inputs fed to the model', ['name', 'type', 'shape', 'values'], inputs) +
    `<p class="note">session created in ${formatMs(r.sessionCreateMs)} · peak RSS ${formatBytesShort(r.peakRssBytes)} · growth across runs ${formatBytesShort(Math.max(0, r.rssGrowthBytes))}</p>`));
  return out.join('\n');
}

/** `bench --generate`: the two phases side by side, hot ops per phase when profiled, the ids generated. */
function generationBenchSection(g: GenerationResult): string {
  const rows = [
    ['prefill (time to first token)', formatMs(g.ttftMs.p50), formatMs(g.ttftMs.p95), '–', `${g.promptTokens} tokens × batch ${g.batch}, one call`],
    ['decode (one step)', formatMs(g.interTokenMs.p50), formatMs(g.interTokenMs.p95), formatMs(g.interTokenMs.p99), `one token per sequence: ${num(g.tokensPerSec)} tokens/s`],
  ];
  const hot = g.profile ? (['prefill', 'decode'] as const).map((phase) => barsSvg(g.profile![phase].topOps.slice(0, 8).map((x) => ({ label: x.opType, value: x.totalMs, note: pct(x.share) })),
    { label: `Hot ops, ${phase} (per ${phase === 'prefill' ? 'call' : 'step'})`, unit: 'ms' })).join('') : '';
  const ids = g.generatedIds.length > 64 ? `${g.generatedIds.slice(0, 64).join(' ')} …` : g.generatedIds.join(' ');
  return section('generation', 'Prefill and decode',
    table('Per phase (ms)', ['phase', 'p50', 'p95', 'p99', 'work'], rows, [], [false, true, true, true, false]) + (hot ? `<div class="pair">${hot}</div>` : ''),
    `${g.generations} measured generations after one warm-up · ids of the first sequence: ${esc(ids)}`);
}

function sweepSection(r: BenchResult): string {
  const s = r.sweep!;
  const ok = s.points.filter((p) => !p.error);
  const what = s.kind === 'batch' ? 'batch size' : 'intra-op threads';
  const lat: Series[] = [
    { name: 'p50', cls: 's1', points: ok.map((p) => [p.value, p.latencyMs.p50]) },
    { name: 'p95', cls: 's2', points: ok.map((p) => [p.value, p.latencyMs.p95]) },
  ];
  const thr: Series[] = [{ name: s.kind === 'batch' ? 'items/s' : 'inferences/s', cls: 's3', points: ok.map((p) => [p.value, s.kind === 'batch' ? p.throughput.itemsPerSec : p.throughput.inferencesPerSec]) }];
  const logX = ok.length > 2 && ok.every((p) => p.value > 0 && Number.isInteger(Math.log2(p.value)));
  const rows = s.points.map((p) => p.error ? [String(p.value), '–', '–', '–', '–', esc(p.error)]
    : [String(p.value), String(p.runs), num(p.latencyMs.p50), num(p.latencyMs.p95), num(p.throughput.inferencesPerSec), num(p.throughput.itemsPerSec)]);
  return section('sweep', `${s.kind === 'batch' ? 'Batch' : 'Thread'} sweep`,
    `<div class="pair">${lineSvg(lat, { xLabel: what, yLabel: 'latency (ms)', label: `Latency by ${what}`, logX })}` +
    `${lineSvg(thr, { xLabel: what, yLabel: thr[0].name, label: `Throughput by ${what}`, logX })}</div>` +
    table(`${s.kind} sweep`, [s.kind, 'runs', 'p50 ms', 'p95 ms', 'inferences/s', 'items/s'], rows, [], [true, true, true, true, true, true]));
}

function profileSection(r: BenchResult, o: RenderOptions): string {
  const p = r.profile!;
  const ops = barsSvg(p.topOps.slice(0, 15).map((x) => ({ label: x.opType, value: x.totalMs, note: `${pct(x.share)}, ${x.count} node${x.count === 1 ? '' : 's'}` })),
    { label: `Self time per op type per inference (${p.runs} profiled runs)`, unit: 'ms' });
  const nodes = p.nodes.slice(0, o.maxNodes ?? 30);
  const mapped = p.nodes.filter((n) => n.line !== undefined).reduce((a, n) => a + n.share, 0);
  const attrs = nodes.map((n) => ` class="node${n.line !== undefined ? ' has-line' : ''}" data-node="${esc(n.name)}"${n.line !== undefined ? ` data-line="${n.line}" tabindex="0" title="Reveal in the model text view"` : ''}`);
  const rows = nodes.map((n) => [`<code>${esc(n.name)}</code>`, esc(n.opType), num(n.ms), pct(n.share), n.line !== undefined ? String(n.line + 1) : '–']);
  return section('profile', 'Hot ops and nodes', ops +
    table(`Hot nodes (top ${nodes.length} of ${p.nodes.length})${o.interactive ? ': Enter or click reveals the node in the model text view' : ''}`, ['node', 'op', 'ms', 'share', 'line'], rows, attrs, [false, false, true, true, true]),
    `nodes ${num(p.nodeTotalMs)} ms of ${num(p.modelRunMs)} ms per run · ${pct(mapped)} of node time mapped to text-view lines`);
}

function costSection(doc: BenchDoc): string {
  const c = doc.cost!;
  const inst = [...(c.instances ?? [])].sort((a, b) => a.per1k - b.per1k);
  const budget = c.p95BudgetMs;
  const rows = inst.map((i) => [
    `${esc(i.instance)}${i.instance === c.instance ? ' <span class="badge">chosen</span>' : ''}${c.cheapest?.instance === i.instance ? ' <span class="badge ok">cheapest</span>' : ''}`,
    esc(i.provider), `$${num(i.pricePerHour, 4)}`, formatMs(i.p95Ms), formatUsd(i.per1k), formatUsd(i.perMonth), String(i.instancesNeeded), esc(i.basis),
    budget === undefined ? '–' : i.meetsBudget ? '<span class="ok" aria-label="meets the budget">✓</span>' : '<span class="bad" aria-label="over the budget">✗</span>',
  ]);
  const attrs = inst.map((i) => (i.instance === c.instance ? ' class="chosen" aria-current="true"' : ''));
  const note = `at ${c.traffic.requestsPerSec} req/s, ${c.traffic.hoursPerDay} h/day, ${Math.round(c.utilization * 100)} % utilisation` +
    `${budget !== undefined ? ` · p95 budget ${formatMs(budget)}` : ''} · the chosen instance is ${c.basis}, the others scaled from it${c.basis === 'measured' ? '' : ' (estimates)'}` +
    `${c.incomplete ? ` · incomplete: ${esc(c.incomplete)}` : ''}`;
  return section('cost', 'Cost across instances', inst.length ? table('Cost per catalog instance', ['instance', 'provider', '$/h', 'p95', '$ / 1k', '$ / month', 'instances', 'basis', 'meets p95'], rows, attrs,
    [false, false, true, true, true, true, true, false, false]) : '', esc(note));
}

// ---- A/B ----

function perfRows(a: Perf | undefined, b: Perf | undefined, sizeRatio: number): string[][] {
  const rows: string[][] = [];
  const change = (x: number, y: number, lowerBetter: boolean): string => {
    if (!(x > 0) || !Number.isFinite(y)) return '–';
    const ratio = y / x;
    const better = lowerBetter ? ratio < 1 : ratio > 1;
    return `<span class="${Math.abs(ratio - 1) < 0.02 ? '' : better ? 'ok' : 'bad'}">${ratio.toFixed(2)}×</span>`;
  };
  if (a && b) {
    rows.push(['size', formatBytesShort(a.sizeBytes), formatBytesShort(b.sizeBytes), change(a.sizeBytes, b.sizeBytes, true)]);
    if (a.decode && b.decode) {
      rows.push(['decode tokens/s', num(a.decode.tokensPerSec), num(b.decode.tokensPerSec), change(a.decode.tokensPerSec, b.decode.tokensPerSec, false)]);
      rows.push(['time to first token', formatMs(a.decode.ttftMsP50), formatMs(b.decode.ttftMsP50), change(a.decode.ttftMsP50, b.decode.ttftMsP50, true)]);
    }
    rows.push([a.decode ? 'p50 per token' : 'p50', formatMs(a.p50Ms), formatMs(b.p50Ms), change(a.p50Ms, b.p50Ms, true)]);
    rows.push(['p95', formatMs(a.p95Ms), formatMs(b.p95Ms), change(a.p95Ms, b.p95Ms, true)]);
    rows.push(['throughput', `${num(a.throughput)} /s`, `${num(b.throughput)} /s`, change(a.throughput, b.throughput, false)]);
    rows.push(['peak memory', formatBytesShort(a.peakRssBytes), formatBytesShort(b.peakRssBytes), change(a.peakRssBytes, b.peakRssBytes, true)]);
    rows.push(['session load', formatMs(a.loadMs), formatMs(b.loadMs), change(a.loadMs, b.loadMs, true)]);
  } else {
    rows.push(['size ratio', '1', sizeRatio.toFixed(2), '']);
  }
  return rows;
}

function outputRow(x: OutputAgreement, minCosine: number): string[] {
  const agree = [x.top1Agreement !== undefined ? `top-1 ${pct(x.top1Agreement)}` : '', x.top5Agreement !== undefined ? `top-5 ${pct(x.top5Agreement)}` : '',
    x.tokenAgreement !== undefined ? `tokens ${pct(x.tokenAgreement)}` : ''].filter(Boolean).join(' · ') || '–';
  return [`<code>${esc(x.name)}</code>`, `[${x.dims.join(', ')}]`, `<span class="${x.cosine >= minCosine ? 'ok' : 'bad'}">${x.cosine.toFixed(5)}</span>`, num(x.maxAbsError), num(x.meanAbsError), agree];
}

/** A decoder's greedy generations, prompt by prompt: agreement, first divergence, logits cosine before it. */
function generationSection(g: GenerationAgreement, goal: number): string {
  const rows = g.perPrompt.map((p, i) => [String(i + 1), String(p.promptTokens), `<span class="${p.agreement >= goal ? 'ok' : 'bad'}">${pct(p.agreement)}</span>`,
    p.firstDivergence === null ? '–' : String(p.firstDivergence), p.logitsCosine.toFixed(5)]);
  return section('generation', 'Generated tokens', table(`Greedy, ${g.newTokens} steps after each prompt: ${pct(g.tokenAgreement)} of the tokens agree (goal ${pct(goal)})`,
    ['prompt', 'ids', 'tokens agree', 'first divergence', 'logits cosine'], rows, [], [false, true, true, true, true]),
  'the logits are compared over the steps both models took on the same tokens');
}

function abBody(doc: AbDoc): string {
  const r: AbReport = doc.ab;
  const out: string[] = [];
  const good = r.verdict === 'ship it' || r.verdict.startsWith('accurate');
  out.push(`<p class="meta">A <code>${esc(base(r.a))}</code> · B <code>${esc(base(r.b))}</code> · ${r.samples} ${esc(r.inputs)} sample${r.samples === 1 ? '' : 's'} · goals: cosine ≥ ${r.thresholds.minCosine}, speed-up ≥ ${r.thresholds.minSpeedup}×</p>`);
  out.push(`<div class="verdict ${good ? 'ok' : 'bad'}" role="status"><strong>${esc(r.verdict)}</strong>${r.speedup !== undefined ? ` · ${r.speedup.toFixed(2)}× ${r.perfA?.decode ? 'decode tokens/s' : 'p50'}` : ''} · size ${r.sizeRatio.toFixed(2)}× · ${r.generation ? `tokens agree ${pct(r.generation.tokenAgreement)}` : `min cosine ${r.minCosine.toFixed(5)}`}</div>`);
  if (r.perfA && r.perfB) {
    const a = r.perfA, b = r.perfB;
    const bars = barsSvg([{ label: 'A p50', value: a.p50Ms }, { label: 'B p50', value: b.p50Ms }, { label: 'A p95', value: a.p95Ms }, { label: 'B p95', value: b.p95Ms }],
      { label: `Latency A vs B: p50 ${formatMs(a.p50Ms)} vs ${formatMs(b.p50Ms)}`, unit: 'ms' });
    out.push(section('side-by-side', 'Side by side', `<div class="pair">${table('A and B', ['', 'A (original)', 'B', 'B / A'], perfRows(a, b, r.sizeRatio), [], [false, true, true, true])}${bars}</div>`));
  } else {
    out.push(section('side-by-side', 'Side by side', table('A and B', ['', 'A (original)', 'B', 'B / A'], perfRows(undefined, undefined, r.sizeRatio)), 'speed not measured'));
  }
  out.push(section('outputs', 'Output agreement', table('Per output, over all samples', ['output', 'shape', 'cosine', 'max |error|', 'mean |error|', 'agreement'],
    r.outputs.map((x) => outputRow(x, r.thresholds.minCosine)), [], [false, false, true, true, true, false])));
  if (r.generation) out.push(generationSection(r.generation, r.thresholds.minTokenAgreement));
  if (r.explanation.length) out.push(section('reasons', 'Why', `<ul>${r.explanation.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`));
  const c = doc.conversion;
  if (c) {
    const ops = Object.entries(c.convertedByOp).map(([k, v]) => `${esc(k)} ${v}`).join(', ') || 'none';
    out.push(section('conversion', 'Conversion', `<p>${esc(c.method)}: ${c.nodesConverted} nodes converted (${ops}); ${formatBytesShort(c.bytesBefore)} → ${formatBytesShort(c.bytesAfter)} in ${num(c.seconds)} s; written to <code>${esc(base(c.output))}</code></p>` +
      (c.notes.length ? `<ul>${c.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '')));
  }
  return out.join('\n');
}
