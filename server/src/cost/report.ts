/**
 * One model's cost on the configured instance, assembled from plain inputs (work figures, the
 * configuration, an optional measurement): what hovers, CodeLens, budget rules and the CLI show.
 * Pure: the callers read files and benchmark caches.
 */
import { buildCatalog, findInstance, Instance } from './catalog';
import type { WorkFigures } from './figures';
import {
  Basis, cheapest, costOf, CostFigures, estimatePerformance, fp16Change, int8Change, Option, Performance, priceAll, QuantizedChange,
} from './model';
import { Budgets, resolveCostSettings, ResolvedCostSettings } from './settings';
import type { Config } from '../config';
import type { GenerationResult } from '../bench/types';
import { TokenCost, tokenCost } from './tokens';

export interface CostReport {
  instance: Instance;
  settings: ResolvedCostSettings;
  work: WorkFigures;
  perf: Performance;
  cost: CostFigures;
  /** cheapest catalog instance meeting the p95 budget at the traffic (any instance when no budget) */
  cheapest?: Option;
  /** every catalog instance priced for this model (the report's cost table) */
  options: Option[];
  /** what int8 quantization would change; absent on a model already quantized */
  int8?: QuantizedChange;
  /** what float16 would change; only on instances with a faster fp16 peak, for a float32 model */
  fp16?: QuantizedChange;
  /** the estimate rests on incomplete work figures: its latency and $ are lower bounds */
  incomplete?: string;
  /** a decoder: $ per 1M input and output tokens (measured after `bench --generate`, else the roofline per phase) */
  tokens?: TokenCost;
}

export type CostResult = { report: CostReport } | { error: string };

export function costReport(work: WorkFigures, config: Config, measured?: Performance, measuredTokens?: GenerationResult): CostResult {
  const settings = resolveCostSettings(config.cost);
  const catalog = buildCatalog(settings.instances);
  const instance = findInstance(catalog, settings.instance);
  if (!instance) return { error: `unknown instance "${settings.instance}" (set "instance" to one of: ${catalog.map((i) => i.id).join(', ')}, or add it under "instances")` };
  if (!measured && work.macs === undefined) return { error: 'no estimate: the model\'s MACs could not be counted (unknown shapes?); benchmark it for measured figures' };
  const perf = measured ?? estimatePerformance(work, instance);
  const { utilization, traffic, budgets } = settings;
  const cost = costOf(perf, instance, utilization, traffic);
  const options = priceAll(work, catalog, instance, measured, utilization, traffic, budgets.p95Ms);
  const int8 = int8Change(perf, work, instance, utilization, traffic);
  const fp16 = fp16Change(perf, work, instance, utilization, traffic);
  const incomplete = !measured && work.incomplete ? `${work.incomplete.nodes} nodes of unknown shape (${work.incomplete.reason})` : undefined;
  return {
    report: {
      instance, settings, work, perf, cost, cheapest: cheapest(options), options,
      ...(int8 && { int8 }), ...(fp16 && { fp16 }),
      ...(incomplete && { incomplete }),
      ...(work.generation && { tokens: tokenCost(work.generation, { weightBytes: work.weightBytes, nodes: work.nodes }, instance, utilization, measuredTokens) }),
    },
  };
}

/** The shape `analyze` (files[].model.cost) and `bench` (cost) print in JSON. */
export interface CostJson {
  instance: string;
  pricePerHour: number;
  utilization: number;
  per1k: number;
  perMonth: number;
  instancesNeeded: number;
  basis: Basis;
  latencyMs: { p50: number; p95: number };
  inferencesPerSec: number;
  traffic: { requestsPerSec: number; hoursPerDay: number };
  energyWhPer1k?: number;
  cheapest?: { instance: string; per1k: number; perMonth: number; p95Ms: number; basis: Basis };
  /** absent on a model already quantized */
  int8Estimate?: ChangeJson;
  /** present only where fp16 applies (an instance with a faster fp16 peak, a float32 model) */
  fp16Estimate?: ChangeJson;
  /** present when the estimate is a lower bound: what it leaves out */
  incomplete?: string;
  /** decoders: $ per 1M prompt tokens (prefill) and per 1M generated tokens (decode), basis in `tokens` */
  per1MInputTokens?: number;
  per1MOutputTokens?: number;
  tokens?: TokenCost;
  /** the p95 budget the instances are checked against, when one is set */
  p95BudgetMs?: number;
  /** every catalog instance priced for this model at the same traffic and utilisation */
  instances?: InstanceCostJson[];
}

