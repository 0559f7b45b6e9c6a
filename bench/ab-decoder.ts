/**
 * The quantize A/B of a decoder, as `quantize` runs it: int8 (dynamic) and int4 (MatMulNBits) of the
 * shared decoders judged by greedy token agreement (4 seeded prompts of 8-64 ids, 32 steps) next to what
 * one forward says (the logits cosine and per-position argmax agreement the A/B judged before), decode
 * tokens/s and TTFT ratios, and the verdict. Then what the token check costs: the A/B without timing,
 * split into its generations (both models) and the rest (the single forward on 4 samples), measured in
 * the same run; the ratio is the price of judging a decoder by its tokens.
 *
 * Run: npm run bench -- ab-decoder   (INFERENCE_LENS_MODELS overrides the models folder)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runGreedy } from '../server/src/bench/runner';
import { table } from '../server/src/bench/report';
import { readModelFile } from '../server/src/onnx/reader';
import { recognizeGenerative } from '../server/src/onnx/generative';
import { AB_NEW_TOKENS, compareModels } from '../server/src/quantize/ab';
import { quantizeModel } from '../server/src/quantize/convert';
import { abPrompts } from '../server/src/quantize/greedyAgreement';
import { median } from './lib/timing';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 3);
const f = (x: number, d = 2): string => x.toFixed(d);
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;

async function wall<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await work();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-abdec-'));
  const verdicts = [['model', 'variant', 'one forward: cosine', 'argmax = fp32', 'generated = fp32', 'first divergence', 'logits cosine (lowest)', 'decode tok/s ×', 'TTFT ×', 'verdict']];
  const costs = [['model', 'variant', 'A/B without timing s', 'generations s', 'single forward s', 'generations / single forward']];
  try {
    for (const name of ['decoder_gpt2_tiny.onnx', 'decoder_llama_tiny.onnx']) {
      const src = path.join(MODELS, name);
      const g = recognizeGenerative(readModelFile(src))!;
      for (const [label, method] of [['int8', 'int8-dynamic'], ['int4', 'int4-weight']] as const) {
        const out = path.join(dir, name.replace('.onnx', `.${label}.onnx`));
        await quantizeModel(src, { method, out });
        const ab = await compareModels(src, out, { benchSeconds: 2, context: { method } });
        const gen = ab.generation!;
        const logits = ab.outputs.find((o) => o.name === g.logits)!;
        verdicts.push([name, label, f(logits.cosine, 5), logits.tokenAgreement === undefined ? '–' : pct(logits.tokenAgreement), pct(gen.tokenAgreement),
          gen.firstDivergence.map((x) => (x === null ? '-' : x)).join('/'), `${f(gen.logitsCosine, 5)} (${f(gen.minStepCosine, 5)})`, f(ab.speedup!), f(ab.prefillSpeedup!), ab.verdict]);
        // The token check's price: generations of both models against the whole A/B without timing, rounds alternated.
        const whole: number[] = [], greedy: number[] = [];
        const prompts = abPrompts(g.vocab);
        for (let r = 0; r < ROUNDS; r++) {
          whole.push((await wall(() => compareModels(src, out, { bench: false })))[1]);
          greedy.push((await wall(async () => { await runGreedy(src, prompts, AB_NEW_TOKENS); await runGreedy(out, prompts, AB_NEW_TOKENS); }))[1]);
        }
        const [w, gr] = [median(whole) / 1000, median(greedy) / 1000];
        costs.push([name, label, f(w), f(gr), f(w - gr), f(gr / (w - gr))]);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`A/B as quantize runs it (4 synthetic samples for one forward; ${AB_NEW_TOKENS} greedy steps from 4 seeded prompts of 8, 16, 32, 64 ids; timing 2 s per model at a 128-token prompt)`);
  console.log(table(verdicts).join('\n'));
  console.log(`\nWhat the token check costs (median of ${ROUNDS} rounds, wall seconds, each model in its own child process)`);
  console.log(table(costs).join('\n'));
}

void main().catch((e) => { console.error(e); process.exit(1); });
