/**
 * A Python file as the rest of the workspace sees it: plain data taken from its merged module context
 * (imports, classes, module-level model bindings, factories, handlers and the call graph). The
 * workspace index (code/workspace/index.ts) reads other files only through these summaries.
 */
import type { FactoryResult } from './bindings';
import { CallEdge, callersClosure, FunctionDef, resolveTarget } from './callGraph';
import type { ClassInfo, ExportedBinding, ModuleContext } from './context';

export interface PythonSummary {
  /** local name → qualified import path (relative imports keep their dots) */
  imports: [string, string][];
  /** every class of the file, bases qualified through its imports */
  classes: ClassInfo[];
  /** the file's classes known to be torch modules (from its own bases or imported ones) */
  torchClasses: string[];
  /** module-level names bound to a model (`model = AutoModel.from_pretrained(...)`, also under `__main__`) */
  bindings: ExportedBinding[];
  /** top-level functions returning models */
  factories: [string, FactoryResult[]][];
  /** request handlers: [qualified name, why it runs per request] */
  handlers: [string, string][];
  /** functions of other files this file registers as handlers (`Depends(get_service)` of an imported provider): [local name, why] */
  importedHandlers?: [string, string][];
  defs: FunctionDef[];
  /** calls that resolve in the file or go through an import (others cannot reach workspace code) */
  edges: CallEdge[];
  instances: [string, string][];
  /** objects of imported classes: [name, the class's local name], or `?` (OPAQUE) for an object a call we cannot follow built */
  importedInstances: [string, string][];
  /** top-level functions that run a model themselves (not generators, not generation helpers) */
  inferring: string[];
}

/** The summary of a file whose module context has been merged (PythonAnalysis.context). */
export function summarizeContext(ctx: ModuleContext): PythonSummary {
  const graph = { defs: ctx.defs, instances: ctx.instances, classes: ctx.fileClasses, edges: ctx.edges };
  const head = (to: string): string => (to.startsWith('@') ? to.slice(1, to.lastIndexOf('.')) : to);
  const bindings: ExportedBinding[] = [];
  for (const b of ctx.bindings.values()) {
    if (b.owner === 'external' || !b.gid.startsWith('module:') || !/^[A-Za-z_]\w*$/.test(b.key)) continue;
    bindings.push({ key: b.key, kind: b.kind, loader: b.loader, chain: [...b.methods] });
  }
  const external = new Set(ctx.external.factories.map(([n]) => n));
  return {
    imports: [...ctx.imports],
    classes: ctx.classInfos,
    torchClasses: ctx.classInfos.filter((c) => ctx.moduleClasses.has(c.name)).map((c) => c.name),
    bindings,
    factories: [...ctx.factories].filter(([n]) => !external.has(n)),
    handlers: [...ctx.handlers],
    importedHandlers: [...ctx.registrations].filter(([n]) => ctx.imports.has(n) && !ctx.defs.has(n)),
    defs: [...ctx.defs.values()],
    edges: ctx.edges.filter((e) => resolveTarget(graph, e.to) || ctx.imports.has(head(e.to)) || ctx.importedInstances.has(head(e.to))),
    instances: [...ctx.instances],
    importedInstances: [...ctx.importedInstances],
    // Functions that run a model, or call (not hand over) one of the file's functions that does.
    inferring: [...callersClosure(graph, ctx.inferring, (e) => !e.deferred)].filter((f) => /^[A-Za-z_]\w*$/.test(f) && !ctx.defs.get(f)?.generator).sort(),
  };
}

