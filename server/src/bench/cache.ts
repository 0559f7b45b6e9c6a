/**
 * Benchmark results cached on disk so hovers and CodeLens show the last figures instantly. The key is
 * the model's content hash (sha256, streamed) + the options + onnxruntime's version + the machine: a
 * changed model, setting, runtime or CPU is a miss. Files are written atomically (temp + rename);
 * a read says how old the figures are (`cachedAgeS`).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../diskWrite';
import { machineKey } from './machine';
import type { BenchOptions, BenchResult } from './types';

/** sha256 of a file, streamed (models can be GBs). */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** The OS's per-user cache folder: XDG_CACHE_HOME / ~/.cache, ~/Library/Caches, %LOCALAPPDATA%. */
export function defaultCacheDir(): string {
  const home = os.homedir();
  const base = process.platform === 'win32' ? (process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'))
    : process.platform === 'darwin' ? path.join(home, 'Library', 'Caches')
      : (process.env.XDG_CACHE_HOME || path.join(home, '.cache'));
  return path.join(base, 'inference-lens', 'bench');
}

/** JSON with sorted keys, so equal options give equal keys whatever their order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function cacheKey(sha256: string, options: BenchOptions, ortVersion: string, machine = machineKey()): string {
  // Options that do not change the figures (timeouts, limits) stay out of the key.
  const { runTimeoutS: _t, memoryLimitBytes: _m, ...rest } = options;
  void _t; void _m;
  return createHash('sha256').update(stableJson({ sha256, options: rest, ortVersion, machine })).digest('hex').slice(0, 32);
}

/** Results kept in the cache folder: past this many files, the least recently written go (down to three quarters). */
export const MAX_CACHE_FILES = 512;

export class BenchCache {
  constructor(readonly dir: string = defaultCacheDir(), private readonly maxFiles = MAX_CACHE_FILES) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  /** The cached result for exactly these options, with its age; undefined on a miss or a bad file. */
  get(sha256: string, options: BenchOptions, ortVersion: string): BenchResult | undefined {
    return this.read(this.file(`${cacheKey(sha256, options, ortVersion)}.json`));
  }

  /** The most recent result for a model, whatever the options (for hovers: "last measured …"). */
  latest(sha256: string): BenchResult | undefined {
    return this.read(this.file(`latest-${sha256}.json`));
  }

  put(result: BenchResult): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const { cachedAgeS: _a, ...clean } = result;
    void _a;
    const text = JSON.stringify(clean);
    writeFileAtomic(this.file(`${cacheKey(result.model.sha256, result.options, result.ortVersion)}.json`), text);
    writeFileAtomic(this.file(`latest-${result.model.sha256}.json`), text);
    this.prune();
  }

  /** A cache that lives for years in a user's home stays bounded: the oldest results go first. */
  private prune(): void {
    let files: string[];
    try {
      files = fs.readdirSync(this.dir).filter((f) => f.endsWith('.json'));
    } catch {
      return;
    }
    if (files.length <= this.maxFiles) return;
    const aged = files.map((f) => {
      try { return { f, t: fs.statSync(this.file(f)).mtimeMs }; } catch { return { f, t: 0 }; }
    }).sort((a, b) => a.t - b.t);
    for (const { f } of aged.slice(0, files.length - Math.floor(this.maxFiles * 0.75))) fs.rmSync(this.file(f), { force: true });
  }

  /** Removes the cached results (only this cache's own `<key>.json` / `latest-<sha>.json` files); returns how many. */
  clear(): number {
    let names: string[];
    try { names = fs.readdirSync(this.dir); } catch { return 0; }
    let n = 0;
    for (const f of names) {
      if (!/^(latest-[0-9a-f]{64}|[0-9a-f]{32})\.json$/.test(f)) continue;
      fs.rmSync(this.file(f), { force: true });
      n++;
    }
    return n;
  }

  private read(file: string): BenchResult | undefined {
    let r: BenchResult;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResult;
    } catch {
      return undefined;
    }
    if (!r || typeof r.measuredAt !== 'string' || !r.latencyMs) return undefined;
    const age = (Date.now() - Date.parse(r.measuredAt)) / 1000;
    return { ...r, cachedAgeS: Math.max(0, age) };
  }
}

/** "3 min ago", "2 h ago": how old figures are, for hovers and reports. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}
