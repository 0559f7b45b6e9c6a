/**
 * The workspace index: one summary per Python file (code/python/summary.ts) and what follows from
 * all of them together. For each file it answers what the rest of the workspace tells it
 * (`externalFor`): the torch module classes, model bindings and factories it imports from other
 * files, and which of its functions handlers of other files reach (the request path across modules).
 * Plain data in, plain data out; reading files and parsing them is the caller's business.
 */
import * as path from 'path';
import { markOnLoop, MAX_DEPTH, OPAQUE, RequestPath, resolveTarget, runsInCaller, servesOnLoop } from '../python/callGraph';
import { COMMON_METHODS } from '../python/library';
import { ClassInfo, ExportedBinding, ExternalFacts, TORCH_MODULE } from '../python/context';
import type { FactoryResult } from '../python/bindings';
import type { PythonSummary } from '../python/summary';
import { ModuleMap } from './modules';


interface Entry {
  summary: PythonSummary;
  digest: string;
  /** what other files' calls resolve against (functions, classes, objects, imports): a change here re-resolves every file */
  shape: string;
  /** this file's calls resolved to workspace functions, kept until this file or some file's shape changes */
  adjacency?: [NodeId, NodeId, boolean][];
  defs: Map<string, PythonSummary['defs'][number]>;
  instances: Map<string, string>;
  importedInstances: Map<string, string>;
  classes: Set<string>;
  imports: Map<string, string>;
  /** this file's part of the request graph that needs no resolution: handlers (with why), cached factories, async roots */
  roots: FileRoots;
}

interface FileRoots {
  handlers: [NodeId, string][];
  cached: NodeId[];
  asyncRoots: NodeId[];
}

/** Resolved calls of every file, keyed by caller (a caller's edges all come from its own file). */
type CallNet = Map<NodeId, { to: NodeId; direct: boolean }[]>;

/** A function of a workspace file: `file\0qualified name`. */
type NodeId = string;
const nodeId = (file: string, name: string): NodeId => `${file}\0${name}`;

export class WorkspaceIndex {
  private readonly files = new Map<string, Entry>();
  private readonly modules = new ModuleMap();
  /** derived facts, dropped whenever a summary changes: every reached function, and those a call from another file reaches */
  private reach?: { paths: Map<NodeId, RequestPath>; entries: Set<NodeId> };
  /** every file's resolved calls; patched file by file while no file's shape changes, rebuilt after */
  private net?: CallNet;
  private readonly torchMemo = new Map<string, ClassInfo | null>();
  /** bumps whenever a summary changes (what externalMemo answers are good for) */
  private generation = 0;

  get size(): number {
    return this.files.size;
  }

  /** Records a file's summary; false when it is the same as before (nothing derived changes). */
  set(file: string, summary: PythonSummary): boolean {
    const digest = JSON.stringify(summary);
    const old = this.files.get(file);
    if (old?.digest === digest) return false;
    const shape = JSON.stringify([summary.defs, summary.classes.map((c) => c.name), summary.instances, summary.importedInstances, summary.imports]);
    const defs = new Map(summary.defs.map((d) => [d.name, d])), imports = new Map(summary.imports);
    const entry: Entry = {
      summary, digest, shape, defs, instances: new Map(summary.instances),
      importedInstances: new Map(summary.importedInstances),
      classes: new Set(summary.classes.map((c) => c.name)), imports, roots: rootsOf(file, summary, defs, imports),
    };
    this.files.set(file, entry);
    const reshaped = !old || old.shape !== shape;
    if (reshaped) this.modules.add(file);
    this.invalidate(reshaped);
    // Only this file's own calls moved: swap its edges in the call net instead of rebuilding it from every file.
    if (!reshaped && this.net) {
      for (const [from] of old.adjacency ?? []) this.net.delete(from);
      for (const [from, to, direct] of this.adjacencyOf(file, entry)) addEdge(this.net, from, to, direct);
    }
    return true;
  }

  delete(file: string): boolean {
    if (!this.files.delete(file)) return false;
    this.modules.delete(file);
    this.invalidate(true);
    return true;
  }

  /** Derived facts go; with `shapes`, every file's resolved calls too (what they resolve against changed). */
  private invalidate(shapes: boolean): void {
    this.reach = undefined;
    this.externalMemo.clear();
    this.torchMemo.clear();
    if (shapes) {
      for (const e of this.files.values()) e.adjacency = undefined;
      this.methodsByName = undefined;
      this.net = undefined;
    }
    this.generation++;
  }

