/**
 * The workspace index as the server keeps it: every Python and JS/TS file under the workspace roots
 * summarised in the background (with `$/progress`), open documents re-summarised after each analysis,
 * files on disk re-read when they change. Reports which files' summaries changed, so that only open
 * documents whose external facts differ are analysed again. Python files go to the WorkspaceIndex,
 * JS/TS files to the ScriptIndex.
 */
import * as fs from 'fs';
import { collectFiles } from '../files';
import * as path from 'path';
import { summarizePython, summarizeScript } from '../engine';
import { summarizeContext } from '../code/python/summary';
import type { ModuleContext, ExternalFacts } from '../code/python/context';
import { WorkspaceIndex } from '../code/workspace/index';
import { SCRIPT_EXTENSIONS, ScriptIndex } from '../code/workspace/scripts';
import type { ScriptExternal, ScriptSummary } from '../code/script/summary';
import type { PythonSummary } from '../code/python/summary';
import { languageOfPath } from '../code/treeSitter';
import { indexInWorkers } from './indexWorkers';
import { SummaryCache, statKey } from './summaryCache';

/** Files the indexes take: Python sources and JS/TS sources (not declaration files, not dependencies). */
export function indexable(file: string): boolean {
  if (/\.pyi?$/.test(file)) return file.endsWith('.py');
  return SCRIPT_EXTENSIONS.includes(path.extname(file)) && !/\.(d\.[cm]?ts|min\.[cm]?js)$/.test(file) && !/[\\/]node_modules[\\/]/.test(file);
}

/** Files larger than this are not summarised (generated code, vendored bundles). */
const MAX_BYTES = 1 << 20;
/** A workspace root with more code files than this (a home folder, a monorepo of vendored code) is indexed only this far. */
const MAX_FILES = 20000;

/** What reading a file from disk gives: a summary, `drop` (gone, too big, unparsable), `skip` (not ours). */
export type FileSummary =
  | { kind: 'python'; summary: PythonSummary }
  | { kind: 'script'; summary: ScriptSummary }
  | { kind: 'drop' }
  | { kind: 'skip' };

/** Reads and summarises one file (pure apart from the read: worker threads call it too). */
export function summarizeFromDisk(file: string): FileSummary {
  const lang = languageOfPath(file);
  if (!lang || !indexable(file)) return { kind: 'skip' };
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_BYTES) return { kind: 'drop' };
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { kind: 'drop' };
  }
  try {
    return lang === 'python' ? { kind: 'python', summary: summarizePython(text) } : { kind: 'script', summary: summarizeScript(text, lang) };
  } catch {
    return { kind: 'drop' }; // a file the parser cannot take is simply not part of the index
  }
}

/** Below this many files the workers' start-up (a WASM parser each) costs more than it saves. */
const PARALLEL_FROM = 200;

export class WorkspaceIndexer {
  /**
   * `workerScript`: the index worker to start (found beside this bundle by default; benchmarks point at a build);
   * null: index in this thread. `cacheFor`: where summaries persist between sessions for a set of roots (none by default).
   */
  constructor(private readonly workerScript?: string | null, private readonly forceWorkers = false,
    private readonly cacheFor?: (roots: readonly string[]) => SummaryCache) {}

  private cache?: SummaryCache;
  /** What the last indexRoots did: files summarised from their text, and files whose summary came from the cache. */
  lastRun = { parsed: 0, cached: 0 };

  readonly index = new WorkspaceIndex();
  readonly scripts = new ScriptIndex();
  /** files whose text an open document owns: disk changes do not replace their summaries */
  private readonly open = new Set<string>();

  /**
   * Summarises every Python and JS/TS file under `roots`; `report(done, total)`. Large workspaces on a
   * machine with three cores or more are read, parsed and summarised by worker threads (one per core but
   * one, up to four), the server only records the summaries; otherwise in this thread, yielding between files.
   */
  async indexRoots(roots: readonly string[], report: (done: number, total: number) => void, cancelled: () => boolean): Promise<number> {
    const files = collectFiles([...roots]).files.filter(indexable).slice(0, MAX_FILES);
    // Files an open document owns are already summarised from its text.
    let onDisk = files.filter((f) => !this.open.has(f));
    let done = files.length - onDisk.length;
    const stats = new Map<string, ReturnType<typeof statKey>>();
    const onResult = (file: string, read: FileSummary): void => {
      this.apply(file, read);
      this.cache?.put(file, stats.get(file), read);
      if (++done % 20 === 0) report(done, files.length);
    };
    // Files unchanged since the last session get their summaries back without a parse.
    let hits = 0;
    this.cache = this.cacheFor?.(roots);
    if (this.cache?.load()) {
      this.cache.retain(files);
      onDisk = onDisk.filter((f) => {
        const st = statKey(f);
        stats.set(f, st);
        const kept = st && this.cache!.get(f, st);
        if (!kept) return true;
        this.apply(f, kept);
        done++;
        hits++;
        return false;
      });
    } else if (this.cache) for (const f of onDisk) stats.set(f, statKey(f));
    const parallel = this.workerScript !== null && onDisk.length >= PARALLEL_FROM;
    const inThisThread = parallel ? await indexInWorkers(onDisk, onResult, cancelled, this.workerScript ?? undefined, this.forceWorkers) : onDisk;
    for (const file of inThisThread) {
      if (cancelled()) break;
      onResult(file, summarizeFromDisk(file));
      if (done % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    report(done, files.length);
    this.cache?.save();
    this.lastRun = { parsed: onDisk.length, cached: hits };
    return done;
  }

  /** Re-reads a file from disk (or drops it when gone); true when its summary changed. */
  fromDisk(file: string): boolean {
    const read = summarizeFromDisk(file);
    if (this.cache && !this.open.has(file)) {
      this.cache.put(file, statKey(file), read);
      this.scheduleSave();
    }
    return this.apply(file, read);
  }

  private saveTimer?: NodeJS.Timeout;
  /** Changes on disk reach the cache a little later, in one write. */
  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; this.cache?.save(); }, 5000);
    this.saveTimer.unref?.();
  }

  /** Records what reading a file gave (unless an open document now owns it); true when its summary changed. */
  private apply(file: string, read: FileSummary): boolean {
    if (this.open.has(file) || read.kind === 'skip') return false;
    if (read.kind === 'python') return this.index.set(file, read.summary);
    if (read.kind === 'script') return this.scripts.set(file, read.summary);
    return languageOfPath(file) === 'python' ? this.index.delete(file) : this.scripts.delete(file);
  }

  /** An open document's summary, from the analysis the server just ran; true when it changed. */
  fromAnalysis(file: string, ctx: ModuleContext): boolean {
    this.open.add(file);
    return this.index.set(file, summarizeContext(ctx));
  }

  /** An open JS/TS document's summary, from the analysis the server just ran; true when it changed. */
  fromScriptAnalysis(file: string, summary: ScriptSummary): boolean {
    this.open.add(file);
    return this.scripts.set(file, summary);
  }

  /** The document closed: its file on disk is the truth again. */
  closed(file: string): boolean {
    this.open.delete(file);
    return this.fromDisk(file);
  }

  externalFor(file: string): ExternalFacts {
    return this.index.externalFor(file);
  }

  scriptExternalFor(file: string): ScriptExternal {
    return this.scripts.externalFor(file);
  }
}
