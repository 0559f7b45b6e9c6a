/**
 * Benchmark defaults from settings (`inferenceLens.bench`) and `inference-lens.json` (`"bench": {…}`),
 * validated here so config.ts only delegates. Each key maps to a BenchOptions field.
 */
import { BenchOptions, EP_NAMES, EpName, SessionOptionsSpec, withDefaults } from './types';

export interface BenchSettings {
  ep?: EpName;
  batch?: number;
  warmupRuns?: number;
  minRuns?: number;
  minTimeS?: number;
  maxTimeS?: number;
  runTimeoutS?: number;
  memoryLimitMB?: number;
  /** intra-op threads (0 = onnxruntime's default) */
  threads?: number;
  graphOptimizationLevel?: SessionOptionsSpec['graphOptimizationLevel'];
  /** CPU niceness of benchmarks started from the editor (0 normal … 19 lowest; default 10) */
  niceness?: number;
  /** where results are cached (default: the OS cache folder) */
  cacheDir?: string;
}

const NUMBER_KEYS = {
  batch: { min: 1, int: true }, warmupRuns: { min: 0, int: true }, minRuns: { min: 1, int: true },
  minTimeS: { min: 0, int: false }, maxTimeS: { min: 0, int: false }, runTimeoutS: { min: 0.001, int: false },
  memoryLimitMB: { min: 0, int: false }, threads: { min: 0, int: true }, niceness: { min: 0, int: true },
} as const;
const OPT_LEVELS = ['disabled', 'basic', 'extended', 'all'];

export function parseBenchSettings(raw: unknown, source: string, problems: string[]): BenchSettings {
  const out: BenchSettings = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${source}: "bench" must be an object`);
    return out;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k in NUMBER_KEYS) {
      const spec = NUMBER_KEYS[k as keyof typeof NUMBER_KEYS];
      if (typeof v === 'number' && v >= spec.min && (!spec.int || Number.isInteger(v))) (out as Record<string, unknown>)[k] = v;
      else problems.push(`${source}: bench.${k} must be ${spec.int ? 'an integer' : 'a number'} ≥ ${spec.min}`);
    } else if (k === 'ep') {
      if (typeof v === 'string' && (EP_NAMES as readonly string[]).includes(v)) out.ep = v as EpName;
      else problems.push(`${source}: bench.ep must be one of ${EP_NAMES.join(', ')}`);
    } else if (k === 'graphOptimizationLevel') {
      if (typeof v === 'string' && OPT_LEVELS.includes(v)) out.graphOptimizationLevel = v as BenchSettings['graphOptimizationLevel'];
      else problems.push(`${source}: bench.graphOptimizationLevel must be one of ${OPT_LEVELS.join(', ')}`);
    } else if (k === 'cacheDir') {
      if (typeof v === 'string' && v) out.cacheDir = v;
      else problems.push(`${source}: bench.cacheDir must be a folder path`);
    } else problems.push(`${source}: unknown setting bench.${k}`);
  }
  return out;
}

/** Options for a run: defaults ← settings ← dims ← explicit overrides (a command's arguments). */
export function benchOptionsFrom(settings: BenchSettings = {}, dims: Record<string, number> = {}, overrides: Partial<BenchOptions> = {}): BenchOptions {
  const session: SessionOptionsSpec = {};
  if (settings.threads) session.intraOpNumThreads = settings.threads;
  if (settings.graphOptimizationLevel) session.graphOptimizationLevel = settings.graphOptimizationLevel;
  const base: Partial<BenchOptions> = {
    ep: settings.ep, batch: settings.batch, warmupRuns: settings.warmupRuns, minRuns: settings.minRuns,
    minTimeS: settings.minTimeS, maxTimeS: settings.maxTimeS, runTimeoutS: settings.runTimeoutS,
    memoryLimitBytes: settings.memoryLimitMB !== undefined ? Math.round(settings.memoryLimitMB * 2 ** 20) : undefined,
    dims: Object.keys(dims).length ? { ...dims } : undefined,
    session: Object.keys(session).length ? session : undefined,
  };
  const merged = withDefaults(base);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (k === 'session') merged.session = { ...merged.session, ...(v as SessionOptionsSpec) };
    else if (k === 'dims') merged.dims = { ...merged.dims, ...(v as Record<string, number>) };
    else (merged as unknown as Record<string, unknown>)[k] = v;
  }
  return merged;
}

/**
 * Children the editor starts run at this niceness unless the settings say otherwise: the editor stays responsive
 * first, the child yields the CPU to the server (bench/hover-during-bench.ts).
 */
export const BACKGROUND_NICENESS = 10;

/** The watchdog limits a child started from the editor gets (benchmarks, conversions, rewrites), from the `bench` settings. */
export function childLimits(s: BenchSettings): { niceness: number; memoryLimitBytes: number } {
  return { niceness: Math.min(19, s.niceness ?? BACKGROUND_NICENESS), memoryLimitBytes: s.memoryLimitMB ? s.memoryLimitMB * 2 ** 20 : 0 };
}