  /** A file's calls as edges between workspace functions (resolved once, then kept). */
  private adjacencyOf(file: string, e: Entry): [NodeId, NodeId, boolean][] {
    if (e.adjacency) return e.adjacency;
    const out: [NodeId, NodeId, boolean][] = [];
    for (const edge of e.summary.edges) {
      const to = this.target(file, e, edge.to);
      if (!to) continue;
      const [tf, name] = to.split('\0');
      out.push([nodeId(file, edge.from), to, runsInCaller(edge, this.files.get(tf)?.defs.get(name))]);
    }
    return e.adjacency = out;
  }

  /** externalFor's answers for the current generation: every keystroke asks again, few change anything. */
  private readonly externalMemo = new Map<string, { generation: number; facts: ExternalFacts }>();

  /** What the other files tell `file` (empty lists when it imports nothing of the workspace); the same object until a summary changes. */
  externalFor(file: string): ExternalFacts {
    const memo = this.externalMemo.get(file);
    if (memo?.generation === this.generation) return memo.facts;
    const facts = this.computeExternal(file);
    this.externalMemo.set(file, { generation: this.generation, facts });
    return facts;
  }

  private computeExternal(file: string): ExternalFacts {
    const me = this.files.get(file);
    const facts: ExternalFacts = { classes: [], bindings: [], factories: [], entries: [], inferring: [] };
    if (me) {
      for (const [local, q] of me.imports) this.importedFacts(file, local, q, facts);
      facts.classes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    }
    const { paths, entries } = this.requestReach();
    const prefix = `${file}\0`;
    for (const id of entries) if (id.startsWith(prefix)) facts.entries.push([id.slice(prefix.length), paths.get(id)!]);
    facts.entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return facts;
  }

  /** The facts one import brings: a class, a model binding, a factory, or every torch class of an imported module. */
  private importedFacts(file: string, local: string, q: string, facts: ExternalFacts): void {
    const r = this.resolveQualified(file, q);
    if (!r || r.file === file) return;
    const target = this.files.get(r.file);
    if (!target) return;
    if (local.startsWith('*') && r.rest === '') {
      // `from model import *`: the module's classes, bindings and factories under their own names.
      for (const c of target.summary.classes) {
        const info = this.torchClass(r.file, c.name);
        if (info) facts.classes.push([c.name, info]);
      }
      for (const b of target.summary.bindings) facts.bindings.push(b);
      for (const f of target.summary.inferring) facts.inferring.push(f);
      for (const [n, results] of target.summary.factories) facts.factories.push([n, results.map((res) => settleRef(res, target.summary.bindings))]);
      return;
    }
    if (r.rest === '') {
      for (const c of target.summary.classes) {
        const info = this.torchClass(r.file, c.name);
        if (info) facts.classes.push([`${q}.${c.name}`, info]);
      }
      // `import service.app as s` then `s.session.run(...)`: the module's models under `s.`.
      for (const b of target.summary.bindings) if (!b.key.includes('[')) facts.bindings.push({ ...b, key: `${local}.${b.key}` });
      for (const f of target.summary.inferring) facts.inferring.push(`${local}.${f}`);
      return;
    }
    if (r.rest.includes('.')) return;
    const info = this.torchClass(r.file, r.rest);
    if (info) facts.classes.push([q, info]);
    const b = target.summary.bindings.find((x) => x.key === r.rest);
    if (b) facts.bindings.push({ ...b, key: local });
    const f = target.summary.factories.find(([n]) => n === r.rest);
    if (f) facts.factories.push([local, f[1].map((res) => settleRef(res, target.summary.bindings))]);
    if (target.summary.inferring.includes(r.rest)) facts.inferring.push(local);
    if (target.defs.get(r.rest)?.cached) (facts.cached ??= []).push(local);
  }

  /**
   * `from api.rag import RAGEmbedding` when the package's `__init__.py` (which re-exports it) is not in the
   * workspace: the one file inside the package that defines the name.
   */
  private resolveQualified(file: string, q: string): { file: string; rest: string } | undefined {
    const r = this.modules.resolveQualified(file, q);
    if (r) return r;
    const dot = q.lastIndexOf('.');
    if (dot <= 0 || q.startsWith('.')) return undefined;
    const inside = this.modules.filesInPackage(q.slice(0, dot));
    if (!inside?.size) return undefined;
    const name = q.slice(dot + 1);
    let found: string | undefined;
    for (const f of inside) {
      const e = this.files.get(f);
      if (!e || !(e.classes.has(name) || e.defs.has(name))) continue;
      if (found) return undefined; // defined twice in the package: which one the __init__ exports is unknown
      found = f;
    }
    return found ? { file: found, rest: name } : undefined;
  }

