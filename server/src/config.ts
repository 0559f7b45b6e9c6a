/**
 * Configuration, read in one place: editor settings (`inferenceLens.*`) merged under the
 * workspace's `inference-lens.json`, which wins so that CI and every editor agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Severity } from './rules/types';
import { CostSettings, mergeCostSettings, parseCostSettings } from './cost/settings';
import { BenchSettings, parseBenchSettings } from './bench/settings';

export type RuleSetting = Severity | 'off';

export interface Config {
  /** rule id → severity or off */
  rules: Record<string, RuleSetting>;
  /** symbolic dim name → value */
  dims: Record<string, number>;
  /** `instance`, `instances`, `traffic`, `utilization`, `budgets` (top-level keys): see cost/settings.ts */
  cost: CostSettings;
  /** benchmark defaults (bench/settings.ts) */
  bench: BenchSettings;
}

export const CONFIG_FILE = 'inference-lens.json';

export function defaultConfig(): Config {
  return { rules: {}, dims: {}, cost: {}, bench: {} };
}

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint', 'off']);

/** Validates a raw settings object; unknown or wrong-typed entries are reported, not fatal. */
export function parseConfig(raw: unknown, source: string, problems: string[] = []): Partial<Config> {
  const out: Partial<Config> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${source}: expected an object`);
    return out;
  }
  const r = raw as Record<string, unknown>;
  if (r.rules !== undefined) {
    out.rules = {};
    if (typeof r.rules !== 'object' || r.rules === null) problems.push(`${source}: "rules" must be an object`);
    else for (const [id, v] of Object.entries(r.rules)) {
      if (typeof v === 'string' && SEVERITIES.has(v)) out.rules[id] = v as RuleSetting;
      else problems.push(`${source}: rules.${id} must be one of ${[...SEVERITIES].join(', ')}`);
    }
  }
  if (r.dims !== undefined) {
    out.dims = {};
    if (typeof r.dims !== 'object' || r.dims === null) problems.push(`${source}: "dims" must be an object`);
    else for (const [k, v] of Object.entries(r.dims)) {
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) out.dims[k] = v;
      else problems.push(`${source}: dims.${k} must be a positive integer`);
    }
  }
  const cost = parseCostSettings(r, source, problems);
  if (cost) out.cost = cost;
  if (r.bench !== undefined) out.bench = parseBenchSettings(r.bench, source, problems);
  return out;
}

export function mergeConfig(...layers: Partial<Config>[]): Config {
  const c = defaultConfig();
  for (const l of layers) {
    if (l.rules) Object.assign(c.rules, l.rules);
    if (l.dims) Object.assign(c.dims, l.dims);
    if (l.cost) c.cost = mergeCostSettings(c.cost, l.cost);
    if (l.bench) Object.assign(c.bench, l.bench);
  }
  return c;
}

/** Reads `inference-lens.json` from `dir` if present. */
export function readWorkspaceConfig(dir: string, problems: string[] = []): Partial<Config> {
  const file = path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return parseConfig(JSON.parse(text), file, problems);
  } catch (e) {
    problems.push(`${file}: ${(e as Error).message}`);
    return {};
  }
}

/** The workspace config that applies to `file`: the nearest inference-lens.json above it. */
export function findWorkspaceConfigDir(file: string): string | undefined {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, CONFIG_FILE))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
