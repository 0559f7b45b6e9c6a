/**
 * Configuration, read in one place: editor settings (`inferenceLens.*`) merged under the
 * workspace's `inference-lens.json`, which wins so that CI and every editor agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Severity } from './rules/types';
import { CostSettings, mergeCostSettings, parseCostSettings } from './cost/settings';
import { BenchSettings, parseBenchSettings } from './bench/settings';
import { GenerationSettings, parseGenerationSettings } from './onnx/generation';

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
  /** Quantization: A/B goal and what stays float (see quantize/). */
  quantize: QuantizeConfig;
  /** Decoders: prompt and output tokens, context length, batch of the two-phase analysis (onnx/generation.ts). */
  generation: GenerationSettings;
}

export interface QuantizeConfig {
  /** Every output must agree with the original at least this well (cosine similarity). */
  minCosine: number;
  /** p50 speed-up needed to call the converted model faster. */
  minSpeedup: number;
  /** Decoders: share of greedily generated tokens that must equal the original's (judged instead of minCosine). */
  minTokenAgreement: number;
  /** Node or weight names that stay float. */
  exclude: string[];
  /** Weights with fewer elements stay float. */
  minWeightElements: number;
}

export function defaultQuantizeConfig(): QuantizeConfig {
  return { minCosine: 0.99, minSpeedup: 1.1, minTokenAgreement: 0.9, exclude: [], minWeightElements: 16384 };
}

export const CONFIG_FILE = 'inference-lens.json';

export function defaultConfig(): Config {
  return { rules: {}, dims: {}, cost: {}, bench: {}, quantize: defaultQuantizeConfig(), generation: {} };
}

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint', 'off']);

/** Validates a raw settings object; unknown or wrong-typed entries are reported, not fatal. */
export type ConfigLayer = Partial<Omit<Config, 'quantize'>> & { quantize?: Partial<QuantizeConfig> };

export function parseConfig(raw: unknown, source: string, problems: string[] = []): ConfigLayer {
  const out: ConfigLayer = {};
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
  if (r.quantize !== undefined) out.quantize = parseQuantize(r.quantize, source, problems);
  if (r.bench !== undefined) out.bench = parseBenchSettings(r.bench, source, problems);
  if (r.generation !== undefined) out.generation = parseGenerationSettings(r.generation, source, problems);
  return out;
}

function parseQuantize(raw: unknown, source: string, problems: string[]): Partial<QuantizeConfig> {
  const q: Partial<QuantizeConfig> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) { problems.push(`${source}: "quantize" must be an object`); return q; }
  const r = raw as Record<string, unknown>;
  const num = (k: 'minCosine' | 'minSpeedup' | 'minTokenAgreement' | 'minWeightElements', lo: number, hi: number): void => {
    const v = r[k];
    if (v === undefined) return;
    if (typeof v === 'number' && v >= lo && v <= hi) q[k] = v;
    else problems.push(`${source}: quantize.${k} must be a number in [${lo}, ${hi}]`);
  };
  num('minCosine', 0, 1); num('minSpeedup', 0, 100); num('minTokenAgreement', 0, 1); num('minWeightElements', 0, 2 ** 40);
  if (r.exclude !== undefined) {
    if (Array.isArray(r.exclude) && r.exclude.every((x) => typeof x === 'string')) q.exclude = r.exclude as string[];
    else problems.push(`${source}: quantize.exclude must be a list of node or weight names`);
  }
  return q;
}

export function mergeConfig(...layers: ConfigLayer[]): Config {
  const c = defaultConfig();
  for (const l of layers) {
    if (l.rules) Object.assign(c.rules, l.rules);
    if (l.dims) Object.assign(c.dims, l.dims);
    if (l.cost) c.cost = mergeCostSettings(c.cost, l.cost);
    if (l.quantize) Object.assign(c.quantize, l.quantize);
    if (l.bench) Object.assign(c.bench, l.bench);
    if (l.generation) Object.assign(c.generation, l.generation);
  }
  return c;
}

/** Reads `inference-lens.json` from `dir` if present. */
export function readWorkspaceConfig(dir: string, problems: string[] = []): ConfigLayer {
  const file = path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return parseConfig(JSON.parse(stripJsonComments(text)), file, problems);
  } catch (e) {
    problems.push(`${file}: ${(e as Error).message}`);
    return {};
  }
}

/**
 * inference-lens.json may carry line (//) and block comments (as `inference-lens init` writes it, and as VS Code
 * treats it: JSON with comments). Comments become spaces, so JSON.parse's error offsets stay right;
 * text inside strings is kept as is.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      let j = i;
      while (j < text.length && text[j] !== '\n') j++;
      out += ' '.repeat(j - i);
      i = j - 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const j = end < 0 ? text.length : end + 2;
      out += text.slice(i, j).replace(/[^\n]/g, ' ');
      i = j - 1;
    } else out += c;
  }
  return out;
}

/** The workspace config that applies to `file`: the nearest inference-lens.json above it. */
export function findWorkspaceConfigDir(file: string): string | undefined {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, CONFIG_FILE))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
