import type { Finding, ScriptContext, ScriptRule } from '../types';
import { nodeRange } from '../helpers';
import { describeRun, overBatches, perItemRuns } from './batching';
import type { Node } from 'web-tree-sitter';
import { dottedName } from '../../code/script/semantics';
import { callArgs } from './common';

const FAN_OUT = new Set(['map', 'flatMap', 'forEach']);

/** `batches.map((batch) => classifier(batch))`: each element already is a batch. */
function mapsBatches(loop: Node): boolean {
  const cb = callArgs(loop)[0];
  return overBatches(loop.childForFieldName('function')?.childForFieldName('object'), cb?.childForFieldName('parameters') ?? cb?.childForFieldName('parameter'));
}

function check(ctx: ScriptContext): Finding[] {
  const findings: Finding[] = [];
  for (const run of perItemRuns(ctx.module, 'callback')) {
    const callee = run.loop.childForFieldName('function');
    const method = callee?.childForFieldName('property')?.text ?? '';
    if (!FAN_OUT.has(method)) continue;
    if (dottedName(callee?.childForFieldName('object')) === 'Array') continue;
    if (mapsBatches(run.loop)) continue;
    const what = describeRun(run);
    findings.push({
      rule: JS005.id,
      message: `${what} is started once per element by \`.${method}(...)\`: the runs compete for one ` +
        'session\'s threads instead of sharing a batch; run once over the whole batch.',
      range: nodeRange(run.call),
    });
  }
  return findings;
}

export const JS005: ScriptRule = {
  id: 'JS005',
  name: 'concurrent-runs-per-item',
  target: 'script',
  defaultSeverity: 'warning',
  docs: {
    summary: 'One session or pipeline is run once per element via `.map`/`.forEach` (e.g. under `Promise.all`).',
    whatItDoes:
      'Flags `session.run(...)`, `pipe(item)`, a transformers.js `model(inputs)` / `model.generate(...)`, or a ' +
      'helper (of the same file or imported from another file of the workspace) that runs one of them on its ' +
      'argument (`embed(text)`), inside the callback of ' +
      '`items.map(...)`, `.flatMap(...)` or `.forEach(...)` when every element uses the same session, pipeline ' +
      'or model: the usual ' +
      '`await Promise.all(items.map((x) => session.run(toFeeds(x))))` fan-out. Callbacks that pick a different ' +
      'session per element (ensembles) and `Array.from({ length: n }, ...)` (warm-up, benchmarks) are left alone.',
    whyItCosts:
      'Concurrent runs on one session do not batch: each is a batch-1 run, and all of them share (and ' +
      'oversubscribe) the session\'s intra-op thread pool, so hundreds of in-flight runs cost more CPU and memory ' +
      '(one set of intermediate tensors each) than one batched run, and make latency unpredictable for other ' +
      'requests. A single call over the stacked batch does the same work with wide kernels.',
    example: [
      'const results = await Promise.all(',
      '  texts.map((t) => classifier(t)),',
      ');',
    ].join('\n'),
    useInstead: [
      'const results = await classifier(texts);',
      '',
      '// With onnxruntime-node: stack the inputs into one [batch, ...] tensor, run once, split the output.',
      '// For unbounded input, batch in chunks of a size that fits memory.',
    ].join('\n'),
  },
  check,
};
