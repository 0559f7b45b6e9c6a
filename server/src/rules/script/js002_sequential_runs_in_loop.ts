import type { Finding, ScriptContext, ScriptRule } from '../types';
import { nodeRange } from '../helpers';
import { describeRun, exitsEarly, isAwaited, iteratesCollection, loopCarried, perItemRuns } from './batching';

function check(ctx: ScriptContext): Finding[] {
  const findings: Finding[] = [];
  for (const run of perItemRuns(ctx.module, 'statement')) {
    if (!isAwaited(run.call) || !iteratesCollection(run.loop) || exitsEarly(run.loop) || loopCarried(run.loop, run.call)) continue;
    const what = describeRun(run);
    const how = run.via
      ? `let \`${run.via.name}\` take the whole array and run \`${run.via.model}\` once over it`
      : run.kind === 'session'
        ? 'stack the inputs into one tensor with a batch dimension and run once'
        : run.kind === 'model'
          ? `prepare the inputs of the whole array at once (tokenizer or processor with \`padding: true\`) and call \`${run.callee}\` once`
          : `pass the whole array: \`await ${run.receiver}(items)\``;
    findings.push({
      rule: JS002.id,
      message: `${what} is awaited once per item of this loop: ${how}.`,
      range: nodeRange(run.call),
    });
  }
  return findings;
}

export const JS002: ScriptRule = {
  id: 'JS002',
  name: 'sequential-runs-in-loop',
  target: 'script',
  defaultSeverity: 'warning',
  docs: {
    summary: 'An ONNX Runtime session, transformers.js pipeline or model is awaited one item at a time in a loop.',
    whatItDoes:
      'Flags `await session.run(...)`, `await pipe(item)` and, for transformers.js model classes ' +
      '(`AutoModel.from_pretrained(...)` and the like), `await model(inputs)` / `await model.generate(...)` ' +
      'inside a `for`/`for...of` loop over a collection (or an index loop bounded by `.length`), when the ' +
      'session, pipeline or model is the same for every item. A helper of the same file that runs one on its ' +
      'argument counts as a run too: `await embed(chunk)` where `embed(text)` awaits the pipeline (held in a ' +
      'variable, returned by a lazy getter or a singleton class\'s `getInstance()`, here or imported), or `await this.embedder.embed(chunk)` ' +
      'where that class is declared in the file. Helpers imported from other files of the workspace count the ' +
      'same way (`import { embed } from \'./embed.js\'`, `const { embed } = require(\'../lib/embed\')`, a method ' +
      'of an imported class on an injected instance): the index reads what each file exports. ' +
      'Loops whose next input depends on the previous output (token-by-token generation, recurrent state, ' +
      'a growing message list), `for await` streams, loops that `break`/`return` early and `while` loops ' +
      'are left alone: they cannot simply be batched.',
    whyItCosts:
      'Each call pays the fixed cost of a run (input conversion, kernel launches, thread-pool wake-up, a ' +
      'round trip through the event loop) and uses the hardware at batch size 1. One call over a batch ' +
      'amortises that cost and lets matrix kernels work on wider inputs: 2-10x more throughput on CPU, ' +
      'more on GPU, for the same answers.',
    example: [
      'const embeddings = [];',
      'for (const text of texts) {',
      "  const out = await extractor(text, { pooling: 'mean', normalize: true });",
      '  embeddings.push(out.tolist()[0]);',
      '}',
    ].join('\n'),
    useInstead: [
      "const out = await extractor(texts, { pooling: 'mean', normalize: true });",
      'const embeddings = out.tolist();',
      '',
      '// With onnxruntime-node: concatenate the inputs into one tensor of shape [batch, ...],',
      '// run once and split the output along the first dimension.',
    ].join('\n'),
  },
  check,
};
