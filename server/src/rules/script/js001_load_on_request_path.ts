import type { Node } from 'web-tree-sitter';
import type { Finding, Fix, ScriptContext, ScriptRule } from '../types';
import { calleeName, enclosingFunction, enclosingFunctions, functionLocals, perRequestReason, topLevelStatement, loopsAround } from '../../code/script/semantics';
import { importedCallee } from '../../code/script/runners';
import { assignedTarget, callArgs, identifiersIn, loaderName, loadsOnce } from './common';
import { insertionAt, nodeRange } from '../helpers';
import { exitsEarly } from './batching';

function check(ctx: ScriptContext): Finding[] {
  const mod = ctx.module;
  const findings: Finding[] = [];
  const taken = new Map<string, boolean>();
  for (const call of ctx.module.calls) {
    if (!call) continue;
    const loader = loaderName(mod, call);
    const imported = loader ? undefined : importedLoader(mod, call);
    if (!loader && !imported) continue;
    const where = perRequestReason(mod, call);
    if (!where || loadsOnce(call)) continue;
    if (loadsDifferentModelPerItem(call) || retries(call)) continue;
    const perItem = /\ba loop\b/.test(where) && !/handler|listener|request|action|processor|function \(/.test(where);
    const what = imported
      ? `\`${imported.callee}(...)\` (imported from \`${imported.from}\`, where it calls \`${imported.loader}(...)\` on every call, with no cache)`
      : `\`${loader}(...)\``;
    findings.push({
      rule: JS001.id,
      message: `${what} runs in ${where}, so it loads the model ${perItem ? 'once per item' : 'on every request'}: ` +
        `${imported ? 'load it once (a module-level promise, here or in that file)' : 'create it once at module scope (a promise)'} and reuse it.`,
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: hoistAsPromise(ctx, call, taken),
    });
  }
  return findings;
}

/** A call of a helper imported from another file of the workspace that creates a session or pipeline each time. */
function importedLoader(mod: ScriptContext['module'], call: Node): { callee: string; loader: string; from: string } | undefined {
  if (!mod.imported.loaders.size) return undefined;
  const callee = importedCallee(mod, call);
  const l = callee ? mod.imported.loaders.get(callee) : undefined;
  return l ? { callee: calleeName(mod, call)!, loader: l.loader, from: l.from } : undefined;
}

/** `for (const path of modelPaths) await create(path)`: each iteration loads another model, which is the point. */
function loadsDifferentModelPerItem(call: Node): boolean {
  const loops = loopsAround(call);
  if (!loops.length) return false;
  const used = new Set(callArgs(call).flatMap(identifiersIn));
  for (const { node } of loops) {
    const bound = new Set<string>();
    const left = node.type === 'for_in_statement' ? node.childForFieldName('left') : undefined;
    for (const id of left?.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']) ?? []) if (id) bound.add(id.text);
    if (node.type === 'call_expression') {
      const cb = callArgs(node)[0];
      const params = cb?.childForFieldName('parameters') ?? cb?.childForFieldName('parameter');
      if (params?.type === 'identifier') bound.add(params.text);
      for (const id of params?.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern']) ?? []) if (id) bound.add(id.text);
    }
    const body = node.type === 'call_expression' ? callArgs(node)[0] : node.childForFieldName('body');
    for (const d of body?.descendantsOfType('variable_declarator') ?? []) { const n = d?.childForFieldName('name'); if (n?.type === 'identifier') bound.add(n.text); }
    if ([...used].some((u) => bound.has(u))) return true;
  }
  return false;
}

/** A loop that stops once the load succeeds (`for (attempt...) { try { s = await create(); break } catch {} }`) is a retry. */
function retries(call: Node): boolean {
  const loop = loopsAround(call)[0];
  return !!loop && loop.kind === 'statement' && exitsEarly(loop.node);
}

/**
 * `const session = await ort.InferenceSession.create('m.onnx')` in a handler becomes a module-level
 * `const sessionPromise = ort.InferenceSession.create('m.onnx');` and the call reads
 * `await sessionPromise`. Only when the arguments use nothing local to the function and everything
 * module-level they use is declared above the insertion point.
 */
function hoistAsPromise(ctx: ScriptContext, call: Node, taken: Map<string, boolean>): Fix[] {
  const fn = enclosingFunction(call);
  if (!fn) return [];
  const target = assignedTarget(call);
  const base = target?.node.type === 'identifier' ? target.node.text : 'model';
  const name = `${base}Promise`;
  if (!taken.has(name)) taken.set(name, ctx.module.moduleNames.has(name) || new RegExp(`\\b${name}\\b`).test(ctx.text));
  if (taken.get(name)) return [];
  const scopes = enclosingFunctions(call);
  if (scopes.length > 6) return []; // deeply nested: not worth an automatic move
  const locals = new Set<string>();
  for (const f of scopes) for (const l of functionLocals(f)) locals.add(l);
  const used = callArgs(call).flatMap(identifiersIn);
  if (used.some((u) => locals.has(u) || u === 'this' || u === 'arguments')) return [];
  const top = topLevelStatement(call);
  if (used.some((u) => (ctx.module.moduleNames.get(u) ?? -1) >= top.startPosition.row)) return [];
  if (call.text.includes('await')) return [];
  return [{
    title: `Create \`${name}\` once at module scope and reuse it`,
    edits: [
      { range: insertionAt(top.startPosition.row), newText: `const ${name} = ${call.text};\n\n` },
      { range: nodeRange(call), newText: name },
    ],
  }];
}

export const JS001: ScriptRule = {
  id: 'JS001',
  name: 'session-create-on-request-path',
  target: 'script',
  defaultSeverity: 'warning',
  docs: {
    summary: 'An ONNX Runtime session or transformers.js pipeline is created per request or per item.',
    whatItDoes:
      'Flags `InferenceSession.create(...)` (onnxruntime-node/-web), transformers.js `pipeline(...)` and ' +
      '`X.from_pretrained(...)`, and tfjs `loadGraphModel`/`loadLayersModel`, when they run inside a request ' +
      'handler (Express/Fastify/Koa/Hono routes, Next.js and SvelteKit route exports, pages/api and serverless ' +
      '`handler` exports, Workers `fetch`, worker message listeners), inside a function those handlers call (in the same file, or in another file of the workspace: the message ' +
      'names the chain), or ' +
      'inside a loop. A call of a helper imported from another file of the workspace that creates a session or ' +
      'pipeline on every call (no cache in that file) counts as a load where it is called. ' +
      'Lazy initialisation (`session ??= ...`, `if (!session) ...`), results stored on `this` or an object, a module ' +
      'variable that the file checks before loading or loads at start-up (a reload endpoint swapping it) are not flagged, ' +
      'nor loops that load a different model per iteration, nor a worker message that asks for a model (`case "load":`, ' +
      '`if (type === "loadModel")`). A module variable overwritten on every request and never ' +
      'checked is flagged: it caches nothing.',
    whyItCosts:
      'Creating a session reads every weight, builds and optimises the graph and allocates memory: tens of ' +
      'milliseconds for a small model, seconds for a large one, usually far more than one inference. Per ' +
      'request it dominates latency, multiplies memory under concurrent requests and leaves garbage for the ' +
      'GC (sessions hold native memory until `release()`); per item it turns a batch job into a reload loop.',
    example: [
      "import * as ort from 'onnxruntime-node';",
      "import express from 'express';",
      '',
      'const app = express();',
      "app.post('/predict', async (req, res) => {",
      "  const session = await ort.InferenceSession.create('model.onnx');",
      '  const out = await session.run({ input: toTensor(req.body) });',
      '  res.json(out.logits.data);',
      '});',
    ].join('\n'),
    useInstead: [
      "import * as ort from 'onnxruntime-node';",
      "import express from 'express';",
      '',
      'const app = express();',
      "const sessionPromise = ort.InferenceSession.create('model.onnx');",
      '',
      "app.post('/predict', async (req, res) => {",
      '  const session = await sessionPromise;',
      '  const out = await session.run({ input: toTensor(req.body) });',
      '  res.json(out.logits.data);',
      '});',
      '',
      '// The quick fix writes this form: loading starts at import and every request awaits the same',
      '// promise. A missing model then fails at start-up (an unhandled rejection), not on the first request.',
    ].join('\n'),
  },
  check,
};
