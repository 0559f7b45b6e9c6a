/**
 * Quantization figures on this machine, each against the original measured in the same run:
 * size ratio, p50 speed-up, worst-output cosine, conversion time, and the converter's peak memory.
 *
 * 1. Conversions × models (transformers at batch 1 and 8, seq 128; the CNNs at batch 1), with the
 *    goals: int8 dynamic on BERT ≤ 0.3× size, ≥ 1.5× p50, cosine ≥ 0.99; int4 ≤ 0.2× the MatMul
 *    weight bytes, cosine ≥ 0.98; fp16 0.5× size.
 * 2. Conversion of a ~400 MB model (generated here: a stack of 2048×2048 MatMuls, streamed to disk)
 *    in a child process: goal < 10 s and peak memory < 2× the model size.
 *
 * Run: npm run bench -- quantize   (INFERENCE_LENS_MODELS overrides the models folder;
 *      QUANT_BENCH=quick runs one configuration per method, QUANT_BENCH=big only part 2)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { table } from '../server/src/bench/report';
import { readModelFile } from '../server/src/onnx/reader';
import { DataType } from '../server/src/onnx/model';
import { valueInfo } from '../server/src/onnx/builder';
import { compareModels } from '../server/src/quantize/ab';
import { cpuFeatures } from '../server/src/quantize/cpu';
import { quantizeModel, Method } from '../server/src/quantize/convert';
import { WModel } from '../server/src/quantize/graph';
import { writeModel } from '../server/src/quantize/writer';

const MODELS = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-quant-'));

interface Case { model: string; method: Method; batch: number; goal?: string }

const CASES: Case[] = [
  { model: 'bert_small_like', method: 'int8-dynamic', batch: 1, goal: 'size ≤ 0.30, p50 ≥ 1.5×, cos ≥ 0.99' },
  { model: 'bert_small_like', method: 'int8-dynamic', batch: 8, goal: 'size ≤ 0.30, p50 ≥ 1.5×, cos ≥ 0.99' },
  { model: 'bert_small_like', method: 'int4-weight', batch: 1, goal: 'MatMul bytes ≤ 0.20, cos ≥ 0.98' },
  { model: 'bert_small_like', method: 'int4-weight', batch: 8, goal: 'MatMul bytes ≤ 0.20, cos ≥ 0.98' },
  { model: 'bert_small_like', method: 'fp16', batch: 1, goal: 'size 0.50' },
  { model: 'lstm_classifier', method: 'int8-dynamic', batch: 1 },
  { model: 'mlp_mnist_like', method: 'int8-dynamic', batch: 8 },
  { model: 'mobilenet_v2', method: 'int8-static', batch: 1 },
  { model: 'mobilenet_v2', method: 'int8-dynamic', batch: 1 },
  { model: 'mobilenet_v2', method: 'fp16', batch: 1, goal: 'size 0.50' },
  { model: 'squeezenet1_1', method: 'int8-static', batch: 1 },
];

const f2 = (v: number): string => v.toFixed(2);
const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

async function conversions(): Promise<void> {
  const quick = process.env.QUANT_BENCH === 'quick';
  const cases = quick ? CASES.filter((c, i) => CASES.findIndex((d) => d.method === c.method) === i) : CASES;
  const rows = [['model', 'method', 'batch', 'size×', 'MatMul w×', 'p50 A ms', 'p50 B ms', 'speed-up', 'cosine', 'top-1', 'convert s', 'verdict', 'goal']];
  const notes: string[] = [];
  for (const c of cases) {
    const src = path.join(MODELS, `${c.model}.onnx`);
    const out = path.join(tmp, `${c.model}.${c.method}.b${c.batch}.onnx`);
    const s = await quantizeModel(src, { method: c.method, out, dims: { batch: c.batch, seq: 128 }, calibrationSamples: 8 });
    const ab = await compareModels(src, out, { dims: { batch: c.batch, seq: 128 }, count: 4, benchSeconds: 3, context: { method: c.method } });
    // Bytes of the weights the method replaced, before and after (int4's goal is about those).
    const before = readModelFile(src).graph.initializers;
    const converted = new Set(s.converted.map((x) => x.weight).filter(Boolean));
    const wBefore = before.filter((t) => converted.has(t.name)).reduce((a, t) => a + t.byteLength, 0);
    const wAfter = readModelFile(out).graph.initializers.filter((t) => [...converted].some((w) => t.name.startsWith(`${w}_`))).reduce((a, t) => a + t.byteLength, 0);
    const top1 = ab.outputs.find((o) => o.top1Agreement !== undefined)?.top1Agreement;
    rows.push([c.model, c.method, String(c.batch), f2(s.sizeRatio), wBefore ? f2(wAfter / wBefore) : '-',
      f2(ab.perfA!.p50Ms), f2(ab.perfB!.p50Ms), `${f2(ab.speedup!)}×`, ab.minCosine.toFixed(5), top1 === undefined ? '-' : `${(top1 * 100).toFixed(0)}%`,
      f2(s.seconds), ab.verdict, c.goal ?? '']);
    for (const e of ab.explanation.filter((x) => !/^Inputs were synthetic|^p50 /.test(x))) notes.push(`${c.model} ${c.method} b${c.batch}: ${e}`);
    for (const n of s.notes.filter((x) => /SYNTHETIC/.test(x))) notes.push(`${c.model} ${c.method}: ${n}`);
    fs.rmSync(out, { force: true });
  }
  const cpu = cpuFeatures();
  console.log(`CPU: ${cpu.model}, ${os.cpus().length} cores, VNNI ${cpu.vnni ? 'yes' : 'no'}, native fp16 ${cpu.fp16 ? 'yes' : 'no'}; A = original, B = converted, same run, same shapes; synthetic inputs\n`);
  console.log(table(rows).join('\n'));
  console.log('\nwhy:');
  for (const n of [...new Set(notes)]) console.log(`  ${n}`);
}

/** A ~400 MB model: `layers` MatMuls of 2048×2048 float weights with Relu between, written tensor by tensor. */
async function bigModel(file: string, layers: number): Promise<number> {
  const d = 2048;
  const nodes = [];
  const inits = [];
  for (let i = 0; i < layers; i++) {
    const x = i === 0 ? 'x' : `h${i - 1}`;
    nodes.push({ opType: 'MatMul', input: [x, `w${i}`], output: [`m${i}`], name: `mm${i}`, domain: '' });
    nodes.push({ opType: 'Relu', input: [`m${i}`], output: [i === layers - 1 ? 'y' : `h${i}`], name: `relu${i}`, domain: '' });
    const seed = i + 1;
    inits.push({
      name: `w${i}`, dataType: DataType.FLOAT, dims: [d, d],
      produce: () => {
        const f = new Float32Array(d * d);
        let s = seed;
        for (let k = 0; k < f.length; k++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; f[k] = ((s / 2 ** 32) * 2 - 1) * 0.03; }
        return Buffer.from(f.buffer);
      },
    });
  }
  const m: WModel = {
    irVersion: 8, producerName: 'inference-lens-bench', producerVersion: '', opsets: { '': 17 }, metadata: {}, functions: [],
    graph: { name: 'big', nodes, inits, inputs: [valueInfo('x', DataType.FLOAT, ['batch', d])], outputs: [valueInfo('y', DataType.FLOAT, ['batch', d])], valueInfo: [] },
  };
  return (await writeModel(m, file, { externalData: false })).bytes;
}

