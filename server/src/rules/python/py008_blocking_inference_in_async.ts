import type { Node } from 'web-tree-sitter';
import type { Finding, Fix, PythonContext, PythonRule } from '../types';
import { enclosingFunction, functionName, isAsync } from '../../code/python/semantics';
import { requestContext } from '../../code/python/serving';
import { inferenceCall, modelFacts } from '../../code/python/models';
import { nodeRange } from '../helpers';
import { ancestry } from '../../code/python/ancestry';
import { ensureImport } from './fixes';
import { callTarget, iterated, qualifiedName, resolveTarget, servesOnLoop, streamersMadeIn } from '../../code/python/callGraph';

function check(ctx: PythonContext): Finding[] {
  // Flask runs async views to completion in the request's own worker thread: nothing else waits on that loop.
  const asgi = servesOnLoop(ctx.module.imports.values());
  const facts = modelFacts(ctx.module);
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const inf = inferenceCall(ctx.module, facts, call);
    if (!inf) continue;
    const fn = enclosingFunction(call);
    if (!fn || call.parent?.type === 'await' || insideLambda(call, fn)) continue;
    const req = requestContext(ctx.module, call);
    if (!req || req.fn?.id !== fn.id || /Ray Serve/.test(req.kind)) continue;
    if (req.chain) {
      // A function an async handler runs on its loop (called directly, or an async helper it awaits) blocks it too.
      if (!req.onLoop) continue;
      findings.push({
        rule: PY008.id,
        message: `\`${inf.binding.key}\` runs inference synchronously in \`${functionName(fn)}\`, which an async handler runs on its event loop ` +
          `(${req.chain.map((n) => `\`${n}\``).join(' → ')}): every other request on this worker waits for the whole call. ` +
          `Hand the call to a thread (\`await asyncio.to_thread(...)\`) where the async code makes it, or make the handler a plain \`def\`.`,
        range: nodeRange(call.childForFieldName('function') ?? call),
        ...(isAsync(fn) && { fixes: fixesFor(ctx, call, fn) }),
      });
      continue;
    }
    if (!isAsync(fn) || !asgi) continue;
    findings.push({
      rule: PY008.id,
      message: `\`${inf.binding.key}\` runs inference synchronously inside \`async def ${functionName(fn)}\`: the event loop is blocked ` +
        'for the whole call, so every other request on this worker waits. Use a plain `def` handler or `await asyncio.to_thread(...)`.',
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: fixesFor(ctx, call, fn),
    });
  }
  findings.push(...streamDrains(ctx, asgi));
  return findings;
}

/**
 * Sync code that drains a `TextIteratorStreamer` (each step waits on a queue a generation thread fills),
 * run on an event loop: a helper called from an async handler, a sync generator it iterates, or its own
 * `for` over the streamer. The loop then waits out the whole generation, which is what streaming was for.
 */