  /** A class of `file` that is a torch module, following bases into other files (cycles end as "no"). */
  private torchClass(file: string, name: string, depth = 0): ClassInfo | undefined {
    const key = nodeId(file, name);
    if (this.torchMemo.has(key)) return this.torchMemo.get(key) ?? undefined;
    this.torchMemo.set(key, null);
    const e = this.files.get(file);
    const c = e?.summary.classes.find((x) => x.name === name);
    let found: ClassInfo | undefined;
    if (e && c && depth < 8) {
      const torch = e.summary.torchClasses.includes(name) || c.bases.some((b) => {
        if (TORCH_MODULE.test(b)) return true;
        const r = this.resolveQualified(file, b);
        if (r && r.file !== file && r.rest && !r.rest.includes('.')) return !!this.torchClass(r.file, r.rest, depth + 1);
        return e.classes.has(b) && b !== name && !!this.torchClass(file, b, depth + 1);
      });
      if (torch) found = c;
    }
    this.torchMemo.set(key, found ?? null);
    return found;
  }

  /** method name → its definitions in the workspace's classes (for objects whose class is unknown) */
  private methodsByName?: Map<string, NodeId[]>;

  /**
   * `model.low_vram_shift()` on an object a call we cannot follow built: the workspace's one method of that
   * name, when exactly one class defines it and the name is distinctive (not a library's common verb, which
   * the object may well get from a class outside the workspace).
   */
  private onlyMethodNamed(method: string): NodeId | undefined {
    if (method.startsWith('__') || COMMON_METHODS.has(method)) return undefined;
    if (!this.methodsByName) {
      this.methodsByName = new Map();
      for (const [file, e] of this.files) {
        for (const name of e.defs.keys()) {
          const dot = name.indexOf('.');
          if (dot < 0 || name.indexOf('.', dot + 1) >= 0) continue;
          const m = name.slice(dot + 1);
          const list = this.methodsByName.get(m) ?? [];
          list.push(nodeId(file, name));
          this.methodsByName.set(m, list);
        }
      }
    }
    const found = this.methodsByName.get(method);
    return found?.length === 1 ? found[0] : undefined;
  }

  /** `predict(x)` where `predict` comes from `from helpers import *`: the first such module that defines it. */
  private starImported(file: string, e: Entry, name: string): NodeId | undefined {
    for (const [local, q] of e.imports) {
      if (!local.startsWith('*')) continue;
      const r = this.resolveQualified(file, q);
      const t = r && r.rest === '' && r.file !== file ? this.files.get(r.file) : undefined;
      if (!t) continue;
      if (t.defs.has(name)) return nodeId(r!.file, name);
      if (t.classes.has(name) && t.defs.has(`${name}.__init__`)) return nodeId(r!.file, `${name}.__init__`);
    }
    return undefined;
  }

  /** Where a call of `file` lands among the workspace's functions. */
  private target(file: string, e: Entry, to: string): NodeId | undefined {
    const local = resolveTarget({ defs: e.defs, instances: e.instances, classes: e.classes }, to);
    if (local) return nodeId(file, local);
    const obj = to.startsWith('@') ? to.slice(1, to.lastIndexOf('.')) : to;
    const method = to.startsWith('@') ? to.slice(to.lastIndexOf('.') + 1) : undefined;
    // An object of an imported class (`self.worker = ModelWorker()`, `worker = ModelWorker()`): the class's method.
    const ofClass = method !== undefined ? e.importedInstances.get(obj) : undefined;
    if (ofClass === OPAQUE) return this.onlyMethodNamed(method!);
    const q = ofClass ? e.imports.get(ofClass) : e.imports.get(obj);
    if (!q) return method === undefined && !e.defs.has(obj) ? this.starImported(file, e, obj) : undefined;
    const r = this.resolveQualified(file, q);
    if (!r || r.file === file) return undefined;
    const t = this.files.get(r.file);
    if (!t) return undefined;
    const inTarget = (name: string): NodeId | undefined =>
      t.defs.has(name) ? nodeId(r.file, name) : t.classes.has(name) && t.defs.has(`${name}.__init__`) ? nodeId(r.file, `${name}.__init__`) : undefined;
    if (ofClass) return r.rest && !r.rest.includes('.') && t.defs.has(`${r.rest}.${method}`) ? nodeId(r.file, `${r.rest}.${method}`) : undefined;
    if (method === undefined) return r.rest && !r.rest.includes('.') ? inTarget(r.rest) : undefined;
    if (r.rest === '') return inTarget(method);
    if (r.rest.includes('.')) return undefined;
    const cls = t.instances.get(r.rest) ?? (t.classes.has(r.rest) ? r.rest : undefined);
    return cls && t.defs.has(`${cls}.${method}`) ? nodeId(r.file, `${cls}.${method}`) : undefined;
  }