/** Child mode: convert and report time and this process's peak RSS. */
async function convertChild(src: string, method: Method, out: string): Promise<void> {
  const base = process.memoryUsage().rss;
  const s = await quantizeModel(src, { method, out });
  console.log(JSON.stringify({ seconds: s.seconds, sizeRatio: s.sizeRatio, baseRss: base, peakRss: process.resourceUsage().maxRSS * 1024 }));
}

function bigConversion(): void {
  const file = path.join(tmp, 'big.onnx');
  const rows = [['method', 'model MB', 'output MB', 'convert s', 'peak RSS MB', 'peak − Node baseline MB', 'peak/model', 'goal']];
  const bytes = Number(spawnSync(process.execPath, [__filename, '--make-big', file], { encoding: 'utf8' }).stdout.trim());
  for (const method of ['int8-dynamic', 'int4-weight', 'fp16'] as Method[]) {
    const out = path.join(tmp, `big.${method}.onnx`);
    const r = spawnSync(process.execPath, [__filename, '--convert', file, method, out], { encoding: 'utf8' });
    if (r.status !== 0) { console.log(`${method}: failed: ${r.stderr.slice(-500)}`); continue; }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; sizeRatio: number; baseRss: number; peakRss: number };
    rows.push([method, mb(bytes), mb(bytes * j.sizeRatio), f2(j.seconds), mb(j.peakRss), mb(j.peakRss - j.baseRss), f2(j.peakRss / bytes), '< 10 s, < 2×']);
    fs.rmSync(out, { force: true });
  }
  fs.rmSync(file, { force: true });
  console.log(`\nconversion of a generated ${mb(bytes)} MB model (25 MatMul 2048×2048), each in a fresh child process:\n`);
  console.log(table(rows).join('\n'));
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--make-big') { console.log(await bigModel(rest[0], 25)); return; }
  if (mode === '--convert') { await convertChild(rest[0], rest[1] as Method, rest[2]); return; }
  try {
    if (process.env.QUANT_BENCH !== 'big') await conversions();
    bigConversion();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
