/**
 * A report's numbers as one long CSV table (section, name, metric, value): every figure the page
 * shows, one per row, so a spreadsheet or pandas pivots it as it likes. Pure.
 */
import type { ReportDoc } from './document';

type Row = [string, string, string, number | string];

/** RFC 4180 quoting: fields with a comma, quote or newline are quoted, quotes doubled. */
export function csvField(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(doc: ReportDoc): string {
  const rows: Row[] = [];
  if (doc.kind === 'bench') {
    const r = doc.result;
    for (const [k, v] of Object.entries(r.latencyMs)) rows.push(['latency', 'ms', k, v]);
    rows.push(['throughput', 'per second', 'inferences', r.throughput.inferencesPerSec], ['throughput', 'per second', 'items', r.throughput.itemsPerSec]);
    r.trace?.warmupMs.forEach((v, i) => rows.push(['run', `warmup ${i + 1}`, 'ms', v]));
    r.trace?.samplesMs.forEach((v, i) => rows.push(['run', String(i * r.trace!.stride + 1), 'ms', v]));
    for (const p of r.sweep?.points ?? []) {
      if (p.error) { rows.push([`${r.sweep!.kind} sweep`, String(p.value), 'error', p.error]); continue; }
      rows.push([`${r.sweep!.kind} sweep`, String(p.value), 'p50 ms', p.latencyMs.p50], [`${r.sweep!.kind} sweep`, String(p.value), 'p95 ms', p.latencyMs.p95],
        [`${r.sweep!.kind} sweep`, String(p.value), 'inferences/s', p.throughput.inferencesPerSec], [`${r.sweep!.kind} sweep`, String(p.value), 'items/s', p.throughput.itemsPerSec]);
    }
    for (const o of r.profile?.topOps ?? []) rows.push(['op', o.opType, 'ms', o.totalMs], ['op', o.opType, 'share', o.share], ['op', o.opType, 'count', o.count]);
    for (const n of r.profile?.nodes ?? []) rows.push(['node', n.name, 'ms', n.ms], ['node', n.name, 'share', n.share], ...(n.line !== undefined ? [['node', n.name, 'line', n.line + 1] as Row] : []));
    for (const i of doc.cost?.instances ?? []) {
      rows.push(['cost', i.instance, 'p95 ms', i.p95Ms], ['cost', i.instance, '$ per 1k', i.per1k], ['cost', i.instance, '$ per month', i.perMonth],
        ['cost', i.instance, 'basis', i.basis], ['cost', i.instance, 'chosen', i.instance === doc.cost!.instance ? 1 : 0], ['cost', i.instance, 'meets p95 budget', i.meetsBudget ? 1 : 0]);
    }
  } else {
    const r = doc.ab;
    for (const [side, p] of [['A', r.perfA], ['B', r.perfB]] as const) {
      if (p) for (const [k, v] of Object.entries(p)) {
        if (typeof v === 'object') for (const [k2, v2] of Object.entries(v)) rows.push(['perf', side, `${k}.${k2}`, v2 as number]);
        else rows.push(['perf', side, k, v]);
      }
    }
    const g = r.generation;
    if (g) {
      rows.push(['generation', 'all prompts', 'tokenAgreement', g.tokenAgreement], ['generation', 'all prompts', 'logitsCosine', g.logitsCosine], ['generation', 'all prompts', 'minStepCosine', g.minStepCosine]);
      g.perPrompt.forEach((p, i) => rows.push(['generation', `prompt ${i + 1}`, 'tokenAgreement', p.agreement], ['generation', `prompt ${i + 1}`, 'firstDivergence', p.firstDivergence ?? ''],
        ['generation', `prompt ${i + 1}`, 'logitsCosine', p.logitsCosine]));
    }
    rows.push(['ab', 'B vs A', 'size ratio', r.sizeRatio], ['ab', 'B vs A', 'speedup p50', r.speedup ?? ''], ['ab', 'B vs A', 'verdict', r.verdict]);
    for (const o of r.outputs) {
      for (const k of ['cosine', 'maxAbsError', 'meanAbsError', 'top1Agreement', 'top5Agreement', 'tokenAgreement'] as const) {
        if (o[k] !== undefined) rows.push(['output', o.name, k, o[k]!]);
      }
    }
  }
  return ['section,name,metric,value', ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
}
