/**
 * "Optimize model" on this machine, each figure against the original measured in the same run.
 *
 * 1. Every model in the shared models folder: nodes before/after, size, session creation, p50 (A =
 *    original, B = optimized, both under ONNX Runtime's default 'all' optimizations), output
 *    agreement (cosine, max abs error) and the verdict.
 * 2. The BERT-like model at batch 1 and 8, seq 128: p50 of the original under ORT's default ('all',
 *    which already fuses LayerNorm/GELU at load), of our optimized copy (same level), and of ORT's own
 *    'extended' graph saved once and loaded with optimizations off; rounds interleaved, median kept.
 *
 * Run: npm run bench -- optimize   (INFERENCE_LENS_MODELS overrides the models folder; OPT_BENCH=quick
 *      runs part 2 at batch 1 only, one round)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { table } from '../server/src/bench/report';
import { runBenchmark, runOptimization } from '../server/src/bench/runner';
import type { SessionOptionsSpec } from '../server/src/bench/types';
import { compareModels } from '../server/src/quantize/ab';
import { OPTIMIZE_MIN_COSINE, optimizeVerdict } from '../server/src/optimize/report';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-opt-'));
const quick = process.env.OPT_BENCH === 'quick';
const f1 = (v: number): string => v.toFixed(1);
const f2 = (v: number): string => v.toFixed(2);
const mb = (b: number): string => (b / 2 ** 20).toFixed(2);

async function everyModel(): Promise<void> {
  const files = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();
  const rows = [['model', 'nodes A→B', 'MB A→B', 'create A ms', 'create B ms', 'p50 A ms', 'p50 B ms', 'speed-up', 'min cosine', 'max abs err', 'optimize s', 'verdict']];
  const notes: string[] = [];
  for (const f of files) {
    const src = path.join(MODELS, f);
    const out = path.join(tmp, f.replace(/\.onnx$/, '.opt.onnx'));
    try {
      const s = await runOptimization(src, { out });
      const ab = await compareModels(src, out, { count: 2, benchSeconds: 2, thresholds: { minCosine: OPTIMIZE_MIN_COSINE, minSpeedup: 1 } });
      const maxAbs = Math.max(...ab.outputs.map((o) => o.maxAbsError));
      rows.push([f, `${s.nodesBefore}→${s.nodesAfter}`, `${mb(s.bytesBefore)}→${mb(s.bytesAfter)}`, f1(ab.perfA!.loadMs), f1(ab.perfB!.loadMs),
        f2(ab.perfA!.p50Ms), f2(ab.perfB!.p50Ms), `${f2(ab.speedup!)}×`, ab.minCosine.toFixed(6), maxAbs.toExponential(1), f2(s.seconds), optimizeVerdict(ab)]);
      const did = s.passes.filter((p) => p.changed).map((p) => `${p.rule} ${p.notes.join(', ')}`);
      notes.push(`${f}: ${did.length ? did.join('; ') : 'nothing to fix'}`);
    } catch (e) {
      rows.push([f, 'failed', (e as Error).message.slice(0, 80), '', '', '', '', '', '', '', '', '']);
    } finally {
      fs.rmSync(out, { force: true });
      fs.rmSync(`${out}.data`, { force: true });
    }
  }
  console.log(`1. Every shared model (${os.cpus().length} cores; A = original, B = optimized, both under ORT 'all'; synthetic inputs)\n`);
  console.log(table(rows).join('\n'));
  console.log('\nwhat each got:');
  for (const n of notes) console.log(`  ${n}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bertFusion(): Promise<void> {
  const src = path.join(MODELS, 'bert_small_like.onnx');
  const ours = path.join(tmp, 'bert.opt.onnx');
  const ort = path.join(tmp, 'bert.ort.onnx');
  const s = await runOptimization(src, { out: ours });
  await runOptimization(src, { out: ort, ort: true });
  const variants: Array<{ name: string; file: string; session: SessionOptionsSpec }> = [
    { name: "original, ORT 'all' (default)", file: src, session: { graphOptimizationLevel: 'all' } },
    { name: "Optimize model, ORT 'all'", file: ours, session: { graphOptimizationLevel: 'all' } },
    { name: "ORT 'extended' saved, loaded 'disabled'", file: ort, session: { graphOptimizationLevel: 'disabled' } },
  ];
  const rows = [['batch', 'variant', 'p50 ms (median of rounds)', 'vs original', 'session create ms']];
  for (const batch of quick ? [1] : [1, 8]) {
    const p50 = variants.map(() => [] as number[]), create = variants.map(() => [] as number[]);
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      for (let v = 0; v < variants.length; v++) {
        const r = await runBenchmark(variants[v].file, { dims: { batch, seq: 128 }, session: variants[v].session, warmupRuns: 3, minRuns: 10, minTimeS: 2, maxTimeS: 8 });
        p50[v].push(r.latencyMs.p50); create[v].push(r.sessionCreateMs);
      }
    }
    variants.forEach((v, i) => rows.push([String(batch), v.name, f2(median(p50[i])), `${f2(median(p50[0]) / median(p50[i]))}×`, f1(median(create[i]))]));
  }
  console.log(`\n2. BERT-like (4 layers, d=256), seq 128: our fusions against ORT's default session optimisation (${s.nodesBefore}→${s.nodesAfter} nodes: ${s.passes.filter((p) => p.changed).map((p) => p.notes.join(', ')).join('; ')})\n`);
  console.log(table(rows).join('\n'));
}

void (async () => {
  try {
    if (!quick) await everyModel();
    await bertFusion();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})();
