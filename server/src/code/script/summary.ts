/**
 * A JS/TS file as the rest of the workspace sees it (ScriptSummary), as plain data: the files of the
 * project it imports (relative specifiers) and the functions it exports that other files may call:
 * those that run a model on their arguments (runners.ts: one call is one run) and those that create a
 * session or pipeline on every call (no lazy cache). The script index (code/workspace/scripts.ts)
 * reads other files only through these summaries.
 */
import type { Node } from 'web-tree-sitter';
import { relativeImports, type LocalImport } from './imports';
import { loaderName, loadsOnce } from './loads';
import { runners } from './runners';
import {
  calleeName, enclosingFunction, enclosingFunctions, enclosingLoop, exportedFunctions, functionName, functionRefName, nodesOf, resolveCall,
  type ModelKind, type ScriptModule,
} from './semantics';

/** An exported function that runs a model on what it is given (`export async function embed(text)`). */
export interface ExportedRunner {
  /** the name importers reach it by: `embed`, `default`, `Embedder.embed` (a static method), `embedder.embed` (an exported instance) */
  name: string;
  kind: ModelKind;
  /** the session, pipeline or model it runs, as its file names it */
  model: string;
  /** the helper of its file that runs the model, when this one reaches it through others */
  inner?: string;
  /** the model is the function's parameter at this position: the caller picks it */
  modelArg?: number;
}

/** An exported function that creates a session or pipeline each time it is called. */
export interface ExportedLoader {
  name: string;
  /** the load it makes (`InferenceSession.create`, `pipeline`) */
  loader: string;
}

export interface ScriptSummary {
  imports: LocalImport[];
  runners: ExportedRunner[];
  loaders: ExportedLoader[];
  /** exported functions whose (awaited) result is a model: `getPipeline(task)`, `Holder.getInstance()` */
  factories: { name: string; kind: ModelKind }[];
  /** every exported function, by the name importers reach it */
  exports: string[];
  /** calls of imported names made per request by this file's own handlers (and what they call here) */
  requestCalls: { callee: string; why: string }[];
  /** calls of imported names an exported function makes (itself or through this file's functions it calls) */
  exportCalls: { name: string; callee: string }[];
}

/** The summary of an analysed file (analyzeScript). Files that never mention a runtime export nothing to follow. */
export function summarizeScript(mod: ScriptModule): ScriptSummary {
  const summary: ScriptSummary = { imports: importsOf(mod), runners: [], loaders: [], factories: [], exports: [], requestCalls: [], exportCalls: [] };
  if (!mod.calls.length) return summary;
  const run = runners(mod);
  const loads = perCallLoads(mod);
  const exported = exportedFunctions(mod);
  summary.exports = [...new Set(exported.map(([name]) => name))];
  followImportedCalls(mod, summary, exported);
  for (const [name, fn] of exported) {
    const own = functionRefName(fn);
    const cls = fn.type === 'method_definition' ? fn.parent?.parent?.childForFieldName('name')?.text : undefined;
    const made = own ? mod.factories.get(cls ? `${cls}.${own}` : own) : undefined;
    if (made) summary.factories.push({ name, kind: made });
    const r = run.get(fn.id);
    if (r) summary.runners.push({ name, kind: r.kind, model: r.model, ...(r.inner && { inner: r.inner }), ...(r.modelArg !== undefined && { modelArg: r.modelArg }) });
    const l = loads.get(fn.id);
    if (l) summary.loaders.push({ name, loader: l });
  }
  return summary;
}

/**
 * The file's own call graph, as far as it leads to imported names: which of those calls its handlers
 * make per request, and which each exported function makes. Only this file's handlers count (what
 * other files' handlers reach is the index's business), so the summary never depends on other files.
 */
