/**
 * Python module names of workspace files and import resolution. A file answers to every suffix of
 * its dotted path (`app/models/net.py` is `app.models.net`, `models.net` and `net`), because real
 * projects run from sub-folders and put them on `sys.path`; among several candidates the one that
 * shares the longest folder prefix with the importing file wins. Relative imports (`.net`, `..util`)
 * resolve against the importing file's folder. Pure: no file system access.
 */
import * as path from 'path';

export class ModuleMap {
  private readonly byName = new Map<string, Set<string>>();
  private readonly names = new Map<string, string[]>();
  /** package name (every dotted prefix of a module name) → the files inside it, at any depth */
  private readonly byPackage = new Map<string, Set<string>>();

  add(file: string): void {
    if (this.names.has(file)) return;
    const parts = file.replace(/\.pyi?$/, '').split(/[\\/]+/).filter(Boolean);
    if (parts[parts.length - 1] === '__init__') parts.pop();
    const names: string[] = [];
    for (let i = parts.length - 1; i >= 0; i--) {
      if (!/^[A-Za-z_]\w*$/.test(parts[i])) break;
      const name = parts.slice(i).join('.');
      names.push(name);
      let set = this.byName.get(name);
      if (!set) this.byName.set(name, set = new Set());
      set.add(file);
    }
    this.names.set(file, names);
    for (const pkg of packagesOf(names)) {
      let set = this.byPackage.get(pkg);
      if (!set) this.byPackage.set(pkg, set = new Set());
      set.add(file);
    }
  }

  delete(file: string): void {
    const names = this.names.get(file) ?? [];
    for (const n of names) this.byName.get(n)?.delete(file);
    for (const pkg of packagesOf(names)) this.byPackage.get(pkg)?.delete(file);
    this.names.delete(file);
  }

  /** The files inside package `dotted` (`api.rag` → api/rag/models/embedding.py, ...). */
  filesInPackage(dotted: string): ReadonlySet<string> | undefined {
    return this.byPackage.get(dotted);
  }

  /** The file of module `dotted` as imported from `from` (`.net`, `..pkg.util`, `app.models`). */
  resolveModule(from: string, dotted: string): string | undefined {
    if (dotted.startsWith('.')) {
      const dots = /^\.+/.exec(dotted)![0].length;
      let dir = path.dirname(from);
      for (let i = 1; i < dots; i++) dir = path.dirname(dir);
      const rest = dotted.slice(dots);
      const base = rest ? path.join(dir, ...rest.split('.')) : dir;
      for (const f of [`${base}.py`, path.join(base, '__init__.py')]) if (this.names.has(f)) return f;
      return undefined;
    }
    const candidates = this.byName.get(dotted);
    if (!candidates?.size) return undefined;
    if (candidates.size === 1) return candidates.values().next().value;
    let best: string | undefined, bestScore = -1;
    for (const c of candidates) {
      const score = commonPrefix(path.dirname(c), path.dirname(from));
      if (score > bestScore || (score === bestScore && best !== undefined && c < best)) { best = c; bestScore = score; }
    }
    return best;
  }

  /** `a.b.C` → the longest module prefix that is a workspace file, and the rest (`''` for the module itself). */
  resolveQualified(from: string, qualified: string): { file: string; rest: string } | undefined {
    const dots = /^\.*/.exec(qualified)![0];
    const parts = qualified.slice(dots.length).split('.').filter(Boolean);
    for (let i = parts.length; i >= (dots ? 0 : 1); i--) {
      const file = this.resolveModule(from, dots + parts.slice(0, i).join('.'));
      if (file) return { file, rest: parts.slice(i).join('.') };
    }
    return undefined;
  }
}

/** Every proper dotted prefix of each of a file's module names. */
function packagesOf(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) for (let i = n.indexOf('.'); i > 0; i = n.indexOf('.', i + 1)) out.add(n.slice(0, i));
  return out;
}

function commonPrefix(a: string, b: string): number {
  const x = a.split(/[\\/]+/), y = b.split(/[\\/]+/);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}
