/**
 * Model analysis speed and memory: read + shape inference + cost of the largest shared model, of a
 * generated 1 GB+ model (weights inline, and the same with external data), against Debian's
 * python3-onnx doing onnx.load + onnx.shape_inference.infer_shapes on the same files in the same run;
 * and the time to the first diagnostic (the CLI's whole run) for a generated 500 MB model.
 *
 * Goals: ≥ 10× faster than the Python baseline, peak RSS well under the file's size, 500 MB < 1 s.
 * Wall times swing with the machine's load (shared 2-core boxes), so CPU times are printed beside them;
 * "cold" is the first analysis in a fresh process (JIT not warmed), "warm" the median of the next two.
 * Run: `npm run bench -- model-analysis` (or node scripts/run-ts.mjs bench/model-analysis.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { onnx } from 'onnx-proto';
import { readModelFile } from '../server/src/onnx/reader';
import { modelCost } from '../server/src/onnx/cost';
import { DataType } from '../server/src/onnx/model';
import { node, seededFloats, valueInfo } from '../server/src/onnx/builder';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SHARED = process.env.INFERENCE_LENS_MODELS ?? path.resolve(REPO, '..', 'shared', 'models');

// ---- child mode: one analysis run in a fresh process, so its peak RSS is its own ----
if (process.argv[2] === '--child') {
  const file = process.argv[3];
  const runs = Number(process.argv[4] ?? 3);
  const startRss = process.memoryUsage().rss;
  const times: number[] = [], cpu: number[] = [];
  let macs = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const m = readModelFile(file);
    macs = modelCost(m, {}).macs;
    const dc = process.cpuUsage(c);
    cpu.push((dc.user + dc.system) / 1000);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  process.stdout.write(JSON.stringify({ times, cpu, macs, startRss, maxRss: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

const PY = `
import sys, time, json, resource
import onnx
from onnx import shape_inference
path, runs = sys.argv[1], int(sys.argv[2])
times, cpu = [], []
for _ in range(runs):
    t, c = time.perf_counter(), time.process_time()
    m = onnx.load(path)
    shape_inference.infer_shapes(m)
    times.append((time.perf_counter() - t) * 1000)
    cpu.append((time.process_time() - c) * 1000)
    del m
print(json.dumps({'times': times, 'cpu': cpu, 'maxRss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`;

function pythonWithOnnx(): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) if (spawnSync(exe, ['-c', 'import onnx']).status === 0) return exe;
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}

/** Writes `length` seeded bytes to fd from one reused 4 MiB chunk: never a buffer of the model's size. */
function writeWeights(fd: number, length: number, chunk: Buffer): void {
  for (let done = 0; done < length;) {
    const n = Math.min(chunk.length, length - done);
    fs.writeSync(fd, chunk, 0, n);
    done += n;
  }
}

/** An MLP of `layers` MatMul(4096×4096 float) + Relu, streamed to disk; weights inline or in `<file>.data`. */
function generate(file: string, layers: number, external: boolean): void {
  const D = 4096;
  const bytes = D * D * 4;
  const nodes: onnx.INodeProto[] = [];
  let prev = 'x';
  for (let i = 0; i < layers; i++) {
    nodes.push(node('MatMul', [prev, `w${i}`], [`m${i}`]));
    nodes.push(node('Relu', [`m${i}`], [`r${i}`]));
    prev = `r${i}`;
  }
  const headers = Array.from({ length: layers }, (_, i): onnx.ITensorProto => external
    ? { name: `w${i}`, dataType: DataType.FLOAT, dims: [D, D], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [{ key: 'location', value: path.basename(file) + '.data' }, { key: 'offset', value: String(i * bytes) }, { key: 'length', value: String(bytes) }] }
    : { name: `w${i}`, dataType: DataType.FLOAT, dims: [D, D] });
  const graph = onnx.GraphProto.encode({ name: 'big', node: nodes, input: [valueInfo('x', DataType.FLOAT, ['batch', D])], output: [valueInfo(prev, DataType.FLOAT, ['batch', D])] }).finish();
  const tensorBytes = headers.map((h) => Buffer.from(onnx.TensorProto.encode(h).finish()));
  // Each initializer: field 5 (graph.initializer) holding the header plus, inline, field 9 (raw_data).
  const tensorLen = tensorBytes.map((t) => t.length + (external ? 0 : 1 + varint(bytes).length + bytes));
  const graphLen = graph.length + tensorLen.reduce((s, l) => s + 1 + varint(l).length + l, 0);
  const head = onnx.ModelProto.encode({ irVersion: 8, producerName: 'inference-lens-bench', opsetImport: [{ domain: '', version: 17 }] }).finish();
  const chunk = Buffer.from(seededFloats(1 << 20, 3).buffer);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, Buffer.concat([Buffer.from([0x3a]), varint(graphLen), graph]));
    tensorBytes.forEach((t, i) => {
      fs.writeSync(fd, Buffer.concat([Buffer.from([0x2a]), varint(tensorLen[i]), t]));
      if (!external) { fs.writeSync(fd, Buffer.concat([Buffer.from([0x4a]), varint(bytes)])); writeWeights(fd, bytes, chunk); }
    });
  } finally {
    fs.closeSync(fd);
  }
  if (external) {
    const dfd = fs.openSync(file + '.data', 'w');
    try { writeWeights(dfd, bytes * layers, chunk); } finally { fs.closeSync(dfd); }
  }
}

