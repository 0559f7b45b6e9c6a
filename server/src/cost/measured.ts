/**
 * Benchmarks as cost inputs: a BenchResult → Performance (pure), and a lookup of the latest cached
 * result for a model file (I/O: the bench cache, keyed by the file's content hash).
 *
 * A measurement is taken to have been made on the configured `instance`: the server runs where the
 * model is served (VS Code Remote puts it on that machine), and so does `inference-lens bench`.
 */
import * as fs from 'fs';
import { BenchCache, defaultCacheDir } from '../bench/cache';
import { knownModelHash } from '../bench/latest';
import type { BenchResult } from '../bench/types';
import type { Config } from '../config';
import type { Performance } from './model';
import type { MeasuredLookup } from './resolve';

export function performanceFromBench(r: Pick<BenchResult, 'latencyMs' | 'throughput' | 'batch' | 'concurrency' | 'measuredAt'>): Performance {
  return {
    p50Ms: r.latencyMs.p50, p95Ms: r.latencyMs.p95, inferencesPerSec: r.throughput.inferencesPerSec, basis: 'measured',
    note: `measured ${r.measuredAt.slice(0, 16).replace('T', ' ')}, batch ${r.batch}, ${r.concurrency} in flight`,
  };
}

/**
 * The latest cached benchmark of a model, as Performance; nothing is hashed while the cache is empty,
 * and never synchronously: until a model's hash is known (a benchmark run here computes it), the
 * estimate stands in.
 */
export function benchMeasuredLookup(): MeasuredLookup {
  return (file: string, config: Config) => {
    const dir = config.bench?.cacheDir ?? defaultCacheDir();
    let any = false;
    try { any = fs.readdirSync(dir).some((f) => f.startsWith('latest-')); } catch { return undefined; }
    if (!any) return undefined;
    const s = knownModelHash(file);
    const r = s ? new BenchCache(dir).latest(s) : undefined;
    return r && r.throughput?.inferencesPerSec > 0 ? performanceFromBench(r) : undefined;
  };
}
