import * as assert from 'assert';
import { onnx } from 'onnx-proto';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { modelCost } from '../../server/src/onnx/cost';
import { inferShapes } from '../../server/src/onnx/shapes';
import { graphOrder, orderProblems } from '../../server/src/onnx/order';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, int64Tensor, model, ModelSpec, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { analyzeSpec, assertFires, assertSilent } from '../helpers/models';

const F = DataType.FLOAT;
const w = (name: string, dims: number[], seed = 3) => floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), seed));
const read = (spec: ModelSpec) => readModelBuffer(encodeModel(model(spec)), 'mem.onnx');

/** A small CNN with a shape-arithmetic branch (Shape → Gather → Concat → Reshape) and a classifier. */
function cnn(): ModelSpec {
  return {
    nodes: [
      node('Conv', ['x', 'k1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'k2'], ['c2'], { strides: [2, 2] }),
      node('Shape', ['c2'], ['s']),
      node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'axes0'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
      node('Reshape', ['c2', 'target'], ['flat']),
      node('Gemm', ['flat', 'fc'], ['y'], { transB: 1 }),
    ],
    initializers: [
      w('k1', [8, 3, 3, 3]), w('b1', [8]), w('k2', [16, 8, 3, 3]), w('fc', [10, 16 * 15 * 15]),
      int64Tensor('zero', [], [0]), int64Tensor('axes0', [1], [0]), int64Tensor('minus1', [1], [-1]),
    ],
    inputs: [valueInfo('x', F, ['batch', 3, 32, 32])],
    outputs: [valueInfo('y', F, ['batch', 10])],
  };
}

/** Deterministic shuffle (a seeded Fisher–Yates), so the test is the same on every run. */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = xs.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('graph order (order.ts)', () => {
  it('gives a shuffled graph the same shapes and MACs as the sorted one', () => {
    const sorted = read(cnn());
    const ref = modelCost(sorted);
    assert.ok(ref.macs > 0);
    assert.ok(graphOrder(sorted.graph).fileOrder);
    for (const seed of [1, 2, 3, 4, 5]) {
      const spec = cnn();
      const m = read({ ...spec, nodes: shuffled(spec.nodes as onnx.INodeProto[], seed) });
      const c = modelCost(m);
      assert.strictEqual(c.macs, ref.macs, `seed ${seed}`);
      assert.strictEqual(c.flops, ref.flops, `seed ${seed}`);
      assert.strictEqual(c.peakActivationBytes, ref.peakActivationBytes, `seed ${seed}`);
      assert.deepStrictEqual(inferShapes(m).values.get('y')?.shape, [1, 10]);
      assert.deepStrictEqual(orderProblems(m), []);
    }
  });

  it('keeps the file order of a sorted graph and orders producers before readers otherwise', () => {
    const spec = cnn();
    const nodes = (spec.nodes as onnx.INodeProto[]).slice().reverse();
    const m = read({ ...spec, nodes });
    const order = graphOrder(m.graph);
    assert.strictEqual(order.fileOrder, false);
    const pos = new Map(order.order.map((i, k) => [m.graph.nodes[i], k]));
    for (const n of m.graph.nodes) for (const i of n.inputs) {
      const p = m.graph.nodes.find((x) => x.outputs.includes(i));
      if (p) assert.ok(pos.get(p)! < pos.get(n)!, `${p.name} before ${n.name}`);
    }
  });

  it('counts a subgraph that reads an outer value written later in the file', () => {
    const branch = (name: string, k: string) => ({
      name, node: [node('MatMul', ['h', k], [`${name}_y`])], initializer: [], input: [], output: [valueInfo(`${name}_y`, F, [1, 4])],
    });
    const spec: ModelSpec = {
      nodes: [
        node('If', ['cond'], ['y'], { then_branch: { graph: branch('then', 'wa') }, else_branch: { graph: branch('else', 'wb') } }),
        node('Relu', ['x'], ['h']), // the If's branches read h: it must run first
      ],
      initializers: [w('wa', [8, 4]), w('wb', [8, 4])],
      inputs: [valueInfo('x', F, [1, 8]), valueInfo('cond', DataType.BOOL, [])],
      outputs: [valueInfo('y', F, [1, 4])],
    };
    const c = modelCost(read(spec));
    assert.strictEqual(c.macs, 32);
    assert.deepStrictEqual(orderProblems(read(spec)), []);
  });

  it('ONNX000 reports a missing producer and a cycle, and stays silent on a graph only out of file order', () => {
    const missing = analyzeSpec({
      nodes: [node('Relu', ['x'], ['a']), node('Add', ['a', 'ghost'], ['y'])],
      inputs: [valueInfo('x', F, [1, 4])], outputs: [valueInfo('y', F, [1, 4])],
    });
    const [f] = assertFires(missing, 'ONNX000', ['y = Add']);
    assert.match(f.message, /reads 'ghost'/);
    const cycle = analyzeSpec({
      nodes: [node('Relu', ['x'], ['a']), node('Add', ['a', 'c'], ['b']), node('Relu', ['b'], ['c']), node('Identity', ['b'], ['y'])],
      inputs: [valueInfo('x', F, [1, 4])], outputs: [valueInfo('y', F, [1, 4])],
    });
    const found = assertFires(cycle, 'ONNX000', ['b = Add', 'c = Relu']);
    assert.match(found[0].message, /cycle/);
    const spec = cnn();
    assertSilent(analyzeSpec({ ...spec, nodes: (spec.nodes as onnx.INodeProto[]).slice().reverse() }), 'ONNX000');
  });
});
