/**
 * File summaries kept on disk between sessions, so that re-opening a workspace parses only the files that
 * changed since: a file whose size and modification time are those recorded gets its recorded summary back.
 * One JSON file per set of workspace roots, in the user's cache folder (never in the workspace), written
 * atomically (temp + rename). Keyed by the analysis code itself (a hash of the running bundle): a new
 * version, or a rebuilt one, never reuses a summary an older analysis made. A cache that cannot be read or
 * written is no cache: indexing goes on as if cold.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { FileSummary } from './workspaceIndex';
import { defaultCacheDir } from '../bench/cache';
import { writeFileAtomic } from '../diskWrite';
import { VERSION } from '../version';

type Kept = Extract<FileSummary, { kind: 'python' | 'script' }>;

interface Entry { size: number; mtimeMs: number; read: Kept }
interface Stored { code: string; files: Record<string, Entry> }

/** The folder of index caches: beside the benchmark cache (~/.cache/inference-lens/index on Linux). */
export function defaultIndexCacheDir(): string {
  return path.join(path.dirname(defaultCacheDir()), 'index');
}

let bundleKey: string | undefined;
/** A hash of the code that makes summaries: the running entry script (dist/server.js bundles all of it) and the version. */
export function analysisCodeKey(): string {
  if (bundleKey) return bundleKey;
  const h = createHash('sha256').update(VERSION);
  try {
    if (require.main?.filename) h.update(fs.readFileSync(require.main.filename));
  } catch { /* the version alone */ }
  return bundleKey = h.digest('hex').slice(0, 16);
}

export class SummaryCache {
  private files = new Map<string, Entry>();
  private dirty = false;

  /** `file`: where this workspace's cache lives; `code`: the analysisCodeKey its summaries must have been made with. */
  constructor(readonly file: string, private readonly code: string) {}

  /** The cache of a set of workspace roots under `dir`. */
  static forRoots(roots: readonly string[], dir = defaultIndexCacheDir(), code = analysisCodeKey()): SummaryCache {
    const id = createHash('sha256').update([...roots].sort().join('\0')).digest('hex').slice(0, 24);
    return new SummaryCache(path.join(dir, `${id}.json`), code);
  }

  /** Reads the cache from disk; a missing, unreadable or other-version file leaves it empty. Returns the entries read. */
  load(): number {
    this.files.clear();
    try {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Stored;
      if (stored?.code !== this.code || typeof stored.files !== 'object') return 0;
      for (const [f, e] of Object.entries(stored.files)) {
        if (e && typeof e.size === 'number' && typeof e.mtimeMs === 'number' && (e.read?.kind === 'python' || e.read?.kind === 'script')) this.files.set(f, e);
      }
    } catch { /* no cache yet, or a damaged one: start cold */ }
    return this.files.size;
  }

  /** The recorded summary of `file` when its size and modification time are unchanged. */
  get(file: string, st: { size: number; mtimeMs: number }): Kept | undefined {
    const e = this.files.get(file);
    return e && e.size === st.size && e.mtimeMs === st.mtimeMs ? e.read : undefined;
  }

  /** Records what reading `file` gave (a dropped file is forgotten). */
  put(file: string, st: { size: number; mtimeMs: number } | undefined, read: FileSummary): void {
    if (st && (read.kind === 'python' || read.kind === 'script')) {
      this.files.set(file, { size: st.size, mtimeMs: st.mtimeMs, read });
      this.dirty = true;
    } else if (this.files.delete(file)) this.dirty = true;
  }

  /** Keeps only these files (others were deleted or left the roots). */
  retain(files: Iterable<string>): void {
    const keep = new Set(files);
    for (const f of [...this.files.keys()]) if (!keep.has(f)) { this.files.delete(f); this.dirty = true; }
  }

  get size(): number {
    return this.files.size;
  }

  /** Writes the cache when it changed; false when it could not (a read-only or full disk: no harm done). */
  save(): boolean {
    if (!this.dirty) return true;
    const stored: Stored = { code: this.code, files: Object.fromEntries(this.files) };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, JSON.stringify(stored));
      this.dirty = false;
      pruneCaches(path.dirname(this.file), this.file);
      return true;
    } catch {
      return false;
    }
  }
}

/** Caches of this many workspaces are kept; the least recently written go (temporary workspaces, old projects). */
export const MAX_CACHED_WORKSPACES = 32;

function pruneCaches(dir: string, keep: string): void {
  try {
    const caches = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f))
      .map((f) => ({ f, t: fs.statSync(f).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of caches.slice(MAX_CACHED_WORKSPACES)) if (f !== keep) fs.rmSync(f, { force: true });
  } catch { /* best effort */ }
}

/** Size and modification time of a file, or undefined when it cannot be read. */
export function statKey(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = fs.statSync(file);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}
