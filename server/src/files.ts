/** Finding the files to analyse under the paths a user gives, skipping what is not theirs. */
import * as fs from 'fs';
import * as path from 'path';
import { languageOfPath } from './code/treeSitter';

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', 'site-packages', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache', '.ruff_cache']);

export type FileKind = 'code' | 'model';

export function kindOf(file: string): FileKind | undefined {
  if (file.toLowerCase().endsWith('.onnx')) return 'model';
  return languageOfPath(file) ? 'code' : undefined;
}

/**
 * Files under `roots` that Inference Lens analyses, sorted; virtual environments are skipped. Symbolic links
 * are followed (a `models/` linked to a data disk is the user's), each real folder walked once, so a link
 * cycle ends.
 */
export function collectFiles(roots: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walked = new Set<string>();
  const walk = (dir: string): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      missing.push(dir);
      return;
    }
    if (walked.has(real)) return;
    walked.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      missing.push(dir);
      return;
    }
    if (entries.some((e) => e.name === 'pyvenv.cfg')) return; // a Python virtual environment
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = fs.statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch { continue; } // a dangling link
      }
      if (isDir) { if (!SKIP_DIRS.has(e.name)) walk(p); }
      else if (isFile && kindOf(p)) files.push(p);
    }
  };
  for (const root of roots) {
    let st: fs.Stats;
    try {
      st = fs.statSync(root);
    } catch {
      missing.push(root);
      continue;
    }
    if (st.isDirectory()) walk(root);
    else files.push(root);
  }
  return { files, missing };
}
