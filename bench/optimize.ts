/**
 * "Optimize model" on this machine, each figure against the original measured in the same run.
 *
 * 1. Every model in the shared models folder: nodes before/after, size, session creation and p50
 *    (A = original, B = optimized, both under ONNX Runtime's default 'all' optimizations; rounds
 *    A, B, A, B, A, B, median of each), output agreement (cosine, max abs error) and the verdict.
 * 2. The BERT-like model at batch 1 and 8, seq 128: the original under ORT's default ('all', which
 *    already fuses LayerNorm/GELU at load), our optimized copy (same level), and ORT's own 'extended'
 *    graph saved once and loaded with optimizations off; rounds interleaved, median kept. Then the
 *    graphs ORT actually executes for the original and for our copy, compared op by op: when they are
 *    the same, any p50 difference between those two is the machine's noise, not the rewrite.
 *
 * 4. The attention fusion alone, paired run by run: the original (ORT 'all') and the copy with only ONNX009
 *    applied (ORT 'all'), both sessions in this process with one intra-op thread, runs alternating A, B, A,
 *    B... on the same input, so load changes hit both sides of each pair; the median of the per-pair ratios.
 *
 * 3. Why SkipLayerNormalization is opt-in: one residual Add + LayerNormalization at [batch, 128, 256],
 *    unfused (ORT 'basic'), fused by ORT itself ('all'), and as com.microsoft SkipLayerNormalization.
 *
 * Run: npm run bench -- optimize   (INFERENCE_LENS_MODELS overrides the models folder; OPT_BENCH=quick:
 *      parts 2 and 3 at batch 1, one round of part 2; OPT_BENCH=skip: part 3 only; OPT_BENCH=bert: part 2
 *      and 4 only, 5 rounds; OPT_BENCH=paired: part 4 only)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { table } from '../server/src/bench/report';
import { runBenchmark, runOptimization } from '../server/src/bench/runner';
import type { BenchOptions, SessionOptionsSpec } from '../server/src/bench/types';
import { readModelFile } from '../server/src/onnx/reader';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../server/src/onnx/builder';
import { compareModels } from '../server/src/quantize/ab';
import { OPTIMIZE_MIN_COSINE, optimizeVerdict } from '../server/src/optimize/report';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-opt-'));
const quick = process.env.OPT_BENCH === 'quick';
const only = process.env.OPT_BENCH === 'skip';
const bertOnly = process.env.OPT_BENCH === 'bert';
const pairedOnly = process.env.OPT_BENCH === 'paired';
const f1 = (v: number): string => v.toFixed(1);
const f2 = (v: number): string => v.toFixed(2);
const mb = (b: number): string => (b / 2 ** 20).toFixed(2);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** p50 and session creation of each file, measured in interleaved rounds (a, b, c, a, b, c...), medians. */
async function interleaved(files: Array<{ file: string; session?: SessionOptionsSpec }>, o: Partial<BenchOptions>, rounds: number): Promise<Array<{ p50: number; create: number }>> {
  const p50 = files.map(() => [] as number[]), create = files.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < files.length; i++) {
      const res = await runBenchmark(files[i].file, { warmupRuns: 3, minRuns: 10, minTimeS: 1.5, maxTimeS: 6, ...o, session: files[i].session });
      p50[i].push(res.latencyMs.p50); create[i].push(res.sessionCreateMs);
    }
  }
  return files.map((_, i) => ({ p50: median(p50[i]), create: median(create[i]) }));
}

