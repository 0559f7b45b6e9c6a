import type { Finding, Fix, ScriptContext, ScriptRule } from '../types';
import type { Node } from 'web-tree-sitter';
import { isSessionCreate } from '../../code/script/semantics';
import { servingReason } from '../../code/script/handlers';
import { callArgs } from './common';
import { nodeRange } from '../helpers';

export const SESSION_OPTIONS =
  "{ executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: Number(process.env.ORT_INTRA_OP_THREADS) || 1 }";

/** create(path) / create(buffer), create(x, {}) or create(buffer, offset, length): no options at all. */
function optionsMissing(args: Node[]): boolean {
  if (args.length === 1 || args.length === 3) return true;
  const last = args[args.length - 1];
  return args.length === 2 && last.type === 'object' && last.namedChildren.filter((c) => c && c.type !== 'comment').length === 0;
}

function check(ctx: ScriptContext): Finding[] {
  // Only server code: a one-off script pays the defaults once, in one process, on the machine at hand.
  if (!ctx.module.nodeRuntime || !servingReason(ctx.module)) return [];
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    if (!call || !isSessionCreate(ctx.module, call)) continue;
    const args = callArgs(call);
    if (!args.length || !optionsMissing(args)) continue;
    findings.push({
      rule: JS003.id,
      message: '`InferenceSession.create` without options: execution providers, thread counts and graph ' +
        'optimisation are left to defaults (the thread pool sizes itself to the host\'s cores, not the container\'s CPU quota).',
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: addOptions(call, args),
    });
  }
  return findings;
}

function addOptions(call: Node, args: Node[]): Fix[] {
  const last = args[args.length - 1];
  const edit = last.type === 'object'
    ? { range: nodeRange(last), newText: SESSION_OPTIONS }
    : { range: { start: nodeRange(last).end, end: nodeRange(last).end }, newText: `, ${SESSION_OPTIONS}` };
  return [{ title: 'Add explicit session options (providers, threads, optimisation)', edits: [edit] }];
}

export const JS003: ScriptRule = {
  id: 'JS003',
  name: 'session-without-options',
  target: 'script',
  defaultSeverity: 'information',
  docs: {
    summary: 'An onnxruntime-node `InferenceSession` is created with no options at all in server code.',
    whatItDoes:
      'Flags `InferenceSession.create(path)` (and `create(buffer)`, `create(path, {})`) in server code that loads ' +
      '`onnxruntime-node`, when no options are passed: no `executionProviders`, no `intraOpNumThreads`/' +
      '`interOpNumThreads`, no `graphOptimizationLevel`. Any options object (or a variable holding one) ' +
      'silences it. Server code is a file with a request handler (Express, Fastify, Koa, Hono, NestJS, Next.js ' +
      'route or server action, pages/api, Lambda/Vercel/Workers handler, queue processor, worker `message` ' +
      'listener), a server framework import (`express`, `fastify`, `@nestjs/*`, `next/server`, ...) or an ' +
      '`http.createServer` call. One-off scripts, command-line and batch jobs and quick-start examples ' +
      '(`async function main() { ... } main();`) are not flagged, nor is browser code (`onnxruntime-web`).',
    whyItCosts:
      'With defaults, the intra-op thread pool sizes itself to every core the host reports, not the CPU quota ' +
      'of the container or the share one worker process should use: in a container limited to 2 CPUs on a ' +
      '64-core host, dozens of spinning threads are throttled and tail latency grows; several Node workers ' +
      '(cluster, PM2) each start a full pool. Which hardware runs the model is also left implicit, so a GPU ' +
      'build silently runs on CPU. Explicit settings make the cost a deployment decision.',
    example: [
      "import * as ort from 'onnxruntime-node';",
      "import express from 'express';",
      '',
      "const session = await ort.InferenceSession.create('model.onnx');",
    ].join('\n'),
    useInstead: [
      "import * as ort from 'onnxruntime-node';",
      "import express from 'express';",
      '',
      "const session = await ort.InferenceSession.create('model.onnx', {",
      "  executionProviders: ['cpu'],",
      "  graphOptimizationLevel: 'all',",
      '  intraOpNumThreads: Number(process.env.ORT_INTRA_OP_THREADS) || 1, // this process\'s share of the CPU quota',
      '});',
    ].join('\n'),
  },
  check,
};
