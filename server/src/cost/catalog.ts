/**
 * The instance catalog: cloud instances with their on-demand price and the peak figures the
 * roofline estimate needs. The data lives in instances.json (each entry names its source and the
 * date it was read); prices are never written in code. Users add or override entries in settings.
 */
import builtin from './instances.json';

export type InstanceKind = 'cpu' | 'gpu' | 'accelerator';

export interface CpuSpec {
  model: string;
  physicalCores: number;
  flopsPerCycleFp32: number;
  clockGHz: number;
  /** physicalCores × flopsPerCycleFp32 × clockGHz */
  peakFp32Gflops: number;
  /** int8 ops per fp32 FLOP (VNNI/AMX/i8mm: 4) */
  int8Multiplier: number;
  isa?: string;
  memBandwidthGBs: number;
  derivation?: string;
}

export interface AcceleratorSpec {
  name: string;
  count: number;
  memoryGiB?: number;
  fp32Tflops: number;
  fp16Tflops: number;
  int8Tops: number;
  memBandwidthGBs: number;
  tdpWatts?: number;
  source?: string;
}

export interface PowerSpec {
  /** power drawn while busy (CPU share + accelerator TDP): an estimate */
  watts: number;
  derivation?: string;
  source?: string;
}

export interface Instance {
  id: string;
  provider: string;
  region: string;
  kind: InstanceKind;
  vcpus: number;
  memoryGiB: number;
  /** USD per hour, on demand */
  pricePerHour: number;
  cpu: CpuSpec;
  accelerator?: AcceleratorSpec;
  power?: PowerSpec;
  source: string;
  date: string;
}

/** What a user may write for an instance: any field; nested objects merge into the catalog entry. */
export type InstanceOverride = Partial<Omit<Instance, 'cpu' | 'accelerator' | 'power'>> & {
  cpu?: Partial<CpuSpec>;
  accelerator?: Partial<AcceleratorSpec>;
  power?: Partial<PowerSpec>;
};

const NUM_FIELDS = ['vcpus', 'memoryGiB', 'pricePerHour'] as const;
const STR_FIELDS = ['provider', 'region', 'source', 'date'] as const;
const CPU_NUMS = ['physicalCores', 'flopsPerCycleFp32', 'clockGHz', 'peakFp32Gflops', 'int8Multiplier', 'memBandwidthGBs'] as const;
const ACC_NUMS = ['count', 'memoryGiB', 'fp32Tflops', 'fp16Tflops', 'int8Tops', 'memBandwidthGBs', 'tdpWatts'] as const;

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Type-checks a (possibly partial) instance; problems are pushed as readable sentences. */
export function validateInstanceOverride(raw: unknown, problems: string[]): InstanceOverride | undefined {
  if (!isObj(raw)) { problems.push('must be an object'); return undefined; }
  const before = problems.length;
  for (const k of NUM_FIELDS) if (raw[k] !== undefined && !positive(raw[k])) problems.push(`${k} must be a positive number`);
  for (const k of STR_FIELDS) if (raw[k] !== undefined && typeof raw[k] !== 'string') problems.push(`${k} must be a string`);
  if (raw.kind !== undefined && !['cpu', 'gpu', 'accelerator'].includes(raw.kind as string)) problems.push('kind must be cpu, gpu or accelerator');
  const nested: Array<[string, readonly string[]]> = [['cpu', CPU_NUMS], ['accelerator', ACC_NUMS], ['power', ['watts']]];
  for (const [key, nums] of nested) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!isObj(v)) { problems.push(`${key} must be an object`); continue; }
    for (const k of nums) if (v[k] !== undefined && !positive(v[k])) problems.push(`${key}.${k} must be a positive number`);
  }
  return problems.length === before ? (raw as InstanceOverride) : undefined;
}

/** A complete instance: every field the cost model reads is present and positive. */
export function validateInstance(raw: unknown, problems: string[]): raw is Instance {
  const before = problems.length;
  const o = validateInstanceOverride(raw, problems);
  if (!o) return false;
  for (const k of NUM_FIELDS) if (o[k] === undefined) problems.push(`${k} is missing`);
  for (const k of [...STR_FIELDS, 'id', 'kind'] as const) if (!o[k]) problems.push(`${k} is missing`);
  for (const k of ['peakFp32Gflops', 'memBandwidthGBs', 'int8Multiplier'] as const) if (o.cpu?.[k] === undefined) problems.push(`cpu.${k} is missing`);
  if (o.kind !== 'cpu') {
    if (!o.accelerator) problems.push(`an instance of kind ${o.kind} needs an accelerator`);
    else for (const k of ['count', 'fp32Tflops', 'fp16Tflops', 'int8Tops', 'memBandwidthGBs'] as const) if (o.accelerator[k] === undefined) problems.push(`accelerator.${k} is missing`);
  }
  return problems.length === before;
}

export const BUILTIN_INSTANCES: readonly Instance[] = (builtin as { instances: Instance[] }).instances;

/**
 * The catalog with the user's instances applied: an override of a known id merges field by field
 * (nested cpu/accelerator/power too); a new id must be complete, else it is reported and skipped.
 */
export function buildCatalog(overrides: Record<string, InstanceOverride> = {}, problems: string[] = []): Instance[] {
  const byId = new Map<string, Instance>(BUILTIN_INSTANCES.map((i) => [i.id, i]));
  for (const [id, o] of Object.entries(overrides)) {
    const base = byId.get(id);
    const merged = {
      source: 'user setting', date: 'n/a', provider: 'custom', region: 'n/a', kind: o.accelerator ? 'gpu' : 'cpu',
      ...base, ...o, id,
      cpu: { ...base?.cpu, ...o.cpu },
      accelerator: base?.accelerator || o.accelerator ? { ...base?.accelerator, ...o.accelerator } : undefined,
      power: base?.power || o.power ? { ...base?.power, ...o.power } : undefined,
    } as Record<string, unknown>;
    if (merged.cpu && isObj(merged.cpu) && merged.cpu.int8Multiplier === undefined) merged.cpu.int8Multiplier = 1;
    const errs: string[] = [];
    if (validateInstance(merged, errs)) byId.set(id, merged);
    else problems.push(`instance ${id}: ${errs.join('; ')}`);
  }
  return [...byId.values()];
}

export function findInstance(catalog: readonly Instance[], id: string): Instance | undefined {
  return catalog.find((i) => i.id === id) ?? catalog.find((i) => i.id.toLowerCase() === id.toLowerCase());
}
