/**
 * Quantization judged where it pays for a decoder: int8 (dynamic) and int4 (MatMulNBits, weight-only)
 * against the float32 original on the shared decoders, by decode tokens/s (memory-bound), TTFT
 * (the prefill, compute-bound) and greedy token agreement over the generation from several prompts
 * (share of ids equal to fp32's, first step where they diverge), each generation timed by
 * `bench --generate` in the child. The baseline (fp32) is measured in the same run, and the three
 * variants are measured in rotating order so a shared machine's load falls on all of them.
 *
 * Run: npm run bench -- generate-quantized   (INFERENCE_LENS_MODELS overrides the models folder)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBenchmark } from '../server/src/bench/runner';
import { table } from '../server/src/bench/report';
import { latencyStats } from '../server/src/bench/stats';
import type { GenerationResult } from '../server/src/bench/types';
import { quantizeModel } from '../server/src/quantize/convert';
import { idAgreement } from '../server/src/quantize/greedyAgreement';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const STEPS = 32;
const PROMPTS = [Array.from({ length: 16 }, (_, i) => i + 1), [5, 900, 77, 3021, 18, 6400, 250, 4096], Array.from({ length: 64 }, (_, i) => (i * 131 + 7) % 8000 + 1)];
const ROUNDS = 3;
const median = (xs: number[]): number => latencyStats(xs).p50;

async function generate(file: string, prompt: number[]): Promise<GenerationResult> {
  return (await runBenchmark(file, { minRuns: 1, minTimeS: 1, maxTimeS: 10, generate: { promptIds: prompt, newTokens: STEPS } })).generation!;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-genq-'));
  const rows = [['model', 'variant', 'MiB', 'decode tok/s', 'vs fp32', 'TTFT p50 ms', 'vs fp32', 'ids = fp32', 'first divergence']];
  try {
    for (const name of ['decoder_gpt2_tiny.onnx', 'decoder_llama_tiny.onnx']) {
      const src = path.join(MODELS, name);
      const variants: Array<[string, string]> = [['fp32', src]];
      for (const [label, method] of [['int8', 'int8-dynamic'], ['int4', 'int4-weight']] as const) {
        const out = path.join(dir, name.replace('.onnx', `.${label}.onnx`));
        await quantizeModel(src, { method, out }); // int4: accuracy_level 4 (int8 compute), the converter's default
        variants.push([label, out]);
      }
      const tps = new Map<string, number[]>(), ttft = new Map<string, number[]>(), ids = new Map<string, number[][]>();
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < variants.length; k++) {
          const [label, file] = variants[(k + r) % variants.length];
          for (const [p, prompt] of PROMPTS.entries()) {
            const g = await generate(file, prompt);
            if (p === 0) { (tps.get(label) ?? tps.set(label, []).get(label)!).push(g.tokensPerSec); (ttft.get(label) ?? ttft.set(label, []).get(label)!).push(g.ttftMs.p50); }
            if (r === 0) (ids.get(label) ?? ids.set(label, []).get(label)!).push(g.generatedIds);
          }
        }
      }
      const base = { tps: median(tps.get('fp32')!), ttft: median(ttft.get('fp32')!) };
      for (const [label, file] of variants) {
        const agree = ids.get(label)!.map((x, i) => idAgreement(x, ids.get('fp32')![i]));
        const firsts = agree.map((a) => (a.firstDivergence === null ? '-' : String(a.firstDivergence))).join('/');
        rows.push([name, label, (fs.statSync(file).size / 2 ** 20).toFixed(1), median(tps.get(label)!).toFixed(0), (median(tps.get(label)!) / base.tps).toFixed(2),
          median(ttft.get(label)!).toFixed(2), (median(ttft.get(label)!) / base.ttft).toFixed(2),
          `${((agree.reduce((s, a) => s + a.same, 0) / agree.length) * 100).toFixed(0)} %`, firsts]);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${STEPS} decode steps after prompts of ${PROMPTS.map((p) => p.length).join(', ')} ids, batch 1; tok/s and TTFT from the first prompt, ` +
    `median of ${ROUNDS} rotating rounds; agreement over all prompts (${STEPS + 1} ids each), first divergence per prompt ('-': none)`);
  console.log(table(rows).join('\n'));
}

void main().catch((e) => { console.error(e); process.exit(1); });