async function everyModel(): Promise<void> {
  const files = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();
  const rows = [['model', 'nodes A→B', 'MB A→B', 'create A ms', 'create B ms', 'p50 A ms', 'p50 B ms', 'B vs A', 'min cosine', 'max abs err', 'optimize s', 'verdict']];
  const notes: string[] = [];
  for (const f of files) {
    const src = path.join(MODELS, f);
    const out = path.join(tmp, f.replace(/\.onnx$/, '.opt.onnx'));
    try {
      const s = await runOptimization(src, { out });
      const ab = await compareModels(src, out, { count: 2, bench: false, thresholds: { minCosine: OPTIMIZE_MIN_COSINE, minSpeedup: 1 } });
      const [a, b] = await interleaved([{ file: src }, { file: out }], {}, 3);
      const maxAbs = Math.max(...ab.outputs.map((o) => o.maxAbsError));
      rows.push([f, `${s.nodesBefore}→${s.nodesAfter}`, `${mb(s.bytesBefore)}→${mb(s.bytesAfter)}`, f1(a.create), f1(b.create),
        f2(a.p50), f2(b.p50), `${f2(a.p50 / b.p50)}×`, ab.minCosine.toFixed(6), maxAbs.toExponential(1), f2(s.seconds),
        optimizeVerdict({ ...ab, speedup: a.p50 / b.p50 }, s)]);
      const did = s.passes.filter((p) => p.changed).map((p) => `${p.rule} ${p.notes.join(', ')}`);
      notes.push(`${f}: ${did.length ? `${did.join('; ')}; ${await executedDiff(src, out)}` : 'nothing to fix (its B vs A is this machine\'s noise band)'}`);
    } catch (e) {
      rows.push([f, 'failed', (e as Error).message.slice(0, 80), '', '', '', '', '', '', '', '', '']);
    } finally {
      fs.rmSync(out, { force: true });
      fs.rmSync(`${out}.data`, { force: true });
    }
  }
  console.log(`1. Every shared model (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; A = original, B = optimized, both under ORT 'all'; medians of 3 interleaved rounds; synthetic inputs)\n`);
  console.log(table(rows).join('\n'));
  console.log('\nwhat each got:');
  for (const n of notes) console.log(`  ${n}`);
}

/** Op counts of the graph onnxruntime executes for `file` at `level` (its optimizedModelFilePath output). */
async function executedGraph(file: string, level: 'all'): Promise<Record<string, number>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const saved = path.join(tmp, `${path.basename(file)}.${level}.onnx`);
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: level, optimizedModelFilePath: saved, logSeverityLevel: 3 });
  await s.release();
  const ops: Record<string, number> = {};
  for (const n of readModelFile(saved).graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  return ops;
}

/** What differs between the graphs onnxruntime executes for two files, op type by op type, in words. */
async function executedDiff(a: string, b: string): Promise<string> {
  const [x, y] = [await executedGraph(a, 'all'), await executedGraph(b, 'all')];
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const diff = keys.filter((k) => x[k] !== y[k]).map((k) => `${k} ${x[k] ?? 0}→${y[k] ?? 0}`);
  const count = (o: Record<string, number>): number => Object.values(o).reduce((p, q) => p + q, 0);
  return diff.length ? `ORT at 'all' executes ${count(x)} → ${count(y)} nodes (${diff.join(', ')})` : `ORT at 'all' executes the same ${count(x)} nodes for both, op for op: B vs A is noise`;
}

async function bertFusion(): Promise<void> {
  const src = path.join(MODELS, 'bert_small_like.onnx');
  const ours = path.join(tmp, 'bert.opt.onnx');
  const ort = path.join(tmp, 'bert.ort.onnx');
  const s = await runOptimization(src, { out: ours });
  await runOptimization(src, { out: ort, ort: true });
  const variants = [
    { name: "original, ORT 'all' (default)", file: src, session: { graphOptimizationLevel: 'all' as const } },
    { name: "Optimize model, ORT 'all'", file: ours, session: { graphOptimizationLevel: 'all' as const } },
    { name: "ORT 'extended' saved, loaded 'disabled'", file: ort, session: { graphOptimizationLevel: 'disabled' as const } },
  ];
  const rows = [['batch', 'variant', 'p50 ms', 'vs original', 'session create ms']];
  for (const batch of quick ? [1] : [1, 8]) {
    const r = await interleaved(variants, { dims: { batch, seq: 128 } }, quick ? 1 : bertOnly ? 5 : 3);
    variants.forEach((v, i) => rows.push([String(batch), v.name, f2(r[i].p50), `${f2(r[0].p50 / r[i].p50)}×`, f1(r[i].create)]));
  }
  console.log(`\n2. BERT-like (4 layers, d=256), seq 128, medians of interleaved rounds, load ${os.loadavg()[0].toFixed(1)} (${s.nodesBefore}→${s.nodesAfter} nodes: ${s.passes.filter((p) => p.changed).map((p) => p.notes.join(', ')).join('; ')})\n`);
  console.log(table(rows).join('\n'));
  console.log(`\n${await executedDiff(src, ours)}`);
}

