/**
 * Splitting a Python tree into units (top-level statements) and reading what each unit declares:
 * its outline (imports, classes: its text alone decides them) and its declarations (which also need
 * the file's imports and classes). See context.ts for how they merge.
 */
import type { Node, Tree } from 'web-tree-sitter';
import {
  assignedNames, collectImports, functionName, keywordArg, positionalArgs, PythonModule, qualifiedCallee,
} from './semantics';
import { ClassInfo, classInfo, textFlags, Unit, UnitDecls, UnitOutline } from './context';
import { callAssignments, factoryOf, keyOf, keyTail, loaderSites } from './bindings';
import { callEdges, functionDefs, instancesOf } from './callGraph';
import { inNoGradScope, isCachedFactory, SET_GRAD } from './serving';

/** The module's named children with their text (units compare by text across edits). */
export function unitsOf(tree: Tree, text: string): Unit[] {
  const units: Unit[] = [];
  for (const node of tree.rootNode.namedChildren) {
    if (!node) continue;
    const { startIndex, startPosition } = node;
    const unitText = text.slice(startIndex, node.endIndex);
    // Python itself refuses such code ("too many nested parentheses"), and each parent step in a tree that
    // deep costs its depth in tree-sitter: analysing it would take minutes for nothing that can run.
    if (bracketDepth(unitText) > MAX_PYTHON_NESTING) continue;
    units.push({
      node, type: node.type, text: unitText, index: units.length,
      startRow: startPosition.row, startColumn: startPosition.column, endRow: node.endPosition.row, startIndex,
    });
  }
  return units;
}

/** CPython's tokenizer limit on nested brackets (MAXLEVEL). */
export const MAX_PYTHON_NESTING = 200;

/** The deepest nesting of (), [] and {} in Python source, outside strings and comments. */
export function bracketDepth(src: string): number {
  let depth = 0, max = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') { if (++depth > max) max = depth; }
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '#') { const nl = src.indexOf('\n', i); i = nl < 0 ? src.length : nl; }
    else if (c === '"' || c === "'") {
      const quote = src.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      for (; j < src.length; j++) {
        if (src[j] === '\\') j++;
        else if (src.startsWith(quote, j)) break;
        else if (quote.length === 1 && src[j] === '\n') break; // an unterminated string ends at the line
      }
      i = j + quote.length - 1;
    }
  }
  return max;
}

/** Imports and classes of one unit: what other units need before anything else can be resolved. */
export function outlineOf(mod: PythonModule): UnitOutline {
  const imports = new Map<string, string>(), nested = new Map<string, string>();
  const top = mod.unit.node;
  for (const node of mod.importNodes) collectImports(node, node.id === top.id ? imports : nested);
  const classes: ClassInfo[] = mod.classes.map((cls) => {
    const bases = cls.childForFieldName('superclasses')?.namedChildren.map((b) => b?.text ?? '') ?? [];
    return classInfo(cls.childForFieldName('name')?.text ?? '', bases, cls.text);
  });
  return { imports: [...imports], nestedImports: [...nested], classes };
}

const REGISTRATIONS = /(^|\.)(add_api_route|add_route|add_websocket_route|add_api_websocket_route|add_url_rule|Interface|ChatInterface|path|re_path|Depends|Security|add_(get|post|put|patch|delete|view))$/;
/** aiohttp's route table entries: `web.post("/p", handler)` inside `app.add_routes([...])`. */
const AIOHTTP_ROUTES = /^aiohttp\.web\.(get|post|put|patch|delete|view|route)$/;
const GRADIO_EVENTS = new Set(['click', 'submit', 'change', 'upload', 'select', 'input', 'stream', 'release', 'blur', 'tick', 'then', 'load']);
const SETUP = /^(__init__|setup|initialize|load_model|startup|lifespan)$/;