function streamDrains(ctx: PythonContext, asgi: boolean): Finding[] {
  const c = ctx.module.context;
  if (!c.drainers.size) return [];
  const g = { defs: c.defs, instances: c.instances, classes: c.fileClasses };
  const out: Finding[] = [];
  const fix = 'Use `AsyncTextIteratorStreamer` with `async for`, or hand the blocking part to a thread (`await asyncio.to_thread(...)`; ' +
    'for a generator, `starlette.concurrency.iterate_in_threadpool`).';
  for (const fn of ctx.module.functions) {
    if (!isAsync(fn)) continue;
    const name = qualifiedName(fn);
    const kind = c.handlers.get(name);
    const path = c.requestPaths.get(name);
    if (!((kind && asgi && !/Ray Serve/.test(kind)) || path?.onLoop)) continue;
    const where = `\`async def ${functionName(fn)}\`${path ? ` (${path.chain.map((n) => `\`${n}\``).join(' → ')})` : ''}`;
    const drainerCalls = new Map<string, string>();
    for (const call of ctx.module.calls) {
      if (ancestry(call).fn?.id !== fn.id || call.parent?.type === 'await' || insideLambda(call, fn)) continue;
      const callee = ctx.module.calleeText.get(call.id) ?? '';
      const to = callTarget(call, callee);
      const target = to ? resolveTarget(g, to) : undefined;
      const def = target ? c.defs.get(target) : undefined;
      if (!target || !def || def.async || !c.drainers.has(target)) continue;
      const left = call.parent?.type === 'assignment' ? call.parent.childForFieldName('left') : undefined;
      if (def.generator && left?.type === 'identifier') drainerCalls.set(left.text, callee);
      if (def.generator && !iterated(call)) continue;
      if (def.generator && left?.type === 'identifier') continue; // reported at the loop that iterates it
      out.push({
        rule: PY008.id,
        message: `\`${callee}\` blocks until the whole generation ends (it drains a \`TextIteratorStreamer\`), and runs on the event loop in ${where}: ` +
          `every other request on this worker waits. ${fix}`,
        range: nodeRange(call.childForFieldName('function') ?? call),
      });
    }
    // `for token in gen` over a draining generator made above, or over a streamer made here.
    const streamers = streamersMadeIn(ctx.module, fn);
    const body = fn.childForFieldName('body');
    for (const loop of body?.descendantsOfType('for_statement') ?? []) {
      if (!loop || loop.child(0)?.type === 'async' || ancestry(loop).fn?.id !== fn.id) continue;
      const it = loop.childForFieldName('right');
      if (it?.type !== 'identifier') continue;
      const via = drainerCalls.get(it.text);
      if (!via && !streamers.has(it.text)) continue;
      out.push({
        rule: PY008.id,
        message: `Iterating \`${it.text}\` ${via ? `(from \`${via}\`, which drains a \`TextIteratorStreamer\`)` : '(a `TextIteratorStreamer`)'} waits on a queue at each step, on the event loop in ${where}: ` +
          `other requests wait until generation ends. ${fix}`,
        range: nodeRange(it),
      });
    }
  }
  return out;
}

/** A call inside a lambda is deferred (typically handed to an executor), not run on the loop here. */
function insideLambda(call: Node, fn: Node): boolean {
  return ancestry(call).scope?.id !== fn.id;
}

function fixesFor(ctx: PythonContext, call: Node, fn: Node): Fix[] {
  const fixes: Fix[] = [];
  const body = fn.childForFieldName('body');
  const asyncTok = fn.child(0);
  if (body && asyncTok?.type === 'async' && !/\bawait\b|\basync\s+(for|with)\b/.test(body.text)) {
    const end = fn.child(1)!;
    fixes.push({
      title: `Make \`${functionName(fn)}\` a plain \`def\` (the framework runs it in a thread pool)`,
      edits: [{ range: { start: { line: asyncTok.startPosition.row, character: asyncTok.startPosition.column }, end: { line: end.startPosition.row, character: end.startPosition.column } }, newText: '' }],
    });
  }
  const callee = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (callee && args?.type === 'argument_list') {
    const asyncio = ensureImport(ctx.module, 'asyncio');
    const inner = args.text.slice(1, -1).trim();
    let text = `await ${asyncio.name}.to_thread(${callee.text}${inner ? `, ${inner}` : ''})`;
    if (call.parent && /^(attribute|subscript|call)$/.test(call.parent.type)) text = `(${text})`;
    fixes.push({
      title: 'Run it in a worker thread (`await asyncio.to_thread(...)`)',
      edits: [...asyncio.edits, { range: nodeRange(call), newText: text }],
    });
  }
  return fixes;
}

export const PY008: PythonRule = {
  id: 'PY008',
  name: 'blocking-inference-in-async-handler',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Blocking model inference runs directly inside an `async def` request handler.',
    whatItDoes:
      'Flags synchronous inference calls (torch/transformers models, pipelines, ONNX Runtime `session.run`, sentence-transformers ' +
      '`encode`, ...) that run on the event loop of an `async def` handler of an event-loop framework (FastAPI, Starlette, ' +
      'Litestar, Django async views, BentoML async APIs, Gradio async callbacks, KServe, Jina, aiohttp routes): in the handler\'s body, or in ' +
      'any function it runs on the loop: a plain helper it calls directly, an async helper it awaits, a generator it ' +
      'iterates, in this file or another module of the workspace (the message names the chain; the finding sits on the ' +
      'inference call). Also flags sync code on the loop that drains a `TextIteratorStreamer` (each step waits for a ' +
      'generation thread): a helper that drains one called from the handler, a draining generator it iterates, or its own ' +
      '`for` over the streamer. Models are recognised through library tables and, for packages no table names, by the ' +
      'call itself (`Reranker(model_name_or_path=...)`, `SomeModel(name, device=...)`). Silent for awaited calls, for work handed to a thread (`asyncio.to_thread`, `run_in_executor`, ' +
      '`run_in_threadpool`, a nested `def`/lambda), for sync generators given to a streaming response (Starlette iterates ' +
      'them in a thread), for Flask (async views run in their own thread) and for Ray Serve deployments (each replica ' +
      'queues its own requests).',
    whyItCosts:
      'An ASGI server runs every request of a worker on one event loop. A 50 ms forward pass inside `async def` holds that ' +
      'loop for 50 ms: health checks, streaming responses and all concurrent requests stall behind it, so p95 latency grows ' +
      'with concurrency and the worker serves one request at a time while its thread pool sits idle. FastAPI runs a ' +
      'plain `def` handler in a thread pool instead, where ONNX Runtime and torch release the GIL during compute.',
    example: [
      '@app.post("/embed")',
      'async def embed(req: EmbedRequest):',
      '    vectors = encoder.encode(req.texts)',
      '    return {"vectors": vectors.tolist()}',
    ].join('\n'),
    useInstead: [
      '@app.post("/embed")',
      'def embed(req: EmbedRequest):          # FastAPI runs it in its thread pool',
      '    vectors = encoder.encode(req.texts)',
      '    return {"vectors": vectors.tolist()}',
      '',
      '# or keep async and move the work off the loop:',
      '#     vectors = await asyncio.to_thread(encoder.encode, req.texts)',
      '#     vectors = await run_in_threadpool(encoder.encode, req.texts)   # starlette.concurrency',
    ].join('\n'),
  },
  check,
};
