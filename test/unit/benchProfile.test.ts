import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { attachLines, modelNodeName, parseTrace, selfTimes, summariseTrace } from '../../server/src/bench/profile';
import { loopModel, tempDir, writeModel } from '../helpers/benchModels';
import { testModel } from '../helpers/testModels';

/** Tests may load onnxruntime in-process (the product never does): a real trace to parse. */
async function realTrace(modelPath: string, feeds: (ort: typeof Ort) => Record<string, Ort.Tensor>, runs: number): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof Ort;
  const dir = tempDir('il-trace-');
  const s = await ort.InferenceSession.create(modelPath, { enableProfiling: true, profileFilePrefix: path.join(dir, 't') });
  for (let i = 0; i < runs; i++) await s.run(feeds(ort));
  s.endProfiling();
  await s.release();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  assert.ok(file, 'ORT wrote a trace');
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return text;
}

describe('bench profile (ORT trace → hot ops)', () => {
  it('summarises a real mlp_mnist_like trace per node and op type, mapped to model nodes', async () => {
    const text = await realTrace(testModel('mlp_mnist_like.onnx'),
      (ort) => ({ input: new ort.Tensor('float32', new Float32Array(784).fill(0.5), [1, 784]) }), 6);
    const { kernels, runs } = parseTrace(text);
    assert.strictEqual(runs.length, 6);
    assert.strictEqual(kernels.length, 18, '3 Gemm nodes × 6 runs');
    const model = new Set(['/net/net.0/Gemm', '/net/net.2/Gemm', '/net/net.4/Gemm', '/net/net.1/Relu', '/net/net.3/Relu']);
    const p = summariseTrace(text, { skipRuns: 1, modelNodes: model });
    assert.strictEqual(p.runs, 5);
    assert.strictEqual(p.nodes.length, 3);
    // Per-inference self times are the kernel durations of the kept runs divided by the run count.
    const kept = kernels.filter((k) => k.start >= runs[1].start);
    const expectTotal = kept.reduce((a, k) => a + k.dur, 0) / 1000 / 5;
    assert.ok(Math.abs(p.nodeTotalMs - expectTotal) < 1e-9);
    assert.ok(Math.abs(p.nodes.reduce((a, n) => a + n.share, 0) - 1) < 1e-9);
    assert.ok(p.nodes.every((n) => n.inModel && n.provider === 'CPU'), JSON.stringify(p.nodes));
    for (let i = 1; i < p.nodes.length; i++) assert.ok(p.nodes[i - 1].ms >= p.nodes[i].ms, 'hottest first');
    const ops = new Map(p.topOps.map((o) => [o.opType, o]));
    assert.strictEqual((ops.get('FusedGemm')?.count ?? 0) + (ops.get('Gemm')?.count ?? 0), 3);
    assert.ok(p.modelRunMs >= p.nodeTotalMs, 'a run includes its nodes');
  });

  it('gives a Loop its self time, not its body\'s, on a real trace', async function () {
    const dir = tempDir();
    const file = writeModel(dir, 'loop.onnx', loopModel(40));
    const text = await realTrace(file, (ort) => ({ x: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 16]) }), 3);
    fs.rmSync(dir, { recursive: true, force: true });
    const { kernels } = parseTrace(text);
    const loops = kernels.filter((k) => k.opType === 'Loop');
    assert.strictEqual(loops.length, 3);
    const body = kernels.filter((k) => k.node === 'body_matmul' || k.node === 'body_add');
    if (!body.length) this.skip(); // a build that does not trace subgraph nodes has nothing to subtract
    const self = selfTimes(kernels);
    const i = kernels.indexOf(loops[0]);
    const nested = kernels.filter((k) => k !== loops[0] && k.tid === loops[0].tid && k.start >= loops[0].start && k.start + k.dur <= loops[0].start + loops[0].dur);
    assert.strictEqual(self[i], Math.max(0, loops[0].dur - nested.reduce((a, k) => a + k.dur, 0)));
    const p = summariseTrace(text, { skipRuns: 1 });
    const loop = p.nodes.find((n) => n.name === 'the_loop')!;
    const bodyMs = p.nodes.filter((n) => n.name.startsWith('body_')).reduce((a, n) => a + n.ms, 0);
    assert.ok(loop.ms < loops.slice(1).reduce((a, k) => a + k.dur, 0) / 1000 / 2, 'self time is less than the Loop\'s duration');
    assert.ok(bodyMs > 0);
  });

  it('computes self time on a hand-made nested trace', () => {
    const ev = (name: string, op: string, ts: number, dur: number): object => ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, tid: 1, args: { op_name: op, provider: 'CPUExecutionProvider' } });
    const text = JSON.stringify([
      { cat: 'Session', name: 'model_run', ts: 0, dur: 200 },
      ev('loop', 'Loop', 10, 100), ev('a', 'MatMul', 20, 30), ev('inner_if', 'If', 60, 40), ev('b', 'Add', 70, 10),
      ev('c', 'Relu', 120, 50),
      { cat: 'Session', name: 'model_run', ts: 300, dur: 10 },
    ]);
    const p = summariseTrace(text);
    const ms = Object.fromEntries(p.nodes.map((n) => [n.name, n.ms * 2 * 1000]));
    // loop: 100 − a(30) − inner_if(40) = 30; inner_if: 40 − b(10) = 30 (b counted once, inside the If)
    assert.deepStrictEqual(ms, { loop: 30, a: 30, inner_if: 30, b: 10, c: 50 });
    assert.strictEqual(p.topOps.find((o) => o.opType === 'Relu')!.share, 50 / 150);
  });

  it('rejects text that is not a trace, maps fused names and attaches text-view lines', () => {
    assert.throws(() => parseTrace('{nope'), /not JSON/);
    assert.throws(() => parseTrace('{}'), /array/);
    assert.strictEqual(modelNodeName('fused /net/net.0/Gemm'), '/net/net.0/Gemm');
    const p = summariseTrace(JSON.stringify([{ cat: 'Node', name: 'fused g_kernel_time', ts: 0, dur: 5, args: { op_name: 'FusedGemm' } }]));
    const withLines = attachLines(p, (n) => (n === 'g' ? 7 : undefined));
    assert.strictEqual(withLines.nodes[0].line, 7);
  });
});
