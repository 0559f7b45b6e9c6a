/**
 * "Optimize model": each pass on builder-generated models (pure, in this process), then the whole
 * pipeline in the benchmark worker (constant folding runs onnxruntime-node there): every output
 * passes python3-onnx's full checker, loads and agrees with the original (A/B cosine ≥ 0.9999), the
 * findings it fixes are gone, and the original file is untouched.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelBuffer, readModelFile } from '../../server/src/onnx/reader';
import { toWModel, WModel } from '../../server/src/quantize/graph';
import { runOptimization } from '../../server/src/bench/runner';
import { compareModels } from '../../server/src/quantize/ab';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { selectPasses, PASSES, FIXABLE_RULES, typesAndShapes } from '../../server/src/optimize/optimize';
import type { Pass, PassContext } from '../../server/src/optimize/pass';
import { REMOVE_DEAD_NODES } from '../../server/src/optimize/deadNodes';
import { DROP_UNUSED_INITIALIZERS } from '../../server/src/optimize/unusedInitializers';
import { MERGE_DUPLICATE_INITIALIZERS } from '../../server/src/optimize/duplicateInitializers';
import { REMOVE_REDUNDANT_OPS, cancels } from '../../server/src/optimize/redundantOps';
import { FUSE_LAYER_NORM } from '../../server/src/optimize/fuseLayerNorm';
import { FUSE_GELU } from '../../server/src/optimize/fuseGelu';
import { FUSE_FAST_GELU } from '../../server/src/optimize/fuseFastGelu';
import { FUSE_SKIP_LAYER_NORM } from '../../server/src/optimize/fuseSkipLayerNorm';
import { CONVERT_FLOAT64 } from '../../server/src/optimize/float64';
import { PIN_DIMS } from '../../server/src/optimize/pinDims';
import { UPGRADE_OPSET } from '../../server/src/optimize/upgradeOpset';
import { OPTIMIZE_MIN_COSINE, optimizeVerdict } from '../../server/src/optimize/report';
import type { OptimizeSummary } from '../../server/src/optimize/optimize';
import type { AbReport } from '../../server/src/quantize/ab';
import { checkModel, pythonWithOnnx } from '../helpers/pythonOnnx';
import { hash } from '../helpers/quantize';
import { testModel } from '../helpers/testModels';
import { float64Model, fusionModel, oldOpsetModel, skipLayerNormModel, tanhGeluModel, wasteModel } from '../helpers/optimizeModels';

function context(buf: Buffer, dims: Record<string, number> = {}): PassContext {
  const src = readModelBuffer(buf, '/tmp/model.onnx');
  return { model: toWModel(src), dims, ...typesAndShapes(src, {}) };
}

async function apply(ctx: PassContext, ...passes: Pass[]): Promise<WModel> {
  for (const p of passes) await p.run(ctx);
  return ctx.model;
}

const ops = (m: WModel): string[] => m.graph.nodes.map((n) => `${n.domain ? n.domain + '.' : ''}${n.opType}`);

describe('optimize passes (pure)', () => {
  it('ONNX004 removes the nodes no output depends on, and nothing else', async () => {
    const m = await apply(context(wasteModel()), REMOVE_DEAD_NODES);
    assert.ok(!ops(m).includes('Relu') && !ops(m).includes('Softmax'));
    assert.strictEqual(m.graph.nodes.length, 12);
  });

  it('ONNX005 drops the initializer nothing reads; ONNX006 points the copy\'s readers at the first', async () => {
    const m = await apply(context(wasteModel()), DROP_UNUSED_INITIALIZERS, MERGE_DUPLICATE_INITIALIZERS);
    assert.deepStrictEqual(m.graph.inits.map((i) => i.name), ['W', 'shape_a', 'shape_b']);
    assert.deepStrictEqual(m.graph.nodes.find((n) => n.output?.[0] === 'h2')?.input, ['h1', 'W']);
  });

  it('ONNX007 bypasses Identity, Dropout, the no-op Cast, the Transpose pair and the first Reshape; the output keeps its name', async () => {
    const ctx = context(wasteModel());
    const r = await REMOVE_REDUNDANT_OPS.run(ctx);
    const m = ctx.model;
    assert.deepStrictEqual(ops(m), ['Transpose', 'MatMul', 'MatMul', 'Relu', 'Softmax', 'Reshape', 'Tanh']);
    assert.strictEqual(r.changed, 6); // the Transpose pair counts once
    assert.deepStrictEqual(m.graph.nodes.find((n) => n.opType === 'Tanh')?.output, ['y'], 'the producer writes the graph output');
    assert.deepStrictEqual(m.graph.nodes.find((n) => n.output?.[0] === 'h1')?.input, ['x', 'Wt']);
    assert.deepStrictEqual(m.graph.nodes.find((n) => n.opType === 'Reshape')?.input, ['h2', 'shape_b']);
    assert.ok(cancels([0, 2, 1], [0, 2, 1]) && !cancels([1, 2, 0], [1, 2, 0]) && cancels([1, 2, 0], [2, 0, 1]));
  });

  it('a Reshape whose shape copies a dim (0) is kept: skipping the first would change what 0 copies', async () => {
    const buf = wasteModel();
    const ctx = context(buf);
    const b = ctx.model.graph.inits.find((i) => i.name === 'shape_b')!;
    b.source = undefined; b.produce = () => Buffer.from(BigInt64Array.from([0n, 32n]).buffer);
    await REMOVE_REDUNDANT_OPS.run(ctx);
    assert.strictEqual(ops(ctx.model).filter((o) => o === 'Reshape').length, 2);
  });

  it('ONNX009 fuses a decomposed LayerNorm and both GELU spellings', async () => {
    const ctx = context(fusionModel());
    const m = await apply(ctx, FUSE_LAYER_NORM, FUSE_GELU);
    assert.deepStrictEqual(ops(m), ['LayerNormalization', 'MatMul', 'com.microsoft.Gelu', 'MatMul', 'com.microsoft.Gelu']);
    const ln = m.graph.nodes[0];
    assert.deepStrictEqual(ln.input, ['x', 'ln_gamma', 'ln_beta']);
    assert.ok(Math.abs((ln.attribute?.find((a) => a.name === 'epsilon')?.f ?? 0) - 1e-5) < 1e-9);
    assert.strictEqual(m.opsets['com.microsoft'], 1);
    assert.deepStrictEqual(m.graph.nodes[4].output, ['y']);
  });

  it('ONNX009 fuses both spellings of the tanh GELU into com.microsoft FastGelu (opset 20: Gelu approximate="tanh"); the erf pass leaves them', async () => {
    const m = await apply(context(tanhGeluModel()), FUSE_GELU, FUSE_FAST_GELU);
    assert.deepStrictEqual(ops(m), ['MatMul', 'com.microsoft.FastGelu', 'MatMul', 'com.microsoft.FastGelu']);
    assert.deepStrictEqual([m.graph.nodes[1].input, m.graph.nodes[3].output], [['h1'], ['y']]);
    const m20 = await apply(context(tanhGeluModel(20)), FUSE_FAST_GELU);
    assert.deepStrictEqual(ops(m20), ['MatMul', 'Gelu', 'MatMul', 'Gelu']);
    assert.strictEqual(Buffer.from(m20.graph.nodes[1].attribute![0].s!).toString(), 'tanh');
    // A cube read elsewhere stays: the pattern's values must be its own.
    const ctx = context(tanhGeluModel());
    ctx.model.graph.outputs.push({ name: 'g1_cube', type: { tensorType: { elemType: 1 } } });
    assert.strictEqual((await FUSE_FAST_GELU.run(ctx)).changed, 1);
  });

  it('ONNX009 at opset 20 uses the standard Gelu; below 17 LayerNorm stays decomposed, with the reason', async () => {
    const m20 = await apply(context(fusionModel(20)), FUSE_GELU);
    assert.deepStrictEqual(ops(m20).filter((o) => o.endsWith('Gelu')), ['Gelu', 'Gelu']);
    assert.strictEqual(m20.opsets['com.microsoft'], undefined);
    const ctx = context(fusionModel(13));
    const r = await FUSE_LAYER_NORM.run(ctx);
    assert.strictEqual(r.changed, 0);
    assert.match(r.notes[0], /needs opset 17/);
  });

  it('ONNX009 fuses a residual Add + LayerNormalization into SkipLayerNormalization, keeping the sum it still needs; a broadcast Add is left', async () => {
    const m = await apply(context(skipLayerNormModel()), FUSE_SKIP_LAYER_NORM);
    assert.deepStrictEqual(ops(m), ['MatMul', 'com.microsoft.SkipLayerNormalization', 'Add', 'Add', 'LayerNormalization']);
    assert.deepStrictEqual(m.graph.nodes[1].input, ['x', 'h', 'g1', 'b1']);
    assert.deepStrictEqual(m.graph.nodes[1].output, ['n1', '', '', 's'], 'the sum s is read by the next Add');
    assert.strictEqual(m.opsets['com.microsoft'], 1);
  });

  it('a LayerNorm whose intermediate is read elsewhere is not fused (nothing may observe a value that disappears)', async () => {
    const ctx = context(fusionModel());
    ctx.model.graph.outputs.push({ name: 'ln_var', type: { tensorType: { elemType: 1 } } });
    assert.strictEqual((await FUSE_LAYER_NORM.run(ctx)).changed, 0);
  });

  it('ONNX003 computes in float32 inside and keeps the float64 signature with boundary Casts', async () => {
    const ctx = context(float64Model());
    const m = await apply(ctx, CONVERT_FLOAT64, REMOVE_REDUNDANT_OPS);
    assert.deepStrictEqual(ops(m), ['Cast', 'MatMul', 'Constant', 'Add', 'Relu', 'Cast']);
    assert.strictEqual(m.graph.inits[0].dataType, 1);
    assert.strictEqual(m.graph.inits[0].produce!().length, 16 * 4);
    assert.strictEqual(m.graph.inputs[0].type?.tensorType?.elemType, 11);
    assert.strictEqual(m.graph.outputs[0].name, 'y');
  });

  it('ONNX010 raises opset 9 to 17: attributes become Constant inputs, the last-axis Softmax and the Dropout convert', async () => {
    const ctx = context(oldOpsetModel());
    const r = await UPGRADE_OPSET.run(ctx);
    const m = ctx.model;
    assert.deepStrictEqual([m.opsets[''], m.irVersion], [17, 8]);
    assert.match(r.notes[0], /opset 9 → 17, IR 8 \(11 attributes moved to Constant inputs\)/);
    const byOp = (op: string) => m.graph.nodes.find((n) => n.opType === op)!;
    assert.deepStrictEqual(byOp('Slice').input, ['p', 's_starts', 's_ends', 's_axes']);
    assert.deepStrictEqual(byOp('Clip').input, ['x', 'c_min', 'c_max']);
    assert.deepStrictEqual(byOp('Pad').input, ['c', 'p_pads', 'p_value']);
    assert.deepStrictEqual(byOp('TopK').input, ['sm', 'vals_k']);
    assert.deepStrictEqual(byOp('Split').input, ['r', 'a_split']);
    assert.deepStrictEqual(byOp('Softmax').attribute?.map((a) => [a.name, Number(a.i)]), [['axis', -1]]);
    assert.ok(!ops(m).includes('Dropout') && ops(m).includes('Identity'));
    assert.ok(m.graph.nodes.every((n) => n.opType === 'Constant' || !n.attribute?.some((a) => ['axes', 'starts', 'k', 'pads', 'split', 'min'].includes(a.name ?? ''))));
  });

  it('ONNX010 refuses, naming the ops, when a meaning changed (a Softmax over a middle axis) or the opset is below 7', async () => {
    await assert.rejects(async () => UPGRADE_OPSET.run(context(oldOpsetModel({ opset: 11, softmaxAxis: 1 }))), /opset 11 → 17 refused, nothing written: Softmax over other than the last axis.*version_converter/);
    await assert.rejects(async () => UPGRADE_OPSET.run(context(oldOpsetModel({ opset: 6 }))), /opset 6 is older than 7/);
    const same = context(oldOpsetModel({ opset: 11, softmaxAxis: 2 }));
    assert.strictEqual((await UPGRADE_OPSET.run(same)).changed, 1, 'axis 2 of a rank-3 input is the last');
  });

  it('ONNX011 pins only the dims it is given', async () => {
    const ctx = context(fusionModel(), { batch: 1 });
    await PIN_DIMS.run(ctx);
    const dims = ctx.model.graph.inputs[0].type!.tensorType!.shape!.dim!;
    assert.deepStrictEqual(dims.map((d) => d.dimValue ?? d.dimParam), [1, 'seq', 16]);
  });

  it('the verdict: outputs first, then whether anything changed, then p50 outside the noise band', () => {
    const ab = (minCosine: number, speedup?: number) => ({ minCosine, speedup } as unknown as AbReport);
    const did = { passes: [{ changed: 2 }] } as unknown as OptimizeSummary, none = { passes: [{ changed: 0 }] } as unknown as OptimizeSummary;
    assert.strictEqual(optimizeVerdict(ab(0.999, 2), did), 'outputs differ: keep the original');
    assert.strictEqual(optimizeVerdict(ab(1, 2), none), 'nothing to fix: keep the original');
    assert.strictEqual(optimizeVerdict(ab(1), did), 'outputs agree (speed not measured)');
    assert.strictEqual(optimizeVerdict(ab(1, 0.97), did), 'use the optimized model');
    assert.strictEqual(optimizeVerdict(ab(1, 0.9), did), 'outputs agree but it ran slower here: keep the original');
  });

  it('--only validates rule ids; the opset upgrade (ONNX010) runs only when asked for, first', () => {
    assert.deepStrictEqual(selectPasses(['onnx004']).map((p) => p.rule), ['ONNX004', 'ONNX004']);
    assert.throws(() => selectPasses(['ONNX999']), /no fix for 'ONNX999'/);
    assert.ok(PASSES.filter((p) => !p.default).every((p) => ['ONNX010', 'ONNX011', 'ONNX012'].includes(p.rule)));
    assert.strictEqual(selectPasses(['ONNX009', 'ONNX010'])[0].rule, 'ONNX010');
    assert.deepStrictEqual(FIXABLE_RULES, ['ONNX003', 'ONNX004', 'ONNX005', 'ONNX006', 'ONNX007', 'ONNX008', 'ONNX009', 'ONNX010', 'ONNX011', 'ONNX012']);
  });
});

describe('optimize: the pipeline in the worker, checked by A/B and python3-onnx', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-opt-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const FIXED = ['ONNX003', 'ONNX004', 'ONNX005', 'ONNX006', 'ONNX007', 'ONNX008', 'ONNX009'];
  const findings = (file: string): string[] => analyzeModelFile(file, mergeConfig()).findings.filter((f) => FIXED.includes(f.rule)).map((f) => f.rule);

  async function optimizeAndCheck(name: string, buf: Buffer, only?: string[], skipLayerNorm = false) {
    const src = path.join(dir, `${name}.onnx`);
    fs.writeFileSync(src, buf);
    const before = hash(src);
    const out = path.join(dir, `${name}.opt.onnx`);
    const summary = await runOptimization(src, { out, only, skipLayerNorm });
    assert.strictEqual(hash(src), before, 'the original is untouched');
    if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
    const ab = await compareModels(src, out, { bench: false, count: 2 });
    for (const o of ab.outputs) assert.ok(o.cosine >= OPTIMIZE_MIN_COSINE && o.maxAbsError < 1e-4, `${name} ${o.name}: cosine ${o.cosine}, max abs ${o.maxAbsError}`);
    return { summary, src, out };
  }

  it('a wasteful model: every cleanup applied, constants folded by onnxruntime-node, its findings gone', async () => {
    const { summary, src, out } = await optimizeAndCheck('waste', wasteModel());
    assert.ok(findings(src).length >= 6);
    assert.deepStrictEqual(findings(out), []);
    assert.strictEqual(summary.nodesBefore, 14);
    assert.deepStrictEqual(summary.opsAfter, { MatMul: 2, Reshape: 1, Tanh: 1 });
    assert.match(summary.passes.find((p) => p.rule === 'ONNX008')!.notes[0], /folded 1 constant result/);
    // W_copy merged into W, U dropped; the folded W^T replaces W's only reader, so W is dropped too.
    assert.deepStrictEqual(readModelFile(out).graph.initializers.map((t) => t.name).sort(), ['W', 'Wt', 'shape_b']);
  });

  it('SkipLayerNormalization (asked for: it is slower on CPU) runs in onnxruntime-node and agrees with Add + LayerNormalization', async () => {
    const { summary } = await optimizeAndCheck('skip', skipLayerNormModel(), ['ONNX009'], true);
    assert.strictEqual(summary.opsAfter['com.microsoft.SkipLayerNormalization'], 1);
    const plain = await runOptimization(path.join(dir, 'skip.onnx'), { out: path.join(dir, 'skip.plain.onnx'), only: ['ONNX009'] });
    assert.strictEqual(plain.opsAfter['com.microsoft.SkipLayerNormalization'], undefined, 'not without skipLayerNorm');
  });

  it('LayerNorm and GELU fused: one LayerNormalization, two Gelu, same outputs', async () => {
    const { summary, out } = await optimizeAndCheck('fusion', fusionModel());
    assert.deepStrictEqual(summary.opsAfter, { LayerNormalization: 1, MatMul: 2, 'com.microsoft.Gelu': 2 });
    assert.deepStrictEqual(findings(out), []);
  });

  it('tanh GELU fused into FastGelu: same outputs in onnxruntime-node', async () => {
    const { summary, out } = await optimizeAndCheck('tanh', tanhGeluModel());
    assert.deepStrictEqual(summary.opsAfter, { MatMul: 2, 'com.microsoft.FastGelu': 2 });
    assert.deepStrictEqual(findings(out), []);
  });

  it('ONNX010: the opset-9 model at opset 17 passes the checker and computes the same in onnxruntime-node', async () => {
    const { summary, out } = await optimizeAndCheck('op9', oldOpsetModel(), ['ONNX010']);
    assert.match(summary.passes[0].notes[0], /opset 9 → 17/);
    assert.strictEqual(readModelFile(out).opsets[''], 17);
  });

  it('float64 computed in float32 with the signature kept', async () => {
    const { summary } = await optimizeAndCheck('f64', float64Model());
    assert.deepStrictEqual(summary.opsAfter, { Cast: 2, MatMul: 1, Constant: 1, Add: 1, Relu: 1 }, 'a lone Constant is a constant already');
  });

  it('--only ONNX012 writes external data beside the copy; ONNX011 pins the dims in a copy', async () => {
    const { summary } = await optimizeAndCheck('ext', fusionModel(), ['ONNX012']);
    assert.ok(summary.dataFile && fs.existsSync(summary.dataFile));
    assert.strictEqual(summary.nodesAfter, summary.nodesBefore);
    const src = path.join(dir, 'ext.onnx');
    const pinned = await runOptimization(src, { out: path.join(dir, 'ext.pinned.onnx'), only: ['ONNX011'], dims: { batch: 2, seq: 8 } });
    assert.match(pinned.passes[0].notes[0], /pinned batch=2, seq=8/);
    if (pythonWithOnnx()) assert.strictEqual(checkModel(pinned.output), null);
  });

  it('Silero VAD (real, weights in If branches): the copies both branches hold become one outer initializer', async () => {
    const { summary, out } = await optimizeAndCheck('silero', fs.readFileSync(testModel('silero_vad.onnx')), ['ONNX006']);
    assert.match(summary.passes[0].notes.join(' '), /merged 8 duplicate subgraph initializers/);
    assert.ok(summary.bytesAfter < summary.bytesBefore * 0.6, `${summary.bytesAfter} of ${summary.bytesBefore} bytes`);
    assert.deepStrictEqual(findings(out).filter((r) => r === 'ONNX006'), []);
  });

  it('refuses to write over the original', async () => {
    const src = path.join(dir, 'mine.onnx');
    fs.writeFileSync(src, wasteModel());
    await assert.rejects(runOptimization(src, { out: src }), /refusing to write/);
  });
});