export interface ChangeJson { speedup: number; p95Ms: number; per1k: number; perMonth: number; modelBytes: number }

function changeJson(c: QuantizedChange): ChangeJson {
  return { speedup: c.speedup, p95Ms: c.perf.p95Ms, per1k: c.cost.per1k, perMonth: c.cost.perMonth, modelBytes: c.modelBytes };
}

export interface InstanceCostJson {
  instance: string;
  provider: string;
  pricePerHour: number;
  p95Ms: number;
  per1k: number;
  perMonth: number;
  instancesNeeded: number;
  basis: Basis;
  meetsBudget: boolean;
}

export function costJson(r: CostReport): CostJson {
  return {
    instance: r.instance.id, pricePerHour: r.instance.pricePerHour, utilization: r.cost.utilization,
    per1k: r.cost.per1k, perMonth: r.cost.perMonth, instancesNeeded: r.cost.instancesNeeded, basis: r.perf.basis,
    latencyMs: { p50: r.perf.p50Ms, p95: r.perf.p95Ms }, inferencesPerSec: r.perf.inferencesPerSec,
    traffic: r.settings.traffic, energyWhPer1k: r.cost.energyWhPer1k,
    cheapest: r.cheapest && { instance: r.cheapest.instance.id, per1k: r.cheapest.cost.per1k, perMonth: r.cheapest.cost.perMonth, p95Ms: r.cheapest.perf.p95Ms, basis: r.cheapest.perf.basis },
    ...(r.int8 && { int8Estimate: changeJson(r.int8) }),
    ...(r.fp16 && { fp16Estimate: changeJson(r.fp16) }),
    ...(r.incomplete && { incomplete: r.incomplete }),
    ...(r.tokens && { per1MInputTokens: r.tokens.per1MInputTokens, per1MOutputTokens: r.tokens.per1MOutputTokens, tokens: r.tokens }),
    ...(r.settings.budgets.p95Ms !== undefined && { p95BudgetMs: r.settings.budgets.p95Ms }),
    instances: r.options.map((o) => ({
      instance: o.instance.id, provider: o.instance.provider, pricePerHour: o.instance.pricePerHour, p95Ms: o.perf.p95Ms,
      per1k: o.cost.per1k, perMonth: o.cost.perMonth, instancesNeeded: o.cost.instancesNeeded, basis: o.perf.basis, meetsBudget: o.meetsBudget,
    })),
  };
}

/** `$0.012 / 1M input tokens · $0.85 / 1M output tokens (estimate) · 96 sequences of 256 tokens fit`. */
export function tokenText(t: TokenCost, contextLength?: number): string {
  return `${formatUsd(t.per1MInputTokens)} / 1M input tokens · ${formatUsd(t.per1MOutputTokens)} / 1M output tokens (${t.basis}; ` +
    `${Math.round(t.inputTokensPerSec)} prompt tok/s, ${t.outputTokensPerSec.toFixed(t.outputTokensPerSec >= 100 ? 0 : 1)} generated tok/s)` +
    ` · ${t.sequencesThatFit} sequence${t.sequencesThatFit === 1 ? '' : 's'}${contextLength ? ` of ${contextLength} tokens` : ''} fit in ${formatBytesShort(t.memoryBytes)}`;
}

// ---- budgets ----

export interface BudgetViolation {
  budget: keyof Budgets;
  limit: number;
  actual: number;
  basis: Basis;
  message: string;
  /** the budget could not be checked (an incomplete estimate): `actual` is a lower bound */
  unchecked?: boolean;
}