  /** Every file's resolved calls as one adjacency map (built once, then patched by set()). */
  private callNet(): CallNet {
    if (this.net) return this.net;
    const net: CallNet = new Map();
    for (const [file, e] of this.files) for (const [from, to, direct] of this.adjacencyOf(file, e)) addEdge(net, from, to, direct);
    return this.net = net;
  }

  /** Every function the workspace's handlers reach, with the shortest chain (names shown across modules as `module.fn`). */
  private requestReach(): { paths: Map<NodeId, RequestPath>; entries: Set<NodeId> } {
    if (this.reach) return this.reach;
    const next = this.callNet();
    const handlers = new Map<NodeId, string>();
    const asyncRoots: NodeId[] = [];
    // Cached factories run once per key: the walk stops there (like at another handler).
    const cached = new Set<NodeId>();
    for (const [file, e] of this.files) {
      for (const [id, kind] of e.roots.handlers) handlers.set(id, kind);
      // `Depends(get_service)` with get_service imported from another file of the workspace: that function serves per request.
      for (const [local, kind] of e.summary.importedHandlers ?? []) {
        const id = this.target(file, e, local);
        const [tf, name] = id ? id.split('\0') : [];
        // A cached provider (`@lru_cache def get_engine()`) runs its body once, not per request.
        if (id && !handlers.has(id) && !this.files.get(tf)?.defs.get(name)?.cached) handlers.set(id, kind);
      }
      for (const id of e.roots.cached) cached.add(id);
      asyncRoots.push(...e.roots.asyncRoots);
    }
    const out = new Map<NodeId, RequestPath>();
    const entries = new Set<NodeId>();
    // Slices, not splits: the walk runs on every summary change, over every handler of the workspace.
    const fileOf = (id: NodeId): string => id.slice(0, id.indexOf('\0'));
    const shown = (id: NodeId, from: NodeId): string => {
      const file = fileOf(id), name = id.slice(file.length + 1);
      return file === fileOf(from) ? name : `${path.basename(file).replace(/\.pyi?$/, '')}.${name}`;
    };
    const skip = (id: NodeId): boolean => handlers.has(id) || cached.has(id);
    for (const [root, rootKind] of handlers) {
      let frontier = [root];
      for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
        const following: NodeId[] = [];
        for (const from of frontier) {
          const chain = from === root ? [root.slice(root.indexOf('\0') + 1)] : out.get(from)!.chain;
          for (const { to } of next.get(from) ?? []) {
            if (skip(to) || out.has(to)) continue;
            out.set(to, { chain: [...chain, shown(to, from)], rootKind, onLoop: false });
            if (fileOf(to) !== fileOf(from)) entries.add(to);
            following.push(to);
          }
        }
        frontier = following;
      }
    }
    markOnLoop(asyncRoots, next, out);
    return this.reach = { paths: out, entries };
  }
}

/** A file's handlers, cached factories and async roots: its own summary decides them. */
function rootsOf(file: string, summary: PythonSummary, defs: Map<string, PythonSummary['defs'][number]>, imports: Map<string, string>): FileRoots {
  const roots: FileRoots = { handlers: [], cached: [], asyncRoots: [] };
  for (const d of summary.defs) if (d.cached) roots.cached.push(nodeId(file, d.name));
  const onLoop = summary.handlers.length > 0 && servesOnLoop(imports.values());
  for (const [h, kind] of summary.handlers) {
    roots.handlers.push([nodeId(file, h), kind]);
    if (onLoop && defs.get(h)?.async && !/Ray Serve/.test(kind)) roots.asyncRoots.push(nodeId(file, h));
  }
  return roots;
}

function addEdge(next: Map<NodeId, { to: NodeId; direct: boolean }[]>, from: NodeId, to: NodeId | undefined, direct: boolean): void {
  if (!to || to === from) return;
  let list = next.get(from);
  if (!list) next.set(from, list = []);
  list.push({ to, direct });
}

/** A factory's `return ENCODER` names a binding of its own module: hand over the model, not the name. */
function settleRef(r: FactoryResult, bindings: readonly ExportedBinding[]): FactoryResult {
  if (!r || !('ref' in r)) return r;
  const b = bindings.find((x) => x.key === r.ref);
  return b ? { kind: b.kind, loader: b.loader, methods: b.chain } : null;
}