function followImportedCalls(mod: ScriptModule, summary: ScriptSummary, exported: [string, Node][]): void {
  const locals = new Set(summary.imports.map((i) => i.local));
  if (!locals.size) return;
  /** function id → functions of this file it calls, and imported callees it calls (its nested functions' too) */
  const next = new Map<number, Node[]>(), imported = new Map<number, string[]>();
  const push = <T>(m: Map<number, T[]>, id: number, v: T): void => { let l = m.get(id); if (!l) m.set(id, l = []); l.push(v); };
  for (const call of mod.calls) {
    const callee = calleeName(mod, call);
    if (!callee) continue;
    const head = callee.split('.')[0];
    const isImported = locals.has(head) && !mod.functions.has(head);
    const target = isImported ? undefined : resolveCall(mod, call);
    if (!isImported && !target) continue;
    for (const fn of enclosingFunctions(call)) target ? push(next, fn.id, target) : push(imported, fn.id, callee);
  }
  if (!imported.size) return;
  /** ids reached from `roots` (with why each runs, for handlers), through this file's calls */
  const reach = (roots: [Node, string][]): Map<number, string> => {
    const out = new Map<number, string>(roots.map(([fn, why]) => [fn.id, why]));
    let frontier = roots.map(([fn]) => fn);
    for (let depth = 0; depth < 4 && frontier.length; depth++) {
      const following: Node[] = [];
      for (const fn of frontier) {
        for (const t of next.get(fn.id) ?? []) {
          if (out.has(t.id)) continue;
          out.set(t.id, `\`${functionName(t)}\`, called from ${out.get(fn.id)}`);
          following.push(t);
        }
      }
      frontier = following;
    }
    return out;
  };
  const handlerRoots: [Node, string][] = [];
  for (const [id, why] of mod.handlers) {
    const fn = handlerNode(mod, id);
    if (fn) handlerRoots.push([fn, functionRefName(fn) ? `\`${functionRefName(fn)}\`, ${why}` : why]);
  }
  const seen = new Set<string>();
  for (const [id, why] of reach(handlerRoots)) {
    for (const callee of imported.get(id) ?? []) if (!seen.has(callee)) { seen.add(callee); summary.requestCalls.push({ callee, why }); }
  }
  for (const [name, fn] of exported) {
    const names = new Set<string>();
    for (const id of reach([[fn, '']]).keys()) for (const callee of imported.get(id) ?? []) names.add(callee);
    for (const callee of names) summary.exportCalls.push({ name, callee });
  }
}

/** The function node of a handler id (handlers are kept by id). */
function handlerNode(mod: ScriptModule, id: number): Node | undefined {
  for (const fn of nodesOf(mod, 'function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration')) if (fn.id === id) return fn;
  return undefined;
}

/** Relative imports (a file without any was not indexed: it has none). */
function importsOf(mod: ScriptModule): LocalImport[] {
  return mod.index.size ? relativeImports(nodesOf(mod, 'import_statement'), mod.declarators) : [];
}

/** function node id → the load it makes on every call: not cached (loadsOnce), not in a loop of its own (reported where it is). */
function perCallLoads(mod: ScriptModule): Map<number, string> {
  const out = new Map<number, string>();
  for (const call of mod.calls) {
    const loader = loaderName(mod, call);
    if (!loader || loadsOnce(call) || enclosingLoop(call)) continue;
    const fn = enclosingFunction(call);
    if (fn && !out.has(fn.id)) out.set(fn.id, loader);
  }
  return out;
}

/** An imported helper that runs a model on its argument, as the importing file calls it. */
export interface ImportedRunner {
  kind: ModelKind;
  /** the model as its own file names it */
  model: string;
  /** the helper's name in its file, and the specifier it was imported by (`./embed.js`) */
  helper: string;
  from: string;
  inner?: string;
  modelArg?: number;
}

/** An imported helper that creates a session or pipeline on every call. */
export interface ImportedLoader { loader: string; helper: string; from: string }

/** What the rest of the workspace tells a JS/TS file, keyed by the callee as written in it (`embed`, `lib.embed`). */
export interface ScriptExternal {
  runners: [string, ImportedRunner][];
  loaders: [string, ImportedLoader][];
  /** imported functions whose result is a model */
  factories: [string, ModelKind][];
  /** this file's exported functions that handlers of other files call per request, with the chain (`an Express route handler (...) in server.js`) */
  entries: [string, string][];
}
