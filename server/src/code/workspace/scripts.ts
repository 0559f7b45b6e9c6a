/**
 * The workspace index of JS/TS files, beside the Python one (index.ts): one summary per file
 * (code/script/summary.ts) and, for each file, what the files it imports tell it (`externalFor`):
 * which of its imported names run a model on their argument, which create a session or pipeline on
 * every call, and which return one. Import resolution is pure: relative specifiers against the files the index knows.
 */
import * as path from 'path';
import type { ScriptExternal, ScriptSummary } from '../script/summary';
import { RELATIVE_SPEC } from '../script/imports';

export const NO_SCRIPT_EXTERNAL: ScriptExternal = { runners: [], loaders: [], factories: [], entries: [] };

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
  const base = path.join(path.dirname(from), spec); // relative stays relative: the known files are as the caller names them
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
  /** derived, dropped whenever a summary changes: file → its exported functions other files' handlers reach */
  private entries?: Map<string, Map<string, string>>;
  /** derived, dropped when a file comes or goes: the files by their last two path segments without extension */
  private tails?: Map<string, string[]>;
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
    if (!old) this.tails = undefined;
    this.entries = undefined;
    this.generation++;
    return true;
  }

  delete(file: string): boolean {
    if (!this.files.delete(file)) return false;
    this.tails = undefined;
    this.entries = undefined;
    this.generation++;
    return true;
  }

  /** For each name `file` imports from a file of the workspace: the runs and loads one call of it makes. */
  externalFor(file: string): ScriptExternal {
    const me = this.files.get(file);
    const entries = [...this.requestEntries().get(file) ?? []].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (!me?.summary.imports.length) return entries.length ? { ...NO_SCRIPT_EXTERNAL, entries } : NO_SCRIPT_EXTERNAL;
    const out: ScriptExternal = { runners: [], loaders: [], factories: [], entries };
    for (const imp of me.summary.imports) {
      const target = this.resolve(file, imp.spec);
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
    return out.runners.length || out.loaders.length || out.factories.length || out.entries.length ? out : NO_SCRIPT_EXTERNAL;
  }

  /** A relative import, or a path alias (`@lib/util/extractor`, `@/lib/x`, `~/x`: tsconfig `paths`) that one workspace file ends with. */
  private resolve(from: string, spec: string): string | undefined {
    const relative = resolveScriptImport(from, spec, (f) => this.files.has(f));
    if (relative || !RELATIVE_SPEC.test(spec)) return relative;
    const rest = spec.replace(/^#/, '#/').split('/').slice(1).filter(Boolean);
    if (!rest.length) return undefined;
    const tail = rest.slice(-2).join('/').replace(/\.[cm]?[jt]sx?$/, '');
    const wanted = `/${rest.join('/').replace(/\.[cm]?[jt]sx?$/, '')}`;
    const found = (this.tailIndex().get(tail) ?? []).filter((f) => f.slice(0, -path.extname(f).length).endsWith(wanted));
    return found.length === 1 ? found[0] : undefined;
  }

  private tailIndex(): Map<string, string[]> {
    if (this.tails) return this.tails;
    const tails = new Map<string, string[]>();
    for (const f of this.files.keys()) {
      const parts = f.slice(0, -path.extname(f).length).split(/[\\/]/);
      for (const key of [parts.slice(-2).join('/'), parts[parts.length - 1]]) {
        let list = tails.get(key);
        if (!list) tails.set(key, list = []);
        list.push(f);
      }
    }
    return this.tails = tails;
  }

  /** The exported function of another file a call reaches (`embed`, `lib.embed`, `lib.default.embed`). */
  private callTarget(file: string, summary: ScriptSummary, callee: string): { file: string; name: string } | undefined {
    const head = callee.split('.')[0], rest = callee.slice(head.length);
    const imp = summary.imports.find((i) => i.local === head);
    const target = imp && this.resolve(file, imp.spec);
    const t = target && target !== file ? this.files.get(target)!.summary : undefined;
    if (!imp || !t) return undefined;
    let names: string[];
    if (imp.name !== '*' && imp.name !== 'default') names = [imp.name + rest];
    else if (!rest) names = ['default'];
    else { const r = rest.slice(1).replace(/^default(\.|$)/, ''); names = r ? [r, `default.${r}`] : ['default']; }
    const name = names.find((n) => t.exports.includes(n));
    return name ? { file: target!, name } : undefined;
  }

  /** Exported functions that handlers of other files call per request, directly or through exported functions of others. */
  private requestEntries(): Map<string, Map<string, string>> {
    if (this.entries) return this.entries;
    const out = new Map<string, Map<string, string>>();
    type Item = { file: string; name: string; why: string };
    const add = (it: Item | undefined, next: Item[]): void => {
      if (!it) return;
      let m = out.get(it.file);
      if (!m) out.set(it.file, m = new Map());
      if (m.has(it.name)) return;
      m.set(it.name, it.why);
      next.push(it);
    };
    let frontier: Item[] = [];
    for (const [file, { summary }] of this.files) {
      for (const rc of summary.requestCalls) {
        const t = this.callTarget(file, summary, rc.callee);
        add(t && { ...t, why: `${rc.why} in ${path.basename(file)}` }, frontier);
      }
    }
    for (let depth = 0; depth < 4 && frontier.length; depth++) {
      const following: Item[] = [];
      for (const it of frontier) {
        const s = this.files.get(it.file)!.summary;
        for (const ec of s.exportCalls) {
          if (ec.name !== it.name) continue;
          const t = this.callTarget(it.file, s, ec.callee);
          add(t && { ...t, why: `\`${it.name}\` (${path.basename(it.file)}), called from ${it.why}` }, following);
        }
      }
      frontier = following;
    }
    return this.entries = out;
  }
}
