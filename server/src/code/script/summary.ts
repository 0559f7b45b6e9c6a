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
import { dottedName, enclosingFunction, enclosingLoop, functionRefName, isFunction, nodesOf, type ModelKind, type ScriptModule } from './semantics';

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
}

/** The summary of an analysed file (analyzeScript). Files that never mention a runtime export nothing to follow. */
export function summarizeScript(mod: ScriptModule): ScriptSummary {
  const summary: ScriptSummary = { imports: importsOf(mod), runners: [], loaders: [], factories: [] };
  if (!mod.calls.length) return summary;
  const run = runners(mod);
  const loads = perCallLoads(mod);
  if (!run.size && !loads.size && !mod.factories.size) return summary;
  for (const [name, fn] of exportedFunctions(mod)) {
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

function importsOf(mod: ScriptModule): LocalImport[] {
  if (mod.index.size) return relativeImports(nodesOf(mod, 'import_statement'), mod.declarators);
  // A file with no model runtime was not indexed: walk it only when it names a file of the project.
  if (!/(from|require\s*\(|import\s*\()\s*['"`]\.\.?\//.test(mod.text)) return [];
  const found = mod.tree.rootNode.descendantsOfType(['import_statement', 'variable_declarator']).filter((n): n is Node => !!n);
  return relativeImports(found.filter((n) => n.type === 'import_statement'), found.filter((n) => n.type === 'variable_declarator'));
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

/**
 * Exported functions by the name importers call them: `export function f`, `export const f = () => ...`,
 * `export default f`, `export { f as g }`, `module.exports = { f, g: h }`, `module.exports = f`,
 * `exports.f = ...`; methods of exported classes (`Cls.m`) and of exported instances (`obj.m`).
 */
export function exportedFunctions(mod: ScriptModule): [string, Node][] {
  const out: [string, Node][] = [];
  const classes = new Map<string, Node[]>();
  for (const [key, fn] of mod.functions) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    let list = classes.get(key.slice(0, dot));
    if (!list) classes.set(key.slice(0, dot), list = []);
    list.push(fn);
  }
  /**
   * `value` exported as `as`: a function, a class's methods, an instance's methods, an object's members.
   * `module.exports = value` is the default export, except that an object's members are the module's own names.
   */
  const add = (as: string, value: Node | null | undefined): void => {
    if (!value) return;
    const own = as === CJS ? 'default' : as;
    if (isFunction(value)) { out.push([own, value]); return; }
    const cls = value.type === 'class_declaration' || value.type === 'class' ? value.childForFieldName('name')?.text
      : value.type === 'new_expression' ? value.childForFieldName('constructor')?.text : undefined;
    if (cls) {
      for (const m of classes.get(cls) ?? []) out.push([`${own}.${m.childForFieldName('name')?.text}`, m]);
      return;
    }
    if (value.type === 'object') {
      const prefix = as === CJS ? '' : `${as}.`;
      for (const p of value.namedChildren) {
        if (p?.type === 'shorthand_property_identifier') add(prefix + p.text, localValue(mod, p.text));
        else if (p?.type === 'pair' || p?.type === 'method_definition') {
          const key = p.childForFieldName(p.type === 'pair' ? 'key' : 'name')?.text;
          if (key) add(prefix + key, p.type === 'pair' ? p.childForFieldName('value') : p);
        }
      }
      return;
    }
    if (value.type === 'identifier') {
      const local = localValue(mod, value.text);
      if (local && local.id !== value.id) add(as, local);
    }
  };
  for (const stmt of mod.tree.rootNode.namedChildren) {
    if (stmt?.type === 'export_statement') {
      if (stmt.childForFieldName('source')) continue; // `export { x } from './y'`: that file's
      const isDefault = stmt.children.some((c) => c?.type === 'default');
      const decl = stmt.childForFieldName('declaration');
      const value = stmt.childForFieldName('value');
      if (isDefault) add('default', decl ?? value);
      else if (decl && /function|class/.test(decl.type)) add(decl.childForFieldName('name')?.text ?? '', decl);
      else if (decl) {
        for (const d of decl.namedChildren) {
          const name = d?.type === 'variable_declarator' ? d.childForFieldName('name') : undefined;
          if (name?.type === 'identifier') add(name.text, d!.childForFieldName('value'));
        }
      }
      for (const clause of stmt.namedChildren) {
        if (clause?.type !== 'export_clause') continue;
        for (const s of clause.namedChildren) {
          const name = s?.childForFieldName('name')?.text, alias = s?.childForFieldName('alias')?.text;
          if (name) add(alias ?? name, localValue(mod, name));
        }
      }
    } else if (stmt?.type === 'expression_statement') {
      const a = stmt.namedChild(0);
      if (a?.type !== 'assignment_expression') continue;
      const left = dottedName(a.childForFieldName('left'));
      const right = a.childForFieldName('right');
      if (left === 'module.exports') add(CJS, right);
      else if (left && /^(module\.)?exports\.[\w$]+$/.test(left)) add(left.split('.').pop()!, right);
    }
  }
  return out;
}

const CJS = 'module.exports';

/** What a top-level name of the file is: its function, its class, or the value it was declared with. */
function localValue(mod: ScriptModule, name: string): Node | undefined {
  const fn = mod.functions.get(name);
  if (fn) return fn;
  for (const stmt of mod.tree.rootNode.namedChildren) {
    const decl = stmt?.type === 'export_statement' ? stmt.childForFieldName('declaration') : stmt;
    if ((decl?.type === 'class_declaration') && decl.childForFieldName('name')?.text === name) return decl;
    if (decl?.type === 'lexical_declaration' || decl?.type === 'variable_declaration') {
      for (const d of decl.namedChildren) {
        if (d?.type === 'variable_declarator' && d.childForFieldName('name')?.text === name) {
          const v = d.childForFieldName('value');
          return v?.type === 'new_expression' || v?.type === 'object' || v?.type === 'class' ? v : undefined;
        }
      }
    }
  }
  return undefined;
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
}