export function checkBudgets(r: CostReport): BudgetViolation[] {
  const b = r.settings.budgets;
  const out: BudgetViolation[] = [];
  const on = ` on ${r.instance.id}`;
  const over = (k: keyof Budgets, actual: number, fmt: (n: number) => string, what: string, basis: Basis, where = on): void => {
    const limit = b[k];
    if (limit === undefined) return;
    if (r.incomplete && k !== 'modelBytes') {
      // A lower bound over the limit is a violation; under it, the budget is simply not known to hold.
      if (actual <= limit) {
        out.push({
          budget: k, limit, actual, basis, unchecked: true,
          message: `the ${k} budget of ${fmt(limit)} could not be checked: the estimate (${what} ≥ ${fmt(actual)}) leaves out ${r.incomplete}; benchmark the model or set its dims`,
        });
        return;
      }
    }
    if (actual <= limit) return;
    const pct = ((actual - limit) / limit) * 100;
    out.push({
      budget: k, limit, actual, basis,
      message: `${what} ${r.incomplete && k !== 'modelBytes' ? '≥ ' : ''}${fmt(actual)} (${basis === 'measured' ? 'measured' : 'estimate'})${where} exceeds the ${k} budget of ${fmt(limit)} by ${fmt(actual - limit)} (+${pct.toFixed(0)}%)`,
    });
  };
  over('p95Ms', r.perf.p95Ms, formatMs, 'p95 latency', r.perf.basis);
  over('costPer1k', r.cost.per1k, formatUsd, '$ per 1k inferences', r.perf.basis);
  over('monthlyCost', r.cost.perMonth, formatUsd, `$ per month at ${r.settings.traffic.requestsPerSec} req/s`, r.perf.basis, `${on} (${r.cost.instancesNeeded} instance${r.cost.instancesNeeded > 1 ? 's' : ''})`);
  // model size is read from the file, not measured or estimated: report it as measured
  over('modelBytes', r.work.weightBytes, formatBytesShort, 'weights', 'measured', '');
  const alt = r.cheapest && r.cheapest.instance.id !== r.instance.id ? r.cheapest : undefined;
  for (const v of out) {
    if (v.unchecked) continue;
    if (v.budget === 'modelBytes') v.message = v.message.replace(' (measured)', '');
    else if (alt) v.message += `; cheapest instance meeting the p95 budget: ${alt.instance.id} (${formatUsd(alt.cost.per1k)} / 1k, p95 ${formatMs(alt.perf.p95Ms)}, ${alt.perf.basis})`;
  }
  return out;
}

// ---- formatting ----

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** Dollars with 2 significant digits below $1 (costs per 1k are often fractions of a cent). */
export function formatUsd(n: number): string {
  if (n >= 100) return `$${Math.round(n).toLocaleString('en-US')}`;
  if (n >= 1) return `$${n.toFixed(2)}`;
  if (n === 0) return '$0';
  return `$${n.toPrecision(2).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')}`;
}

