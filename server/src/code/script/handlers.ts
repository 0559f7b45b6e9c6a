/**
 * Which functions run once per request (or per message): Express/Fastify/Koa/Hono/Azure routes,
 * `http.createServer` callbacks, Next.js/SvelteKit/Astro method exports, pages/api and Vercel
 * default exports, serverless `handler` exports, Workers `fetch`, worker `message` listeners,
 * queue job processors (BullMQ, Bull), NestJS route/message handlers, Next.js server actions; and
 * whether a file is server code at all (servingReason).
 */
import type { Node } from 'web-tree-sitter';
import { dottedName, isFunction, nodesOf, type ScriptModule } from './semantics';
import { packageFamily, stringValue } from './imports';

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'del', 'patch', 'all', 'head', 'options', 'use', 'route', 'on', 'http', 'handle']);
const HTTP_EXPORTS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ALL']);
const APP_NAMES = /^(app|api|router|server|fastify|hono|koa|routes?|r)$/i;
const APP_FACTORIES = /^(express|express\.Router|Router|fastify|Fastify|Koa|Hono|KoaRouter|Elysia)$|\.(Router|router)$/;
const APP_FACTORY_TEXT = /=\s*(await\s+)?(new\s+)?[\w$.]*(express|Router|router|fastify|Fastify|Koa|Hono|Elysia)\s*\(/;
const REQ_PARAM = /^(req|request|_req|ctx|c|event)$/;
const MESSAGE_EVENTS = new Set(['message', 'request', 'fetch']);
/** A call whose callee could register a handler (a superset of what findHandlers accepts). */
const MAYBE_HANDLER_CALL = /(createServer|addEventListener|(Bun|Deno)\s*\.\s*serve|\.\s*(on|once|get|post|put|delete|del|patch|all|head|options|use|route|http|handle|process))\s*(<[^()]*>)?\s*\(/;

/** function node id → why it runs per request */
export function findHandlers(mod: ScriptModule): Map<number, string> {
  const out = new Map<number, string>();
  const appNames = constructedApps(mod);
  const add = (fn: Node | undefined, why: string): void => { if (fn && !out.has(fn.id)) out.set(fn.id, why); };
  const root = mod.tree.rootNode;

  for (const call of mod.calls) {
    // Cheap text test first: walking every call's children costs more than parsing on big files.
    if (!MAYBE_HANDLER_CALL.test(call.text.slice(0, 160))) continue;
    const callee = call.childForFieldName('function');
    const args = call.childForFieldName('arguments');
    if (!callee || !args) continue;
    const argList = args.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment');
    // http.createServer((req, res) => ...), Bun.serve({ fetch(req) {...} }), Deno.serve((req) => ...)
    if (/^(Bun|Deno)\.serve$/.test(callee.text)) {
      for (const a of argList) {
        if (a.type === 'object') add(objectMethod(mod, a, 'fetch'), `a ${callee.text} fetch handler`);
        else for (const fn of handlerFunctions(mod, a)) add(fn, `a ${callee.text} handler`);
      }
      continue;
    }
    if (/(^|\.)createServer$/.test(callee.text)) {
      for (const a of argList) for (const fn of handlerFunctions(mod, a)) add(fn, `an HTTP server callback (${callee.text})`);
      continue;
    }
    if (callee.type !== 'member_expression') {
      // addEventListener('message', fn) in a worker
      if (callee.text === 'addEventListener' && MESSAGE_EVENTS.has(stringValue(argList[0]) ?? '')) {
        for (const fn of handlerFunctions(mod, argList[1])) add(fn, `a '${stringValue(argList[0])}' listener`);
      }
      continue;
    }
    const method = callee.childForFieldName('property')?.text ?? '';
    const recv = callee.childForFieldName('object');
    if (method === 'addEventListener' || method === 'on' || method === 'once') {
      const ev = stringValue(argList[0]);
      if (ev && MESSAGE_EVENTS.has(ev) && method !== 'once') {
        for (const fn of handlerFunctions(mod, argList[1])) add(fn, `a '${ev}' listener (${callee.text})`);
      }
      if (method !== 'on' || !ev || ev.startsWith('/') === false) continue;
    }
    if (!ROUTE_METHODS.has(method)) continue;
    const first = argList[0];
    const path = stringValue(first);
    const routeLike = (path !== undefined && /^[/*]/.test(path)) || first?.type === 'regex' || (first?.type === 'array' && !!stringValue(first.namedChild(0))?.startsWith('/'));
    const recvName = dottedName(recv);
    const knownApp = !!recvName && (appNames.has(recvName) || APP_NAMES.test(recvName.split('.').pop()!));
    const chained = recv?.type === 'call_expression' && /\.route$/.test(recv.childForFieldName('function')?.text ?? '');
    const label = `${callee.text}(${path !== undefined ? `'${path}'` : '...'})`;
    if (method === 'route' && knownApp && first?.type === 'object') {
      add(objectHandler(mod, first), `a Fastify route handler (${callee.text}({...}))`);
    } else if (method === 'http' && knownApp && path !== undefined) {
      // Azure Functions: app.http('name', { handler }); Google Cloud Functions: functions.http('name', fn)
      for (const a of argList.slice(1)) {
        if (a.type === 'object') add(objectHandler(mod, a), `an HTTP function (${label})`);
        else for (const fn of handlerFunctions(mod, a)) add(fn, `an HTTP function (${label})`);
      }
    } else if ((routeLike && (knownApp || method !== 'use')) || chained) {
      for (const a of argList.slice(chained ? 0 : 1)) {
        if (a.type === 'object') add(objectHandler(mod, a), `a route handler (${label})`);
        else for (const fn of handlerFunctions(mod, a)) add(fn, `a route handler (${label})`);
      }
    } else if (method === 'use' && knownApp && !routeLike) {
      for (const a of argList) for (const fn of handlerFunctions(mod, a)) add(fn, `middleware (${callee.text})`);
    }
  }

  // Queue job processors run once per job: BullMQ `new Worker(name, fn)`, Bull `queue.process(fn)`.
  for (const n of nodesOf(mod, 'new_expression')) {
    const ctor = n?.childForFieldName('constructor');
    if (!n || !ctor || mod.imports.get(ctor.text) !== 'bullmq.Worker') continue;
    for (const a of n.childForFieldName('arguments')?.namedChildren ?? []) for (const fn of handlerFunctions(mod, a)) add(fn, `a job processor (new ${ctor.text}(...))`);
  }
  for (const call of mod.calls) {
    if (!/\.\s*process\s*\(/.test(call.text.slice(0, 160))) continue;
    const callee = call.childForFieldName('function');
    if ( callee?.type !== 'member_expression' || callee.childForFieldName('property')?.text !== 'process') continue;
    if (!/queue$/i.test(dottedName(callee.childForFieldName('object')) ?? '')) continue;
    for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) for (const fn of handlerFunctions(mod, a)) add(fn, `a job processor (${callee.text})`);
  }

  // NestJS: @Post('x') / @MessagePattern(...) / @Process() on a method.
  const nest = [...mod.specs].some((s) => s.startsWith('@nestjs/'));
  for (const m of nest ? nodesOf(mod, 'method_definition') : []) {
    const route = m && nestRoute(mod, m);
    if (m && route) add(m, `a NestJS handler (@${route})`);
  }
  // Next.js server actions: exported functions of a 'use server' file, or functions with the directive.
  const serverFile = isUseServer(root.namedChildren[0]);
  for (const stmt of root.namedChildren) {
    if (!stmt) continue;
    if (serverFile && stmt.type === 'export_statement') {
      const decl = stmt.childForFieldName('declaration');
      if (decl && /function/.test(decl.type)) add(decl, 'a Next.js server action');
      for (const d of decl?.type === 'lexical_declaration' ? decl.namedChildren : []) {
        const v = d?.childForFieldName('value');
        if (v && isFunction(v)) add(v, 'a Next.js server action');
      }
    }
  }
  const directives = mod.text.includes('use server') ? nodesOf(mod, 'function_declaration', 'arrow_function', 'function_expression') : [];
  for (const fn of directives) {
    const body = fn?.childForFieldName('body');
    if (fn && body?.type === 'statement_block' && isUseServer(body.namedChildren[0])) add(fn, 'a Next.js server action');
  }

  for (const stmt of root.namedChildren) {
    if (!stmt) continue;
    if (stmt.type === 'export_statement') exportedHandlers(mod, stmt, add);
    else if (stmt.type === 'expression_statement') commonJsHandlers(mod, stmt, add);
  }
  // Worker: self.onmessage = (e) => ...
  for (const asg of mod.text.includes('onmessage') ? nodesOf(mod, 'assignment_expression') : []) {
    const left = dottedName(asg?.childForFieldName('left'));
    if (asg && left && /(^|\.)onmessage$/.test(left)) for (const fn of handlerFunctions(mod, asg.childForFieldName('right'))) add(fn, `a message handler (${left})`);
  }
  return out;
}

const NEST_HANDLERS = /^(Get|Post|Put|Patch|Delete|All|Head|Options|MessagePattern|EventPattern|SubscribeMessage|Process|Query|Mutation)$/;

function nestRoute(mod: ScriptModule, method: Node): string | undefined {
  for (let d = method.previousNamedSibling; d?.type === 'decorator'; d = d.previousNamedSibling) {
    const expr = d.namedChild(0);
    const name = expr?.type === 'call_expression' ? expr.childForFieldName('function')?.text : expr?.text;
    if (name && NEST_HANDLERS.test(name) && /^@nestjs\//.test(mod.imports.get(name) ?? '')) return expr!.text;
  }
  return undefined;
}

function isUseServer(stmt: Node | null | undefined): boolean {
  return stmt?.type === 'expression_statement' && /^['"]use server['"]$/.test(stmt.namedChild(0)?.text ?? '');
}

/** `const app = express()`, `const router = express.Router()`, `const f = Fastify()`, `new Hono()`. */
function constructedApps(mod: ScriptModule): Set<string> {
  const out = new Set<string>();
  for (const d of mod.declarators) {
    if (!APP_FACTORY_TEXT.test(d.text.slice(0, 200))) continue;
    const name = d?.childForFieldName('name');
    let value = d?.childForFieldName('value');
    if (value?.type === 'await_expression') value = value.namedChild(0);
    if (name?.type !== 'identifier' || !value) continue;
    const ctor = value.type === 'call_expression' ? value.childForFieldName('function') : value.type === 'new_expression' ? value.childForFieldName('constructor') : undefined;
    if (ctor && APP_FACTORIES.test(ctor.text)) out.add(name.text);
  }
  return out;
}

/** The functions an argument passes as handlers: a function, a name declared in this file, or functions wrapped by a call (`asyncHandler(fn)`). */
function handlerFunctions(mod: ScriptModule, arg: Node | null | undefined): Node[] {
  if (!arg) return [];
  if (isFunction(arg)) return [arg];
  if (arg.type === 'identifier') { const fn = mod.functions.get(arg.text); return fn ? [fn] : []; }
  if (arg.type === 'member_expression') { const fn = mod.functions.get(arg.text); return fn ? [fn] : []; }
  if (arg.type === 'call_expression') {
    const inner = arg.childForFieldName('arguments')?.namedChildren ?? [];
    return inner.flatMap((a) => (a && (isFunction(a) || a.type === 'identifier') ? handlerFunctions(mod, a) : []));
  }
  if (arg.type === 'array') return arg.namedChildren.flatMap((a) => handlerFunctions(mod, a));
  return [];
}

/** `{ method, url, handler }` → the handler function. */
function objectHandler(mod: ScriptModule, obj: Node): Node | undefined {
  return objectMethod(mod, obj, 'handler');
}

/** The function an object literal holds under `key` (`key: fn`, `key() {}`, or shorthand `key`). */
function objectMethod(mod: ScriptModule, obj: Node, key: string): Node | undefined {
  for (const p of obj.namedChildren) {
    if (p?.type === 'pair' && p.childForFieldName('key')?.text === key) return handlerFunctions(mod, p.childForFieldName('value'))[0];
    if (p?.type === 'method_definition' && p.childForFieldName('name')?.text === key) return p;
    if (p?.type === 'shorthand_property_identifier' && p.text === key) return mod.functions.get(key);
  }
  return undefined;
}

function firstParamName(fn: Node): string | undefined {
  const params = fn.childForFieldName('parameters') ?? fn.childForFieldName('parameter');
  if (!params) return undefined;
  if (params.type === 'identifier') return params.text;
  const p = params.namedChildren.find((c) => c && c.type !== 'comment');
  if (!p) return undefined;
  const pattern = p.childForFieldName('pattern') ?? p;
  return pattern.type === 'identifier' ? pattern.text : pattern.type === 'object_pattern' ? '{}' : undefined;
}

type Add = (fn: Node | undefined, why: string) => void;

function exportedHandlers(mod: ScriptModule, stmt: Node, add: Add): void {
  const decl = stmt.childForFieldName('declaration');
  const isDefault = stmt.children.some((c) => c?.type === 'default');
  const fns: { name: string | undefined; fn: Node }[] = [];
  if (decl && /function/.test(decl.type)) fns.push({ name: decl.childForFieldName('name')?.text, fn: decl });
  if (decl && (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration')) {
    for (const d of decl.namedChildren) {
      const v = d?.childForFieldName('value');
      if (d && v && isFunction(v)) fns.push({ name: d.childForFieldName('name')?.text, fn: v });
      else if (d && v?.type === 'call_expression') for (const fn of handlerFunctions(mod, v)) fns.push({ name: d.childForFieldName('name')?.text, fn });
    }
  }
  const value = stmt.childForFieldName('value');
  if (isDefault && value) {
    if (isFunction(value)) fns.push({ name: undefined, fn: value });
    else if (value.type === 'identifier' && mod.functions.get(value.text)) fns.push({ name: value.text, fn: mod.functions.get(value.text)! });
    else if (value.type === 'object') {
      // Cloudflare Workers / Bun / Deno: export default { fetch(request, env) {...} }
      for (const p of value.namedChildren) {
        if (p?.type === 'method_definition' && p.childForFieldName('name')?.text === 'fetch') add(p, 'a Workers `fetch` handler');
        if (p?.type === 'pair' && p.childForFieldName('key')?.text === 'fetch') for (const fn of handlerFunctions(mod, p.childForFieldName('value'))) add(fn, 'a Workers `fetch` handler');
      }
    } else if (value.type === 'call_expression') for (const fn of handlerFunctions(mod, value)) fns.push({ name: undefined, fn });
  }
  for (const { name, fn } of fns) {
    if (name && HTTP_EXPORTS.has(name)) add(fn, `a route handler (export ${name})`);
    else if (name === 'handler' && !isDefault) add(fn, 'a serverless handler (export handler)');
    else if (isDefault && REQ_PARAM.test(firstParamName(fn) ?? '')) add(fn, 'an API route handler (export default)');
  }
}

function commonJsHandlers(mod: ScriptModule, stmt: Node, add: Add): void {
  const asg = stmt.namedChild(0);
  if (asg?.type !== 'assignment_expression') return;
  const left = dottedName(asg.childForFieldName('left'));
  if (!left || !/^(module\.)?exports(\.\w+)?$|^module\.exports$/.test(left)) return;
  for (const fn of handlerFunctions(mod, asg.childForFieldName('right'))) {
    const name = left.split('.').pop()!;
    if (name === 'handler') add(fn, `a serverless handler (${left})`);
    else if (REQ_PARAM.test(firstParamName(fn) ?? '')) add(fn, `an HTTP function (${left})`);
  }
}

/** Packages whose import marks a file as server code (clients such as `ws` or `socket.io-client` are not). */
const SERVER_PACKAGES = /^(express|fastify|koa|@koa\/router|koa-router|hono|@hono\/[\w-]+|@nestjs\/[\w-]+|next|next\/server|@vercel\/node|@netlify\/functions|aws-lambda|@azure\/functions|@google-cloud\/functions-framework|restify|@hapi\/hapi|elysia|h3|polka|micro|@trpc\/server|socket\.io|bull|bullmq)$/;

/**
 * Why the file is code that serves requests or messages: a handler found here, a server framework
 * import, or `http.createServer`. Undefined for one-off scripts, CLIs and quick-start examples
 * (`async function main() { ... } main();`).
 */
export function servingReason(mod: ScriptModule): string | undefined {
  const [first] = mod.handlers.values();
  if (first) return first;
  for (const spec of mod.specs) if (SERVER_PACKAGES.test(packageFamily(spec))) return `it imports '${spec}'`;
  for (const call of mod.calls) {
    const callee = call.childForFieldName('function')?.text ?? '';
    if (/(^|\.)createServer$/.test(callee)) return `it calls ${callee}`;
  }
  return undefined;
}