function fileBytes(file: string): number {
  const ext = file + '.data';
  return fs.statSync(file).size + (fs.existsSync(ext) ? fs.statSync(ext).size : 0);
}

const mb = (b: number) => `${(b / (1 << 20)).toFixed(0)} MiB`;

function main(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-'));
  const py = pythonWithOnnx();
  try {
    const largestShared = fs.readdirSync(SHARED).filter((f) => f.endsWith('.onnx')).map((f) => path.join(SHARED, f))
      .sort((a, b) => fileBytes(b) - fileBytes(a))[0];
    const big = path.join(tmp, 'mlp_1gb.onnx');
    const bigExt = path.join(tmp, 'mlp_1gb_external.onnx');
    const mid = path.join(tmp, 'mlp_500mb.onnx');
    // MODEL_BENCH=ttfd: only the time to first diagnostic (skips the 1 GB files and the minutes-long python baseline).
    const ttfdOnly = process.env.MODEL_BENCH === 'ttfd';
    let t = Date.now();
    if (!ttfdOnly) {
      generate(big, 17, false);
      generate(bigExt, 17, true);
    }
    generate(mid, 8, false);
    if (!ttfdOnly) console.log(`generated ${path.basename(big)} (${mb(fileBytes(big))}), ${path.basename(bigExt)} (+ .data, ${mb(fileBytes(bigExt))}), ${path.basename(mid)} (${mb(fileBytes(mid))}) in ${Date.now() - t} ms`);

    const rows: string[][] = [['model', 'size', 'ours cold', 'ours warm', 'python', 'speed-up (wall)', 'ours cold CPU', 'python CPU', 'speed-up (CPU)', 'our peak RSS', 'RSS / size', 'RSS over node start', 'python RSS']];
    for (const file of ttfdOnly ? [] : [largestShared, big, bigExt]) {
      const size = fileBytes(file);
      const child = spawnSync(process.execPath, [process.argv[1], '--child', file, '3'], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`analysis of ${file} failed: ${child.stderr}`);
      const ours = JSON.parse(child.stdout) as { times: number[]; cpu: number[]; maxRss: number; startRss: number };
      const cold = ours.times[0], warm = median(ours.times.slice(1));
      let pyCell = 'n/a', ratio = 'n/a', pyRss = 'n/a', pyCpu = 'n/a', cpuRatio = 'n/a';
      if (py) {
        const r = spawnSync(py, ['-c', PY, file, size > 200e6 ? '1' : '3'], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (r.status === 0) {
          const p = JSON.parse(r.stdout) as { times: number[]; cpu: number[]; maxRss: number };
          pyCpu = `${median(p.cpu).toFixed(0)} ms`;
          cpuRatio = `${(median(p.cpu) / ours.cpu[0]).toFixed(1)}× (warm ${(median(p.cpu) / median(ours.cpu.slice(1))).toFixed(0)}×)`;
          const pms = median(p.times);
          pyCell = `${pms.toFixed(0)} ms`;
          ratio = `${(pms / cold).toFixed(1)}× (warm ${(pms / warm).toFixed(0)}×)`;
          pyRss = mb(p.maxRss);
        } else pyCell = `failed: ${r.stderr.trim().split('\n').pop()}`;
      }
      rows.push([path.basename(file), mb(size), `${cold.toFixed(0)} ms`, `${warm.toFixed(1)} ms`, pyCell, ratio, `${ours.cpu[0].toFixed(0)} ms`, pyCpu, cpuRatio, mb(ours.maxRss), `${(ours.maxRss / size * 100).toFixed(1)}%`, mb(ours.maxRss - ours.startRss), pyRss]);
    }
    if (!ttfdOnly) printTable(rows);

    // Time to first diagnostic: the whole CLI (node start-up, parsers, read, rules, shapes, cost, JSON).
    const cli = path.join(REPO, 'dist', 'cli.js');
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = Date.now();
      const r = spawnSync(process.execPath, [cli, 'analyze', mid, '--format', 'json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
      runs.push(Date.now() - t);
      if (r.status !== 0 || !JSON.parse(r.stdout).files[0].model?.macs) throw new Error(`cli failed: ${r.stderr}`);
    }
    const ttfd = median(runs);
    // Node's own start-up, measured the same way, says how much of that is ours.
    const baseRuns: number[] = [];
    for (let i = 0; i < 3; i++) { t = Date.now(); spawnSync(process.execPath, ['-e', '0']); baseRuns.push(Date.now() - t); }
    const bare = median(baseRuns);
    console.log(`\ntime to first diagnostic, ${path.basename(mid)} (${mb(fileBytes(mid))}) via dist/cli.js analyze: ${ttfd} ms median of 3 ` +
      `(goal < 1000 ms: ${ttfd < 1000 ? 'met' : 'MISSED'}); a bare \`node -e 0\` takes ${bare} ms on this machine now, ` +
      `so ${ttfd - bare} ms are the CLI's own (bundle load, read, shapes, cost, rules, JSON)`);
    if (!py) console.log('python3-onnx not found: install it (apt-get install -y python3-onnx) for the baseline columns');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

main();
