/**
 * The workspace index of JS/TS files, beside the Python one (index.ts): one summary per file
 * (code/script/summary.ts) and, for each file, what the files it imports tell it (`externalFor`):
 * which of its imported names run a model on their argument, which create a session or pipeline on
 * every call, and which return one. Import resolution is pure: relative specifiers against the files the index knows.
 */
import * as path from 'path';
import type { ScriptExternal, ScriptSummary } from '../script/summary';

export const NO_SCRIPT_EXTERNAL: ScriptExternal = { runners: [], loaders: [], factories: [] };

export const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** `./x.js` written for `./x.ts` (TypeScript's ESM convention), and the like. */
const TS_FOR_JS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

/**
 * The file a relative specifier names, among `known` files: the exact file, the TypeScript source of a
 * `.js` specifier, the specifier with each extension, or its folder's `index.*`. Bare package names
 * (and anything not found) resolve to nothing.
 */
export function resolveScriptImport(from: string, spec: string, known: (file: string) => boolean): string | undefined {
  if (!/^\.\.?(\/|$)/.test(spec)) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  const ext = path.extname(base);
  const candidates: string[] = [];
  if (SCRIPT_EXTENSIONS.includes(ext)) {
    candidates.push(base);
    for (const alt of TS_FOR_JS[ext] ?? []) candidates.push(base.slice(0, -ext.length) + alt);
  }
  for (const e of SCRIPT_EXTENSIONS) candidates.push(base + e);
  for (const e of SCRIPT_EXTENSIONS) candidates.push(path.join(base, `index${e}`));
  return candidates.find(known);
}

export class ScriptIndex {
  private readonly files = new Map<string, { summary: ScriptSummary; digest: string }>();
  /** bumps whenever a summary changes */
  generation = 0;

  get size(): number {
    return this.files.size;
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  /** Records a file's summary; false when it is the same as before. */
  set(file: string, summary: ScriptSummary): boolean {
    const digest = JSON.stringify(summary);
    const old = this.files.get(file);
    if (old?.digest === digest) return false;
    this.files.set(file, { summary, digest });
    this.generation++;
    return true;
  }

  delete(file: string): boolean {
    if (!this.files.delete(file)) return false;
    this.generation++;
    return true;
  }

  /** For each name `file` imports from a file of the workspace: the runs and loads one call of it makes. */
  externalFor(file: string): ScriptExternal {
    const me = this.files.get(file);
    if (!me?.summary.imports.length) return NO_SCRIPT_EXTERNAL;
    const out: ScriptExternal = { runners: [], loaders: [], factories: [] };
    const known = (f: string): boolean => this.files.has(f);
    for (const imp of me.summary.imports) {
      const target = resolveScriptImport(file, imp.spec, known);
      const t = target && target !== file ? this.files.get(target)!.summary : undefined;
      if (!t) continue;
      /** the callee as written here for an export `name` of the target */
      const callees = (name: string): string[] => {
        if (imp.name !== '*' && imp.name !== 'default') return name === imp.name ? [imp.local] : name.startsWith(`${imp.name}.`) ? [imp.local + name.slice(imp.name.length)] : [];
        // The module object, or a default export (CommonJS interop makes it `module.exports`): `lib(x)`, `lib.embed(x)`;
        // a namespace (`import * as lib`, `await import('./lib')`) reaches the default export as `lib.default`.
        const bare = name === 'default' ? imp.local : `${imp.local}.${name.startsWith('default.') ? name.slice(8) : name}`;
        if (imp.name !== '*') return [bare];
        return [bare, name.startsWith('default') ? `${imp.local}.${name}` : `${imp.local}.default.${name}`];
      };
      for (const r of t.runners) {
        for (const c of callees(r.name)) out.runners.push([c, { kind: r.kind, model: r.model, helper: r.name, from: imp.spec, ...(r.inner && { inner: r.inner }), ...(r.modelArg !== undefined && { modelArg: r.modelArg }) }]);
      }
      for (const l of t.loaders) for (const c of callees(l.name)) out.loaders.push([c, { loader: l.loader, helper: l.name, from: imp.spec }]);
      for (const f of t.factories) for (const c of callees(f.name)) out.factories.push([c, f.kind]);
    }
    return out.runners.length || out.loaders.length || out.factories.length ? out : NO_SCRIPT_EXTERNAL;
  }
}
