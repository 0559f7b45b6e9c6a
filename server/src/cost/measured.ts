/**
 * Benchmarks as cost inputs: a BenchResult → Performance (pure), and a lookup of the latest cached
 * result for a model file (I/O: the bench cache, keyed by the file's content hash).
 *
 * A measurement is taken to have been made on the configured `instance`: the server runs where the
 * model is served (VS Code Remote puts it on that machine), and so does `inference-lens bench`.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { BenchCache, defaultCacheDir } from '../bench/cache';
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

/** sha256 of a file, synchronously, remembered while its size and mtime are unchanged. */
function hasher(): (file: string) => string | undefined {
  const known = new Map<string, { stamp: string; sha: string }>();
  return (file) => {
    let st: fs.Stats;
    try { st = fs.statSync(file); } catch { return undefined; }
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = known.get(file);
    if (hit?.stamp === stamp) return hit.sha;
    const h = createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    const sha = h.digest('hex');
    known.set(file, { stamp, sha });
    return sha;
  };
}

/** The latest cached benchmark of a model, as Performance; nothing is hashed while the cache is empty. */
export function benchMeasuredLookup(): MeasuredLookup {
  const sha = hasher();
  return (file: string, config: Config) => {
    const dir = config.bench?.cacheDir ?? defaultCacheDir();
    let any = false;
    try { any = fs.readdirSync(dir).some((f) => f.startsWith('latest-')); } catch { return undefined; }
    if (!any) return undefined;
    const s = sha(file);
    const r = s ? new BenchCache(dir).latest(s) : undefined;
    return r && r.throughput?.inferencesPerSec > 0 ? performanceFromBench(r) : undefined;
  };
}
