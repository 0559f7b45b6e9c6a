/**
 * Helpers of this file that run a model on their own arguments, so that one call of the helper is one
 * run: `async function embed(text) { const e = await getExtractor(); return (await e(text, opts)).data }`,
 * a class's `embed(text)` method over `this.session`, and functions that pass their arguments on to
 * such a helper. JS002/JS005 treat `await embed(chunk)` in a loop like `await extractor(chunk)`.
 * Helpers imported from other files of the workspace come from their summaries (summary.ts, through
 * the script index): `runnerCall` answers for them too, with `from` set to the specifier.
 */
import type { Node } from 'web-tree-sitter';
import {
  calleeName, dottedName, functionName, innerScope, modelInvocation, resolveCall,
  type ModelKind, type ScriptModule,
} from './semantics';
import { callInputs } from './loads';

export interface Runner {
  /** the helper's own name (`embed` for a function or a method) */
  name: string;
  kind: ModelKind;
  /** the session, pipeline or model it runs, as the helper names it (`extractor`, `this.session`) */
  model: string;
  /** the helper that runs the model itself, when this one reaches it through others */
  inner?: string;
  /** the model is the helper's own parameter at this position (`score(session, feeds)`): the caller picks it */
  modelArg?: number;
  /** the specifier of the file the helper is imported from (`./embeddings.js`), for imported helpers */
  from?: string;
}

/** How many helpers deep a run is followed (`embedOne` → `embed` → the pipeline). */
const MAX_DEPTH = 3;

const cache = new WeakMap<ScriptModule, Map<number, Runner>>();

/** function node id → the run that one call of it makes. */
export function runners(mod: ScriptModule): Map<number, Runner> {
  let found = cache.get(mod);
  if (!found) cache.set(mod, found = findRunners(mod));
  return found;
}

/** The helper a call runs, when that helper runs a model on the arguments it is given. */
export function runnerCall(mod: ScriptModule, call: Node): Runner | undefined {
  const all = runners(mod);
  const fn = all.size ? resolveCall(mod, call) : undefined;
  const own = fn && all.get(fn.id);
  if (own || !mod.imported.runners.size) return own;
  const callee = importedCallee(mod, call);
  const r = callee ? mod.imported.runners.get(callee) : undefined;
  if (!r) return undefined;
  // A default export is known here by the name it was imported as.
  const name = r.helper === 'default' ? callee! : r.helper.replace(/^default\./, '');
  return { name, kind: r.kind, model: r.model, inner: r.inner, modelArg: r.modelArg, from: r.from };
}

/**
 * The callee of a call as the imported facts name it: `embed`, `lib.embed`, or `Service.embed` for a
 * method called on an instance of an imported class (`this.embeddings.embed(x)`); undefined when a
 * function of this file by that name shadows the import.
 */
export function importedCallee(mod: ScriptModule, call: Node): string | undefined {
  const callee = calleeName(mod, call);
  if (!callee || mod.functions.has(callee.split('.')[0])) return undefined;
  const dot = callee.lastIndexOf('.');
  const cls = dot > 0 ? mod.instances.get(callee.slice(0, dot)) : undefined;
  return cls && !mod.functions.has(`${cls}.${callee.slice(dot + 1)}`) ? `${cls}.${callee.slice(dot + 1)}` : callee;
}

function findRunners(mod: ScriptModule): Map<number, Runner> {
  const out = new Map<number, Runner>();
  const params = new Map<number, string[]>();
  for (const call of mod.calls) {
    const inv = modelInvocation(mod, call);
    const fn = inv && runsOnParameters(call, params);
    if (!inv || !fn || out.has(fn.id)) continue;
    const model = dottedName(inv.receiver) ?? inv.receiver.text;
    const modelArg = topLevelParams(fn).indexOf(model.split('.')[0]);
    out.set(fn.id, { name: functionName(fn), kind: inv.kind, model, modelArg: modelArg >= 0 ? modelArg : undefined });
  }
  for (let depth = 1; depth < MAX_DEPTH && out.size; depth++) {
    const added: [number, Runner][] = [];
    for (const call of mod.calls) {
      const target = resolveCall(mod, call);
      const inner = target && out.get(target.id);
      if (inner?.modelArg !== undefined) continue; // whose model the outer helper passes on is not followed
      const fn = inner && runsOnParameters(call, params);
      if (!inner || !fn || out.has(fn.id) || fn.id === target.id) continue;
      added.push([fn.id, { name: functionName(fn), kind: inner.kind, model: inner.model, inner: inner.inner ?? inner.name }]);
    }
    if (!added.length) break;
    for (const [id, r] of added) if (!out.has(id)) out.set(id, r);
  }
  return out;
}

/**
 * The named function whose body makes `call` once per call of the function (not in a loop of its
 * own: that loop is reported where it is) with inputs derived from the function's parameters.
 */
function runsOnParameters(call: Node, params: Map<number, string[]>): Node | undefined {
  const { loop, fn } = innerScope(call);
  if (loop || !fn) return undefined;
  let names = params.get(fn.id);
  if (!names) params.set(fn.id, names = parameterNames(fn));
  if (!names.length || functionName(fn) === '<anonymous>') return undefined;
  // Most helpers pass a parameter straight in (`extractor(text, opts)`): the text says so without a walk.
  const args = call.childForFieldName('arguments')?.text ?? '';
  if (names.some((p) => new RegExp(`(^|[^\\w$.])${p.replace(/\$/g, '\\$')}(?![\\w$])`).test(args))) return fn;
  const inputs = callInputs(fn, call);
  return names.some((p) => inputs.has(p)) ? fn : undefined;
}

/** `(session, { feeds }, ...rest)` → ['session', '', ''] (only plain names). */
function topLevelParams(fn: Node): string[] {
  const params = fn.childForFieldName('parameters') ?? fn.childForFieldName('parameter');
  if (params?.type === 'identifier') return [params.text];
  return (params?.namedChildren ?? []).filter((p) => p && p.type !== 'comment').map((p) => {
    const pattern = p!.childForFieldName('pattern') ?? p!;
    return pattern.type === 'identifier' ? pattern.text : '';
  });
}

function parameterNames(fn: Node): string[] {
  const params = fn.childForFieldName('parameters') ?? fn.childForFieldName('parameter');
  if (params?.type === 'identifier') return [params.text];
  return (params?.descendantsOfType('identifier') ?? []).filter((id) => id && !/type/.test(id.parent?.type ?? '')).map((id) => id!.text);
}
