/**
 * The cost settings (`instance`, `instances`, `traffic`, `utilization`, `budgets`), validated.
 * config.ts calls these so settings and inference-lens.json stay read in one place; every field is
 * optional here and `resolveCostSettings` fills in the defaults.
 */
import { InstanceOverride, validateInstanceOverride } from './catalog';

export interface Traffic {
  /** sustained requests per second the service must serve */
  requestsPerSec: number;
  /** hours per day the service runs (24 = always on) */
  hoursPerDay: number;
}

export interface Budgets {
  p95Ms?: number;
  costPer1k?: number;
  monthlyCost?: number;
  modelBytes?: number;
}

export interface CostSettings {
  /** catalog id of the instance the model is served on */
  instance?: string;
  /** user instances: new ids are added, known ids are overridden field by field */
  instances?: Record<string, InstanceOverride>;
  traffic?: Partial<Traffic>;
  /** share of an instance's measured throughput it is run at (0 < u ≤ 1) */
  utilization?: number;
  budgets?: Budgets;
}

export interface ResolvedCostSettings {
  instance: string;
  instances: Record<string, InstanceOverride>;
  traffic: Traffic;
  utilization: number;
  budgets: Budgets;
}

export const DEFAULT_INSTANCE = 'c7i.xlarge';
/** The sustained load operators typically aim for, leaving headroom for bursts. */
export const DEFAULT_UTILIZATION = 0.7;
export const DEFAULT_TRAFFIC: Traffic = { requestsPerSec: 10, hoursPerDay: 24 };

export function resolveCostSettings(s: CostSettings): ResolvedCostSettings {
  return {
    instance: s.instance ?? DEFAULT_INSTANCE,
    instances: s.instances ?? {},
    traffic: { ...DEFAULT_TRAFFIC, ...s.traffic },
    utilization: s.utilization ?? DEFAULT_UTILIZATION,
    budgets: s.budgets ?? {},
  };
}

const BUDGET_KEYS = ['p95Ms', 'costPer1k', 'monthlyCost', 'modelBytes'] as const;

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Reads the cost keys of a settings object; returns undefined when it has none. */
export function parseCostSettings(r: Record<string, unknown>, source: string, problems: string[]): CostSettings | undefined {
  const out: CostSettings = {};
  let any = false;
  if (r.instance !== undefined) {
    any = true;
    if (typeof r.instance === 'string' && r.instance.trim()) out.instance = r.instance.trim();
    else problems.push(`${source}: "instance" must be an instance id such as "c7i.xlarge"`);
  }
  if (r.instances !== undefined) {
    any = true;
    out.instances = {};
    if (typeof r.instances !== 'object' || r.instances === null || Array.isArray(r.instances)) {
      problems.push(`${source}: "instances" must be an object of instance id → instance fields`);
    } else {
      for (const [id, v] of Object.entries(r.instances)) {
        const errs: string[] = [];
        const o = validateInstanceOverride(v, errs);
        if (errs.length || !o) problems.push(...errs.map((e) => `${source}: instances.${id}: ${e}`));
        else out.instances[id] = o;
      }
    }
  }
  if (r.traffic !== undefined) {
    any = true;
    const t = r.traffic as Record<string, unknown>;
    if (typeof t !== 'object' || t === null) problems.push(`${source}: "traffic" must be {"requestsPerSec": n, "hoursPerDay": n}`);
    else {
      out.traffic = {};
      if (t.requestsPerSec !== undefined) {
        if (positive(t.requestsPerSec)) out.traffic.requestsPerSec = t.requestsPerSec;
        else problems.push(`${source}: traffic.requestsPerSec must be a positive number`);
      }
      if (t.hoursPerDay !== undefined) {
        if (positive(t.hoursPerDay) && t.hoursPerDay <= 24) out.traffic.hoursPerDay = t.hoursPerDay;
        else problems.push(`${source}: traffic.hoursPerDay must be in (0, 24]`);
      }
      for (const k of Object.keys(t)) if (k !== 'requestsPerSec' && k !== 'hoursPerDay') problems.push(`${source}: traffic.${k} is not a setting`);
    }
  }
  if (r.utilization !== undefined) {
    any = true;
    if (positive(r.utilization) && r.utilization <= 1) out.utilization = r.utilization;
    else problems.push(`${source}: "utilization" must be a fraction in (0, 1], e.g. 0.7`);
  }
  if (r.budgets !== undefined) {
    any = true;
    const b = r.budgets as Record<string, unknown>;
    if (typeof b !== 'object' || b === null) problems.push(`${source}: "budgets" must be an object`);
    else {
      out.budgets = {};
      for (const [k, v] of Object.entries(b)) {
        if (!(BUDGET_KEYS as readonly string[]).includes(k)) problems.push(`${source}: budgets.${k} is not a budget (${BUDGET_KEYS.join(', ')})`);
        else if (!positive(v)) problems.push(`${source}: budgets.${k} must be a positive number`);
        else out.budgets[k as keyof Budgets] = v;
      }
    }
  }
  return any ? out : undefined;
}

/** Later layers win field by field; user instances merge per id. */
export function mergeCostSettings(a: CostSettings, b: CostSettings): CostSettings {
  const instances = { ...a.instances };
  for (const [id, o] of Object.entries(b.instances ?? {})) instances[id] = { ...instances[id], ...o };
  return {
    instance: b.instance ?? a.instance,
    instances: a.instances || b.instances ? instances : undefined,
    traffic: a.traffic || b.traffic ? { ...a.traffic, ...b.traffic } : undefined,
    utilization: b.utilization ?? a.utilization,
    budgets: a.budgets || b.budgets ? { ...a.budgets, ...b.budgets } : undefined,
  };
}