/** Part 4: A and B alternate run by run in one process (one thread each), so a load change hits both sides of a pair. */
async function pairedAttention(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const src = path.join(MODELS, 'bert_small_like.onnx');
  const fused = path.join(tmp, 'bert.onnx009.onnx');
  const s = await runOptimization(src, { out: fused, only: ['ONNX009'] });
  const opts = { graphOptimizationLevel: 'all' as const, intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 as const };
  const [a, b] = [await ort.InferenceSession.create(src, opts), await ort.InferenceSession.create(fused, opts)];
  const rows = [['batch', 'pairs', 'original p50 ms', 'fused p50 ms', 'median per-pair speed-up', 'middle half of the ratios', 'max abs diff']];
  for (const batch of quick ? [1] : [1, 8]) {
    const ids = BigInt64Array.from({ length: batch * 128 }, (_, i) => BigInt((i * 7919 + 13) % 30522));
    const feeds = { input_ids: new ort.Tensor('int64', ids, [batch, 128]) };
    for (let w = 0; w < 3; w++) { await a.run(feeds); await b.run(feeds); }
    const ta: number[] = [], tb: number[] = [], ratio: number[] = [];
    let diff = 0;
    for (let i = 0; i < (batch === 1 ? 200 : 60); i++) {
      const t0 = performance.now(); const ra = await a.run(feeds);
      const t1 = performance.now(); const rb = await b.run(feeds);
      const t2 = performance.now();
      ta.push(t1 - t0); tb.push(t2 - t1); ratio.push((t1 - t0) / (t2 - t1));
      const x = ra.last_hidden_state.data as Float32Array, y = rb.last_hidden_state.data as Float32Array;
      for (let k = 0; k < x.length; k++) diff = Math.max(diff, Math.abs(x[k] - y[k]));
    }
    const q = [...ratio].sort((p, r) => p - r);
    rows.push([String(batch), String(ratio.length), f2(median(ta)), f2(median(tb)), `${f2(median(ratio))}×`,
      `${f2(q[Math.floor(q.length / 4)])}–${f2(q[Math.floor((3 * q.length) / 4)])}×`, diff.toExponential(1)]);
  }
  await a.release(); await b.release();
  console.log(`\n4. The attention fusion alone (--only ONNX009: ${s.passes.filter((p) => p.changed).map((p) => p.notes.join(', ')).join('; ')}), ` +
    `seq 128, one thread, runs paired A/B in one process, load ${os.loadavg()[0].toFixed(1)}\n`);
  console.log(table(rows).join('\n'));
}

async function skipLayerNorm(): Promise<void> {
  const d = 256;
  const g = floatTensor('g', [d], seededFloats(d, 1, 1)), b = floatTensor('b', [d], seededFloats(d, 2, 0.1));
  const spec = { initializers: [g, b], inputs: [valueInfo('x', 1, ['B', 'S', d]), valueInfo('h', 1, ['B', 'S', d])], outputs: [valueInfo('y', 1, ['B', 'S', d])] };
  const addLn = path.join(tmp, 'add_ln.onnx'), skip = path.join(tmp, 'skip_ln.onnx');
  fs.writeFileSync(addLn, encodeModel(model({ ...spec, nodes: [node('Add', ['x', 'h'], ['s']), node('LayerNormalization', ['s', 'g', 'b'], ['y'], { axis: -1, epsilon: 1e-5 })] })));
  fs.writeFileSync(skip, encodeModel(model({ ...spec, extraOpsets: { 'com.microsoft': 1 }, nodes: [node('SkipLayerNormalization', ['x', 'h', 'g', 'b'], ['y'], { epsilon: 1e-5 }, { domain: 'com.microsoft' })] })));
  const variants = [
    { name: "Add + LayerNormalization, ORT 'basic' (unfused)", file: addLn, session: { graphOptimizationLevel: 'basic' as const } },
    { name: "Add + LayerNormalization, ORT 'all' (ORT may fuse)", file: addLn, session: { graphOptimizationLevel: 'all' as const } },
    { name: 'com.microsoft SkipLayerNormalization', file: skip, session: { graphOptimizationLevel: 'all' as const } },
  ];
  const rows = [['batch', 'variant', 'p50 ms', 'vs unfused']];
  for (const batch of quick ? [1] : [1, 8]) {
    const r = await interleaved(variants, { dims: { B: batch, S: 128 }, minRuns: 50, minTimeS: 1 }, 3);
    variants.forEach((v, i) => rows.push([String(batch), v.name, r[i].p50.toFixed(3), `${f2(r[0].p50 / r[i].p50)}×`]));
  }
  console.log("\n3. One residual Add + LayerNormalization at [batch, 128, 256]: is SkipLayerNormalization faster on this CPU?\n");
  console.log(table(rows).join('\n'));
}

void (async () => {
  try {
    if (!quick && !only && !bertOnly && !pairedOnly) await everyModel();
    if (!only && !pairedOnly) await bertFusion();
    if (!only) await pairedAttention();
    if (!bertOnly && !pairedOnly) await skipLayerNorm();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})();