/** What a unit declares for the rest of the file (needs the context's imports and module classes). */
export function declsOf(mod: PythonModule): UnitDecls {
  const unit = mod.unit.node;
  const flags = textFlags(mod.unit.text);
  const decls: UnitDecls = {
    // Tails of every key a loader or an alias (`app.state.encoder = encoder`) binds: a superset is only a looser filter.
    keyTails: [...new Set([...loaderSites(mod).map((s) => s.key), ...mod.aliases.map((a) => keyOf(a.childForFieldName('left')) ?? '')].filter(Boolean).map(keyTail))],
    moduleNames: assignedNames(unit), functionNames: mod.functions.map(functionName),
    registrations: registrationsOf(mod), bentoServices: [], strings: [], literals: [], flags, callAssignments: callAssignments(mod), typeAliases: [],
    defs: functionDefs(mod, (fn) => isCachedFactory(mod, fn)), edges: callEdges(mod, (call) => inNoGradScope(mod, call)), instances: instancesOf(mod),
  };
  const factory = factoryOf(mod);
  if (factory) decls.factory = [factory.name, factory.returns];
  const assign = unit.type === 'expression_statement' ? unit.namedChild(0) : undefined;
  const right = assign?.type === 'assignment' ? assign.childForFieldName('right') : undefined;
  const left = assign?.childForFieldName('left');
  if (right && left?.type === 'identifier') {
    if (right.type === 'string') decls.strings.push([left.text, right.text]);
    if (isLiteral(right)) decls.literals.push(left.text);
    else if (right.type === 'subscript' && /^(typing\.)?Annotated\[/.test(right.text)) decls.typeAliases.push([left.text, right.text]);
  }
  if (unit.type === 'function_definition') {
    decls.topFunction = functionName(unit);
    if (decls.topFunction === 'model_fn') {
      const ret = unit.descendantsOfType('return_statement').find((r) => !!r)?.namedChild(0);
      decls.returnNames = ret ? (ret.type === 'expression_list' || ret.type === 'tuple' ? ret.namedChildren : [ret]).map((n) => (n?.type === 'identifier' ? n.text : null)) : [];
    }
  }
  for (const call of mod.calls) {
    const q = qualifiedCallee(mod, call);
    if (q === 'bentoml.Service') {
      const left = call.parent?.type === 'assignment' ? call.parent.childForFieldName('left') : undefined;
      if (left?.type === 'identifier') decls.bentoServices.push(left.text);
    }
    // torch.set_grad_enabled(False) at module level or in a set-up method: autograd is off for the process.
    if (q && SET_GRAD.has(q) && positionalArgs(call)[0]?.text === 'False' && call.parent?.type === 'expression_statement' &&
      (call.parent.parent?.type === 'module' || inSetupMethod(call))) flags.gradOff = true;
  }
  return decls;
}

/** A string (without interpolation), a number, or a list/tuple/set of them: a value no request can change. */
export function isLiteral(node: Node, depth = 0): boolean {
  if (node.type === 'string') return !node.namedChildren.some((c) => c?.type === 'interpolation');
  if (node.type === 'integer' || node.type === 'float' || node.type === 'concatenated_string') return node.type !== 'concatenated_string' || node.namedChildren.every((c) => !!c && isLiteral(c, depth));
  if ((node.type === 'list' || node.type === 'tuple' || node.type === 'set') && depth < 3) return node.namedChildren.every((c) => !!c && (c.type === 'comment' || isLiteral(c, depth + 1)));
  return false;
}

function inSetupMethod(node: Node): boolean {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return SETUP.test(functionName(p));
  return false;
}

/** Handler registrations by function name: app.add_api_route("/p", fn), app.add_url_rule("/p", view_func=fn), gr.Interface(fn=f), btn.click(f). */
function registrationsOf(mod: PythonModule): [string, string][] {
  const out: [string, string][] = [];
  const importsPkg = (pkg: string): boolean => [...mod.imports.values()].some((q) => q === pkg || q.startsWith(`${pkg}.`));
  const gradio = importsPkg('gradio'), streamlit = importsPkg('streamlit'), aiohttp = importsPkg('aiohttp'), pytriton = importsPkg('pytriton');
  const register = (ref: Node | undefined, kind: string): void => {
    if (ref?.type === 'identifier') out.push([ref.text, kind]);
  };
  for (const call of mod.calls) {
    // The callee's text decides cheaply whether a call can register a handler at all.
    const callee = mod.calleeText.get(call.id) ?? '';
    const method = callee.includes('.') ? callee.slice(callee.lastIndexOf('.') + 1) : undefined;
    // PyTriton: `triton.bind(model_name=..., infer_func=fn, ...)` serves fn per request batch.
    if (pytriton && method === 'bind') register(keywordArg(call, 'infer_func'), 'a PyTriton inference function (triton.bind)');
    const maybe = REGISTRATIONS.test(callee) || (gradio && !!method && GRADIO_EVENTS.has(method)) || (streamlit && /on_click|on_change/.test(call.text)) ||
      (aiohttp && AIOHTTP_ROUTES.test(qualifiedCallee(mod, call) ?? ''));
    if (!maybe) continue;
    const pos = positionalArgs(call);
    if (aiohttp && (/^add_(get|post|put|patch|delete|view)$/.test(method ?? '') || AIOHTTP_ROUTES.test(qualifiedCallee(mod, call) ?? ''))) {
      // `app.router.add_post("/p", handler)`, `web.post("/p", handler)`; `add_route("POST", "/p", handler)` below.
      const route = /^aiohttp\.web\.route$/.test(qualifiedCallee(mod, call) ?? '');
      register(keywordArg(call, 'handler') ?? pos[route ? 2 : 1], `an aiohttp route handler (${method ?? callee})`);
    } else if (aiohttp && method === 'add_route' && pos.length >= 3) {
      register(keywordArg(call, 'handler') ?? pos[2], 'an aiohttp route handler (add_route)');
    } else if (method === 'add_api_route' || method === 'add_route' || method === 'add_websocket_route' || method === 'add_api_websocket_route') {
      register(keywordArg(call, 'endpoint') ?? pos[1], `a route handler (${method})`);
    } else if (method === 'add_url_rule') {
      register(keywordArg(call, 'view_func') ?? pos[2], 'a Flask view (add_url_rule)');
    } else if (gradio) {
      const q = qualifiedCallee(mod, call) ?? '';
      if (/^gradio\.(Interface|ChatInterface)$/.test(q)) register(keywordArg(call, 'fn') ?? pos[0], `a Gradio callback (${q.slice(7)})`);
      else if (method && GRADIO_EVENTS.has(method)) register(keywordArg(call, 'fn') ?? pos[0], `a Gradio event callback (.${method})`);
    }
    if (streamlit) register(keywordArg(call, 'on_click') ?? keywordArg(call, 'on_change'), 'a Streamlit widget callback');
    const q = qualifiedCallee(mod, call);
    if (q === 'django.urls.path' || q === 'django.urls.re_path') register(pos[1], 'a Django view (urls.path)');
    // FastAPI resolves a dependency again for every request that needs it (use_cache lasts one request).
    if (q === 'fastapi.Depends' || q === 'fastapi.Security' || q === 'fastapi.params.Depends') register(keywordArg(call, 'dependency') ?? pos[0], 'a FastAPI dependency (Depends), resolved per request');
  }
  return out;
}

/** Where `import x` goes: after the first block of imports (past a leading docstring and comments). */
export function importPlace(units: readonly Unit[]): { line: number; anchor: number } {
  let line = 0, anchor = -1;
  for (const u of units) {
    if (u.type === 'import_statement' || u.type === 'import_from_statement' || u.type === 'future_import_statement') {
      line = u.endRow + 1;
      anchor = u.index;
    } else if (line === 0 && (u.type === 'comment' || (u.type === 'expression_statement' && u.node.namedChild(0)?.type === 'string'))) continue;
    else if (line > 0) break;
  }
  return { line, anchor };
}
