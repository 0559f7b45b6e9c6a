/**
 * ONNX009's attention fusion on builder-made attention blocks (torch.nn.MultiheadAttention's export
 * layout, with and without an attn_mask): the pure rewrite, then the pipeline in the worker with the A/B in onnxruntime-node and
 * python3-onnx's full checker. bert_small_like's four blocks are in test/models/optimize.test.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { toWModel } from '../../server/src/quantize/graph';
import { typesAndShapes } from '../../server/src/optimize/optimize';
import { FUSE_ATTENTION } from '../../server/src/optimize/fuseAttention';
import { runOptimization } from '../../server/src/bench/runner';
import { compareModels } from '../../server/src/quantize/ab';
import { writeModel } from '../../server/src/quantize/writer';
import { OPTIMIZE_MIN_COSINE } from '../../server/src/optimize/report';
import { checkModel, pythonWithOnnx } from '../helpers/pythonOnnx';
import { attentionModel } from '../helpers/optimizeModels';

function fuse(buf: Buffer) {
  const src = readModelBuffer(buf, '/tmp/attention.onnx');
  const ctx = { model: toWModel(src), dims: {}, ...typesAndShapes(src, {}) };
  const r = FUSE_ATTENTION.run(ctx) as { changed: number; notes: string[] };
  return { r, m: ctx.model, ops: ctx.model.graph.nodes.map((n) => `${n.domain ? n.domain + '.' : ''}${n.opType}`) };
}

describe('ONNX009 attention fusion (pure)', () => {
  it('fuses the exported block into com.microsoft Attention + the same Gemm, keeping the output name', () => {
    const { r, m, ops } = fuse(attentionModel());
    assert.strictEqual(r.changed, 1);
    assert.deepStrictEqual(ops, ['com.microsoft.Attention', 'Reshape', 'Gemm', 'Shape', 'Reshape']);
    const att = m.graph.nodes[0];
    assert.deepStrictEqual(att.input, ['x', 'W_qkv', 'b_qkv']);
    assert.deepStrictEqual(att.attribute?.map((a) => [a.name, Number(a.i)]), [['num_heads', 2]], 'default scale 1/√8 is not spelled out');
    assert.strictEqual(m.graph.nodes[4].output?.[0], 'y');
    assert.strictEqual(m.opsets['com.microsoft'], 1);
  });

  it('scores scaled after the MatMul by another factor: the scale attribute carries it', () => {
    const { r, m } = fuse(attentionModel({ scoreScale: 0.2 }));
    assert.strictEqual(r.changed, 1);
    const scale = m.graph.nodes[0].attribute?.find((a) => a.name === 'scale');
    assert.ok(scale && Math.abs((scale.f ?? 0) - 0.2) < 1e-7);
  });

  it('a [seq, seq] mask added before the Softmax becomes attention_bias [1, 1, seq, seq]; a mask per batch row is left', () => {
    const { r, m, ops } = fuse(attentionModel({ mask: true }));
    assert.strictEqual(r.changed, 1);
    assert.deepStrictEqual(ops.slice(0, 3), ['Constant', 'Unsqueeze', 'com.microsoft.Attention']);
    assert.deepStrictEqual(m.graph.nodes[2].input, ['x', 'W_qkv', 'b_qkv', '', '', 'attention/attention_bias']);
    assert.deepStrictEqual(m.graph.nodes[1].input?.[0], 'mask');
    const src = readModelBuffer(attentionModel({ mask: true }), '/tmp/a.onnx');
    const ctx = { model: toWModel(src), dims: {}, ...typesAndShapes(src, {}) };
    ctx.model.graph.inits.find((i) => i.name === 'mask')!.dims = [2, 4, 4];
    ctx.shapes!.set('mask', [2, 4, 4]); ctx.altShapes!.set('mask', [2, 4, 4]);
    assert.strictEqual((FUSE_ATTENTION.run(ctx) as { changed: number }).changed, 0);
  });

  it('fires only on the exact pattern: each change that alters what the block computes leaves it alone', () => {
    const byOutput = (m: onnx.IModelProto, out: string): onnx.INodeProto => m.graph!.node!.find((n) => n.output?.[0] === out)!;
    const setAttr = (n: onnx.INodeProto, name: string, v: Partial<onnx.IAttributeProto>): void => {
      n.attribute = [...(n.attribute ?? []).filter((a) => a.name !== name), { name, ...v }];
    };
    const mutations: Record<string, (m: onnx.IModelProto) => void> = {
      'q not moved to heads-first': (m) => setAttr(byOutput(m, 'qh'), 'perm', { type: 7, ints: [0, 1, 2] }),
      'k transposed like q': (m) => setAttr(byOutput(m, 'kt'), 'perm', { type: 7, ints: [1, 0, 2] }),
      'k and v slices swapped': (m) => { byOutput(m, 'k').input = ['qkv', 'at_2d', 'at_3d', 'last_axis']; byOutput(m, 'v').input = ['qkv', 'at_d', 'at_2d', 'last_axis']; },
      'Softmax over the query axis': (m) => setAttr(byOutput(m, 'p'), 'axis', { type: 2, i: 1 }),
      'a negative scale': (m) => { m.graph!.initializer!.find((t) => t.name === 'root_hd')!.rawData = Buffer.from(Float32Array.from([-2]).buffer); },
      'Gemm with transA': (m) => setAttr(byOutput(m, 'proj'), 'transA', { type: 2, i: 1 }),
      'not transposed back to batch-first': (m) => setAttr(byOutput(m, 'y'), 'perm', { type: 7, ints: [0, 1, 2] }),
      'heads merged in another order': (m) => setAttr(byOutput(m, 'ct'), 'perm', { type: 7, ints: [0, 2, 1] }),
    };
    const roundTrip = (m: onnx.IModelProto): Buffer => Buffer.from(onnx.ModelProto.encode(m).finish());
    assert.strictEqual(fuse(roundTrip(onnx.ModelProto.decode(attentionModel()))).r.changed, 1, 'unchanged, it fuses');
    for (const [what, mutate] of Object.entries(mutations)) {
      const m = onnx.ModelProto.decode(attentionModel());
      mutate(m);
      assert.strictEqual(fuse(roundTrip(m)).r.changed, 0, what);
    }
    const four = fuse(attentionModel({ headSize: 4 }));
    assert.deepStrictEqual([four.r.changed, Number(four.m.graph.nodes[0].attribute![0].i)], [1, 4], '4 heads of 4 are read from the shapes');
  });

  it('a scores value read outside the block is not fused (nothing may observe a value that disappears)', () => {
    const src = readModelBuffer(attentionModel(), '/tmp/a.onnx');
    const ctx = { model: toWModel(src), dims: {}, ...typesAndShapes(src, {}) };
    ctx.model.graph.outputs.push({ name: 'p', type: { tensorType: { elemType: 1 } } });
    assert.strictEqual((FUSE_ATTENTION.run(ctx) as { changed: number }).changed, 0);
  });
});

describe('ONNX009 attention fusion in onnxruntime-node', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-attn-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the A/B would catch a wrong head split: the same fused graph told 4 heads instead of 2 disagrees', async () => {
    const src = path.join(dir, 'heads.onnx');
    fs.writeFileSync(src, attentionModel());
    const { m } = fuse(fs.readFileSync(src));
    m.graph.nodes[0].attribute![0].i = 4;
    const wrong = path.join(dir, 'heads.wrong.onnx');
    await writeModel(m, wrong);
    const ab = await compareModels(src, wrong, { bench: false, count: 2 });
    assert.ok(ab.outputs[0].maxAbsError > 1e-2, `max abs ${ab.outputs[0].maxAbsError}`);
  });

  for (const [name, o] of [['default scale', {}], ['scaled scores', { scoreScale: 0.2 }], ['two blocks in a row', { blocks: 2 }], ['with a mask', { mask: true }], ['with a mask at opset 12', { mask: true, opset: 12 }], ['four heads of 4', { headSize: 4 }]] as const) {
    it(`${name}: checked by python3-onnx, same outputs as the decomposed block`, async () => {
      const src = path.join(dir, `${name.replace(/ /g, '_')}.onnx`);
      fs.writeFileSync(src, attentionModel(o));
      const s = await runOptimization(src, { out: src.replace(/\.onnx$/, '.opt.onnx'), only: ['ONNX009'] });
      assert.strictEqual(s.opsAfter['com.microsoft.Attention'], 'blocks' in o ? 2 : 1);
      assert.strictEqual(s.opsAfter.Softmax, undefined);
      if (pythonWithOnnx()) assert.strictEqual(checkModel(s.output), null);
      const ab = await compareModels(src, s.output, { bench: false, count: 2 });
      for (const x of ab.outputs) assert.ok(x.cosine >= OPTIMIZE_MIN_COSINE && x.maxAbsError < 1e-4, `${x.name}: cosine ${x.cosine}, max abs ${x.maxAbsError}`);
    });
  }
});
