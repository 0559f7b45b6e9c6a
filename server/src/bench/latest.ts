/**
 * "The last figures measured for this model file", for hovers, CodeLens and cost estimates: the
 * cache's latest result for the file's content hash. Hashes are remembered per (path, mtime, size)
 * so repeated hovers do not re-read a large model.
 */
import * as fs from 'fs';
import { BenchCache, defaultCacheDir, hashFile } from './cache';
import { modelNodeName } from './profile';
import type { BenchResult } from './types';

const hashes = new Map<string, { mtimeMs: number; size: number; sha: string }>();

export async function modelHash(file: string): Promise<string> {
  const st = fs.statSync(file);
  const known = hashes.get(file);
  if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known.sha;
  const sha = await hashFile(file);
  hashes.set(file, { mtimeMs: st.mtimeMs, size: st.size, sha });
  return sha;
}

/** The most recent benchmark or profile of this exact file content, with `cachedAgeS`; undefined if none. */
export async function latestResult(file: string, cacheDir: string = defaultCacheDir()): Promise<BenchResult | undefined> {
  try {
    return new BenchCache(cacheDir).latest(await modelHash(file));
  } catch {
    return undefined; // unreadable model or cache: nothing measured to show
  }
}

/** Per-node self time (ms per inference) from the latest profile, by model node name, for hovers. */
export async function latestNodeTimes(file: string, cacheDir?: string): Promise<Map<string, { ms: number; share: number }> | undefined> {
  const r = await latestResult(file, cacheDir);
  if (!r?.profile) return undefined;
  const m = new Map<string, { ms: number; share: number }>();
  for (const n of r.profile.nodes) {
    const name = modelNodeName(n.name);
    const prev = m.get(name);
    m.set(name, prev ? { ms: prev.ms + n.ms, share: prev.share + n.share } : { ms: n.ms, share: n.share });
  }
  return m;
}