export function formatBytesShort(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function formatCountShort(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** The CodeLens title: "p95 12.3 ms · $0.004 / 1k · c7i.xlarge" (+ " (est.)"). */
export function lensTitle(r: CostReport): string {
  const ge = r.incomplete ? '≥ ' : '';
  return `p95 ${ge}${formatMs(r.perf.p95Ms)} · ${ge}${formatUsd(r.cost.per1k)} / 1k · ${r.instance.id}${r.incomplete ? ' (est., incomplete)' : r.perf.basis === 'estimate' ? ' (est.)' : ''}`;
}

/** What the figures rest on, in a few words: "measured 2026-03-01 14:02, batch 1, …" or "roofline estimate". */
export function basisText(r: CostReport): string {
  if (r.perf.basis === 'measured') return r.perf.note ?? 'measured';
  return `${r.incomplete ? 'incomplete ' : ''}estimate (${r.perf.note ?? 'roofline'}; benchmark for measured figures)`;
}

/**
 * Hover markdown: the three numbers that matter first (p95, $ per 1k, $ per month) and their basis,
 * then the figures, the formula with this instance's numbers, the recommendation.
 */
export function costMarkdown(name: string, r: CostReport): string {
  const est = r.perf.basis === 'estimate';
  const tag = est ? ' *(estimate)*' : ' *(measured)*';
  const { traffic, utilization } = r.settings;
  const L: string[] = [];
  const ge = r.incomplete ? '≥ ' : '';
  L.push(`### p95 ${ge}${formatMs(r.perf.p95Ms)} · ${ge}${formatUsd(r.cost.per1k)} / 1k · ${ge}${formatUsd(r.cost.perMonth)} / month`);
  L.push('');
  L.push(`*${basisText(r)}*`);
  L.push('');
  L.push(`**${name}** on **${r.instance.id}** (${r.instance.provider} ${r.instance.region}, $${r.instance.pricePerHour}/h)`);
  L.push('');
  L.push(`${formatCountShort(r.work.params)} params · ${r.work.macs !== undefined ? `${r.incomplete ? '≥ ' : ''}${formatCountShort(r.work.macs)} MACs` : 'MACs unknown'} · ${formatBytesShort(r.work.weightBytes)} weights`);
  L.push('');
  if (r.incomplete) {
    L.push(`⚠ **Incomplete estimate**: it leaves out ${r.incomplete}. Latency and $ below are lower bounds; benchmark the model or set its dims.`);
    L.push('');
  }
  L.push(`| on ${r.instance.id} | ${r.perf.basis} |`);
  L.push('| --- | --- |');
  const p95Budget = r.settings.budgets.p95Ms;
  const over = p95Budget !== undefined && r.perf.p95Ms > p95Budget ? ` ⚠ over the ${formatMs(p95Budget)} budget` : '';
  L.push(`| latency${tag} | p50 ${formatMs(r.perf.p50Ms)} · p95 ${formatMs(r.perf.p95Ms)}${over} |`);
  L.push(`| throughput | ${r.perf.inferencesPerSec.toFixed(r.perf.inferencesPerSec >= 100 ? 0 : 1)} / s per instance |`);
  L.push(`| **$ per 1k** | **${formatUsd(r.cost.per1k)}** at ${Math.round(utilization * 100)}% utilisation |`);
  L.push(`| $ per month | ${formatUsd(r.cost.perMonth)}: ${r.cost.instancesNeeded} × ${r.instance.id} for ${traffic.requestsPerSec} req/s, ${traffic.hoursPerDay} h/day |`);
  if (r.cost.energyWhPer1k !== undefined) L.push(`| energy *(estimate)* | ${r.cost.energyWhPer1k.toPrecision(2)} Wh per 1k (${r.instance.power!.watts} W) |`);
  L.push('');
  // The basis (estimate or when measured) is the hover's second line: not repeated here.
  L.push(`$ per 1k = 1000 / (${r.perf.inferencesPerSec.toPrecision(3)}/s × ${utilization}) × $${r.instance.pricePerHour} / 3600`);
  L.push('');
  const p95 = r.settings.budgets.p95Ms;
  if (r.cheapest) {
    const c = r.cheapest;
    const same = c.instance.id === r.instance.id;
    L.push(`Cheapest${p95 !== undefined ? ` meeting p95 ≤ ${formatMs(p95)}` : ''}: **${c.instance.id}**${same ? ' (this one)' : ''} · ${formatUsd(c.cost.per1k)} / 1k · ${formatUsd(c.cost.perMonth)} / month · p95 ${formatMs(c.perf.p95Ms)}${c.perf.basis === 'estimate' ? ' (est.)' : ''}`);
  } else if (p95 !== undefined) {
    L.push(`No catalog instance meets p95 ≤ ${formatMs(p95)} at batch 1.`);
  }
  if (r.tokens) {
    L.push('');
    L.push(`Per token (prompt ${r.work.generation!.settings.promptTokens}, batch ${r.work.generation!.settings.batch}): ${tokenText(r.tokens, r.work.generation!.settings.contextLength)}`);
  }
  for (const [what, c] of [['int8 quantization', r.int8], ['float16', r.fp16]] as const) {
    if (!c) continue;
    L.push('');
    L.push(`${what} *(estimate, ×${c.speedup})*: p95 ${formatMs(c.perf.p95Ms)} · ${formatUsd(c.cost.per1k)} / 1k · weights ${formatBytesShort(c.modelBytes)}`);
  }
  return L.join('\n');
}
