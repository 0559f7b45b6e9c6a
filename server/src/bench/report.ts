/**
 * A BenchResult as people read it: a plain-text table (CLI, output channel) and markdown (hovers,
 * the client's preview). Pure formatting; the JSON is the result itself.
 */
import * as path from 'path';
import { formatAge } from './cache';
import { formatBytes } from '../onnx/summary';
import type { BenchResult, GenerationResult, LatencyStats, SweepPoint } from './types';

const ms = (v: number): string => (!Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const pct = (f: number): string => `${(f * 100).toFixed(1)} %`;
const rate = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Left-aligned first column, right-aligned numbers. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

function isaText(r: BenchResult): string {
  const f = r.machine.isa;
  const on = [f.avx2 && 'AVX2', f.avx512 && 'AVX-512', f.vnni && 'VNNI', f.amx && 'AMX', f.neon && 'NEON'].filter(Boolean);
  return on.length ? on.join(' ') : 'no AVX2/AVX-512/NEON';
}

const LAT_HEAD = ['min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean', 'stdev', 'cv'];
const latRow = (label: string, l: LatencyStats): string[] => [label, ms(l.min), ms(l.p50), ms(l.p90), ms(l.p95), ms(l.p99), ms(l.p999), ms(l.max), ms(l.mean), ms(l.stdev), pct(l.cv)];

function sweepRows(kind: string, points: SweepPoint[]): string[][] {
  return [[kind, 'runs', 'p50 ms', 'p95 ms', 'inferences/s', 'items/s'], ...points.map((p) => p.error
    ? [String(p.value), '-', '-', '-', '-', p.error]
    : [String(p.value), String(p.runs), ms(p.latencyMs.p50), ms(p.latencyMs.p95), rate(p.throughput.inferencesPerSec), rate(p.throughput.itemsPerSec)])];
}

/** A generation's figures: TTFT, inter-token latency, tokens/s, KV cache, the ids (latency rows above are per decode step). */
function generationText(g: GenerationResult): string[] {
  const ids = g.generatedIds.length > 16 ? `${g.generatedIds.slice(0, 16).join(' ')} …` : g.generatedIds.join(' ');
  return [
    `generation  prompt ${g.promptTokens} tokens, ${g.newTokens} decode steps, batch ${g.batch}, ${g.generations} generations`,
    `            TTFT p50 ${ms(g.ttftMs.p50)} ms, p95 ${ms(g.ttftMs.p95)} ms; inter-token p50 ${ms(g.interTokenMs.p50)} ms, p95 ${ms(g.interTokenMs.p95)} ms, p99 ${ms(g.interTokenMs.p99)} ms`,
    `            ${rate(g.tokensPerSec)} tokens/s (decode); KV cache ${formatBytes(g.kvCacheBytes)}; ids ${ids}`,
    ...(g.profile ? (['prefill', 'decode'] as const).map((phase) => `            hot ops, ${phase} (per ${phase === 'prefill' ? 'call' : 'step'}): ` +
      g.profile![phase].topOps.slice(0, 5).map((op) => `${op.opType} ${ms(op.totalMs)} ms (${pct(op.share)})`).join(', ')) : []),
  ];
}

export function formatText(r: BenchResult, maxNodes = 10): string {
  const out: string[] = [];
  const inputs = r.inputs.map((i) => `${i.name} ${i.type}[${i.dims.join(',')}] (${i.fill})`).join(', ');
  out.push(`${path.basename(r.model.path)}  sha256 ${r.model.sha256.slice(0, 12)}  ep ${r.ep}  batch ${r.batch}  onnxruntime ${r.ortVersion}`);
  out.push(`machine   ${r.machine.cpuModel}, ${r.machine.cores} cores, ${isaText(r)}`);
  out.push(`inputs    ${inputs}`);
  out.push(`session   created in ${ms(r.sessionCreateMs)} ms; ${r.runs} runs in ${(r.measureMs / 1000).toFixed(2)} s after ${r.warmupRuns} warm-up runs${r.concurrency > 1 ? `, ${r.concurrency} in flight` : ''}`);
  if (r.cachedAgeS !== undefined) out.push(`cached    measured ${formatAge(r.cachedAgeS)} (${r.measuredAt})`);
  out.push('');
  out.push(...table([['latency ms', ...LAT_HEAD], latRow('', r.latencyMs)]));
  out.push('');
  out.push(`throughput  ${rate(r.throughput.inferencesPerSec)} inferences/s, ${rate(r.throughput.itemsPerSec)} items/s`);
  if (r.generation) out.push(...generationText(r.generation));
  out.push(`memory      peak RSS ${mib(r.peakRssBytes)} (child process), growth across runs ${r.rssGrowthBytes >= 0 ? '+' : ''}${mib(r.rssGrowthBytes)}`);
  if (r.sweep) {
    out.push('', `${r.sweep.kind} sweep`);
    out.push(...table(sweepRows(r.sweep.kind, r.sweep.points)).map((l) => `  ${l}`));
  }
  if (r.profile) {
    const p = r.profile;
    out.push('', `hot ops (per inference, ${p.runs} profiled runs; nodes ${ms(p.nodeTotalMs)} ms of ${ms(p.modelRunMs)} ms run)`);
    out.push(...table([['op', 'count', 'ms', 'share'], ...p.topOps.map((o) => [o.opType, String(o.count), ms(o.totalMs), pct(o.share)])]).map((l) => `  ${l}`));
    out.push('', `hot nodes (top ${Math.min(maxNodes, p.nodes.length)} of ${p.nodes.length})`);
    out.push(...table([['node', 'op', 'ms', 'share', 'line'], ...p.nodes.slice(0, maxNodes).map((n) => [n.name, n.opType, ms(n.ms), pct(n.share), n.line === undefined ? '' : String(n.line + 1)])]).map((l) => `  ${l}`));
  }
  if (r.warnings.length) out.push('', 'warnings', ...r.warnings.map((w) => `  ! ${w}`));
  return out.join('\n');
}

export function formatMarkdown(r: BenchResult, maxNodes = 15): string {
  const out: string[] = [];
  const l = r.latencyMs;
  out.push(`### ${r.kind === 'profile' ? 'Profile' : 'Benchmark'}: ${path.basename(r.model.path)}`);
  out.push('', `${r.ep} · batch ${r.batch} · onnxruntime ${r.ortVersion} · ${r.machine.cpuModel} (${r.machine.cores} cores, ${isaText(r)})` +
    (r.cachedAgeS !== undefined ? ` · measured ${formatAge(r.cachedAgeS)}` : ''));
  out.push('', '| p50 | p90 | p95 | p99 | p99.9 | min | max | mean | cv |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  out.push(`| ${[l.p50, l.p90, l.p95, l.p99, l.p999, l.min, l.max, l.mean].map((v) => `${ms(v)} ms`).join(' | ')} | ${pct(l.cv)} |`);
  if (r.generation) out.push('', ...generationText(r.generation).map((line) => `${line.trim()}  `));
  out.push('', `**${rate(r.throughput.inferencesPerSec)}** inferences/s (${rate(r.throughput.itemsPerSec)} items/s) over ${r.runs} runs · session created in ${ms(r.sessionCreateMs)} ms · peak RSS ${mib(r.peakRssBytes)}, growth ${mib(r.rssGrowthBytes)}`);
  if (r.sweep) {
    out.push('', `#### ${r.sweep.kind} sweep`, '', `| ${r.sweep.kind} | p50 ms | p95 ms | inferences/s | items/s |`, '| ---: | ---: | ---: | ---: | ---: |');
    for (const p of r.sweep.points) out.push(p.error ? `| ${p.value} | ${p.error} | | | |` : `| ${p.value} | ${ms(p.latencyMs.p50)} | ${ms(p.latencyMs.p95)} | ${rate(p.throughput.inferencesPerSec)} | ${rate(p.throughput.itemsPerSec)} |`);
  }
  if (r.profile) {
    out.push('', '#### Hot ops (per inference)', '', '| op | count | ms | share |', '| --- | ---: | ---: | ---: |');
    for (const o of r.profile.topOps) out.push(`| ${o.opType} | ${o.count} | ${ms(o.totalMs)} | ${pct(o.share)} |`);
    out.push('', '#### Hot nodes', '', '| node | op | ms | share |', '| --- | --- | ---: | ---: |');
    for (const n of r.profile.nodes.slice(0, maxNodes)) out.push(`| \`${n.name}\` | ${n.opType} | ${ms(n.ms)} | ${pct(n.share)} |`);
  }
  if (r.warnings.length) out.push('', ...r.warnings.map((w) => `> ⚠ ${w}`));
  return out.join('\n');
}
