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
import { languageOfPath } from '../code/treeSitter';

/** Files the indexes take: Python sources and JS/TS sources (not declaration files, not dependencies). */
export function indexable(file: string): boolean {
  if (/\.pyi?$/.test(file)) return file.endsWith('.py');
  return SCRIPT_EXTENSIONS.includes(path.extname(file)) && !/\.(d\.[cm]?ts|min\.[cm]?js)$/.test(file) && !/[\\/]node_modules[\\/]/.test(file);
}

/** Files larger than this are not summarised (generated code, vendored bundles). */
const MAX_BYTES = 1 << 20;
/** A workspace root with more code files than this (a home folder, a monorepo of vendored code) is indexed only this far. */
const MAX_FILES = 20000;

export class WorkspaceIndexer {
  readonly index = new WorkspaceIndex();
  readonly scripts = new ScriptIndex();
  /** files whose text an open document owns: disk changes do not replace their summaries */
  private readonly open = new Set<string>();

  /** Summarises every Python and JS/TS file under `roots`, yielding to the event loop between files; `report(done, total)`. */
  async indexRoots(roots: readonly string[], report: (done: number, total: number) => void, cancelled: () => boolean): Promise<number> {
    const files = collectFiles([...roots]).files.filter(indexable).slice(0, MAX_FILES);
    let done = 0;
    for (const file of files) {
      if (cancelled()) break;
      if (!this.open.has(file)) this.fromDisk(file);
      done++;
      if (done % 20 === 0) {
        report(done, files.length);
        await new Promise((r) => setImmediate(r));
      }
    }
    report(done, files.length);
    return done;
  }

  /** Re-reads a file from disk (or drops it when gone); true when its summary changed. */
  fromDisk(file: string): boolean {
    if (this.open.has(file)) return false;
    const lang = languageOfPath(file);
    const drop = (): boolean => (lang === 'python' ? this.index.delete(file) : this.scripts.delete(file));
    if (!lang || !indexable(file)) return false;
    let text: string;
    try {
      const st = fs.statSync(file);
      if (!st.isFile() || st.size > MAX_BYTES) return drop();
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return drop();
    }
    try {
      return lang === 'python' ? this.index.set(file, summarizePython(text)) : this.scripts.set(file, summarizeScript(text, lang));
    } catch {
      return drop(); // a file the parser cannot take is simply not part of the index
    }
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
