/**
 * "The last figures measured for this model file", for hovers, CodeLens and cost estimates: the
 * cache's latest result for the file's content hash. Hashes are remembered per (path, mtime, size)
 * so repeated hovers do not re-read a large model.
 */
import * as fs from 'fs';
import { BenchCache, defaultCacheDir, hashFile } from './cache';
import { Lru } from '../lru';
import { modelNodeName } from './profile';
import type { BenchResult } from './types';

/** Model hashes remembered (least recently used go first): a path's hash at the size and mtime it was taken. */
export const MAX_REMEMBERED_HASHES = 256;
const hashes = new Lru<string, { mtimeMs: number; size: number; sha: string }>(MAX_REMEMBERED_HASHES);
/** Hashes being computed, so that a burst of hovers reads a large model once. */
const pending = new Map<string, Promise<string>>();

function remembered(file: string, st: fs.Stats): string | undefined {
  const known = hashes.get(file);
  return known && known.mtimeMs === st.mtimeMs && known.size === st.size ? known.sha : undefined;
}

/** sha256 of a model file, streamed (the event loop keeps turning), remembered while its size and mtime hold. */
export async function modelHash(file: string): Promise<string> {
  const st = fs.statSync(file);
  const known = remembered(file, st);
  if (known) return known;
  let p = pending.get(file);
  if (!p) {
    p = hashFile(file).finally(() => pending.delete(file));
    pending.set(file, p);
  }
  const sha = await p;
  hashes.set(file, { mtimeMs: st.mtimeMs, size: st.size, sha });
  return sha;
}

/**
 * The hash when it is already known; otherwise undefined at once, with the hash computed in the
 * background for the next call. For synchronous callers (cost hovers, lenses): reading a 400 MB model
 * to hash it blocked the server for most of a second.
 */
export function knownModelHash(file: string): string | undefined {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { return undefined; }
  const known = remembered(file, st);
  if (!known) modelHash(file).catch(() => undefined);
  return known;
}

/** The most recent benchmark or profile of this exact file content, with `cachedAgeS`; undefined if none. */
export async function latestResult(file: string, cacheDir: string = defaultCacheDir()): Promise<BenchResult | undefined> {
  try {
    return new BenchCache(cacheDir).latest(await modelHash(file));
  } catch {
    return undefined; // unreadable model or cache: nothing measured to show
  }
}

/**
 * Per-node self time (ms per inference) from the latest profile, by model node name, for hovers.
 * With `waitMs`, gives up (undefined) when hashing a large model takes longer; the hash keeps
 * going and is remembered, so a later hover has the times.
 */
export async function latestNodeTimes(file: string, cacheDir?: string, waitMs?: number): Promise<Map<string, { ms: number; share: number }> | undefined> {
  const lookup = latestResult(file, cacheDir);
  const r = waitMs === undefined ? await lookup
    : await Promise.race([lookup, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), waitMs).unref())]);
  if (!r?.profile) return undefined;
  const m = new Map<string, { ms: number; share: number }>();
  for (const n of r.profile.nodes) {
    const name = modelNodeName(n.name);
    const prev = m.get(name);
    m.set(name, prev ? { ms: prev.ms + n.ms, share: prev.share + n.share } : { ms: n.ms, share: n.share });
  }
  return m;
}
