import * as assert from 'assert';
import { onnx } from 'onnx-proto';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { computeSummary, modelCost } from '../../server/src/onnx/cost';
import { computeFigures } from '../../server/src/onnx/summary';
import { inferShapes } from '../../server/src/onnx/shapes';
import { nodeHoverMarkdown } from '../../server/src/lsp/modelHover';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, int64Tensor, model, ModelSpec, node, seededFloats, tensor, valueInfo } from '../../server/src/onnx/builder';
import { workFigures } from '../../server/src/cost/figures';
import { checkBudgets, costReport, lensTitle } from '../../server/src/cost/report';
import { summarize } from '../../server/src/onnx/summary';
import { mergeConfig } from '../../server/src/config';

const F = DataType.FLOAT;
const I64 = DataType.INT64;
const w = (name: string, dims: number[], seed = 5) => floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), seed));
const read = (spec: ModelSpec) => readModelBuffer(encodeModel(model(spec)), 'mem.onnx');

/** A branch computing MatMul(x, W) with W [8, n]: n·8 MACs at x [1, 8]. */
function branch(name: string, n: number): onnx.IGraphProto {
  return { name, node: [node('MatMul', ['x', `${name}_w`], [`${name}_y`])], initializer: [w(`${name}_w`, [8, n])], input: [], output: [valueInfo(`${name}_y`, F, [1, n])] };
}

/** Silero VAD's layout in miniature: `If (sr == 16000)` picks the 16 kHz or the 8 kHz network. */
function srModel(): ModelSpec {
  return {
    nodes: [
      node('Equal', ['sr', 'k16000'], ['is16k']),
      node('If', ['is16k'], ['y'], { then_branch: { graph: branch('net16k', 64) }, else_branch: { graph: branch('net8k', 4) } }),
    ],
    initializers: [int64Tensor('k16000', [], [16000])],
    inputs: [valueInfo('x', F, [1, 8]), valueInfo('sr', I64, [])],
    outputs: [valueInfo('y', F, [1, null])],
  };
}

describe('control flow: If, Loop, Scan', () => {
  it('takes the If branch a sample-rate input selects, and says so', () => {
    const c = modelCost(read(srModel()));
    assert.strictEqual(c.macs, 8 * 64);
    assert.strictEqual(c.dimsUsed.sr, 16000);
    assert.match(c.controlFlow[0].note, /runs then_branch \(condition 'is16k' is true given sr=16000\)/);
    const at8k = modelCost(read(srModel()), { sr: 8000 });
    assert.strictEqual(at8k.macs, 8 * 4);
    assert.match(at8k.controlFlow[0].note, /runs else_branch/);
    assert.strictEqual(c.incomplete, undefined);
  });

  it('gives the branch that does not run shapes too, without reporting what it lacks at these dims', () => {
    const spec = srModel();
    const idle = branch('net8k', 4);
    // An op nobody infers and a Reshape that does not divide: both only in the branch that does not run.
    idle.node!.push(node('Frobnicate', ['net8k_y'], ['odd'], {}, { domain: 'custom' }), node('Reshape', ['x', 'into3'], ['thirds']));
    idle.initializer!.push(int64Tensor('into3', [2], [3, -1]));
    spec.nodes![1] = node('If', ['is16k'], ['y'], { then_branch: { graph: branch('net16k', 64) }, else_branch: { graph: idle } });
    const inf = inferShapes(read(spec));
    assert.deepStrictEqual(inf.values.get('net8k_y')?.shape, [1, 4]);
    assert.deepStrictEqual(inf.values.get('y')?.shape, [1, 64]);
    assert.deepStrictEqual(inf.unknownOps, []);
    assert.deepStrictEqual(inf.degenerate, []);
    const at8k = inferShapes(read(spec), { sr: 8000 }); // now it runs: both are reported
    assert.deepStrictEqual(at8k.unknownOps, ['custom.Frobnicate']);
    assert.strictEqual(at8k.degenerate.length, 1);
  });

  it('says in the If node\'s hover which branch runs and why', () => {
    const m = read(srModel());
    const ifNode = m.graph.nodes.find((n) => n.opType === 'If')!;
    assert.match(nodeHoverMarkdown(m, ifNode, [], modelCost(m)), /Control flow: .*runs then_branch \(condition 'is16k' is true given sr=16000\)/);
    assert.match(nodeHoverMarkdown(m, ifNode, [], modelCost(m, { sr: 8000 })), /Control flow: .*runs else_branch/);
  });

  it('counts the more expensive branch when the condition is unknown, and says so', () => {
    const spec = srModel();
    spec.nodes = [node('If', ['cond'], ['y'], { then_branch: { graph: branch('a', 4) }, else_branch: { graph: branch('b', 64) } })];
    spec.inputs = [valueInfo('x', F, [1, 8]), valueInfo('cond', DataType.BOOL, [])];
    const c = modelCost(read(spec));
    assert.strictEqual(c.macs, 8 * 64);
    assert.match(c.controlFlow[0].note, /condition unknown before a run: counted the more expensive branch \(else_branch\)/);
  });

  const loopBody: onnx.IGraphProto = {
    name: 'body',
    node: [node('MatMul', ['h', 'lw'], ['h2']), node('Identity', ['c'], ['c2'])],
    initializer: [w('lw', [8, 8])],
    input: [valueInfo('i', I64, []), valueInfo('c', DataType.BOOL, []), valueInfo('h', F, [1, 8])],
    output: [valueInfo('c2', DataType.BOOL, []), valueInfo('h2', F, [1, 8])],
  };

  it('multiplies a Loop body by a trip count known from a constant', () => {
    const c = modelCost(read({
      nodes: [node('Loop', ['trip', 'go', 'x'], ['y'], { body: { graph: loopBody } })],
      initializers: [int64Tensor('trip', [], [5]), tensor('go', DataType.BOOL, [], new Uint8Array([1]))],
      inputs: [valueInfo('x', F, [1, 8])], outputs: [valueInfo('y', F, [1, 8])],
    }));
    assert.strictEqual(c.macs, 5 * 64);
    assert.match(c.controlFlow[0].note, /body × 5 iterations/);
    assert.strictEqual(c.incomplete, undefined);
  });

  it('counts a Loop of unknown trip count once and marks the figures as a lower bound', () => {
    const m = read({
      nodes: [node('Loop', ['n', 'go', 'x'], ['y'], { body: { graph: loopBody } })],
      initializers: [tensor('go', DataType.BOOL, [], new Uint8Array([1]))],
      inputs: [valueInfo('x', F, [1, 8]), valueInfo('n', I64, [])], outputs: [valueInfo('y', F, [1, 8])],
    });
    const c = modelCost(m);
    assert.strictEqual(c.macs, 64);
    assert.match(c.controlFlow[0].note, /× trip count unknown/);
    assert.match(c.incomplete!.reason, /1 Loop of unknown trip count counted once/);
    assert.strictEqual(computeFigures(computeSummary(c)), '≥ 64MACs (≥ 128FLOPs; Loop trip count unknown)');
  });

  it('multiplies a Scan body by the scanned length', () => {
    const body: onnx.IGraphProto = {
      name: 'scan', node: [node('MatMul', ['row', 'sw'], ['out'])], initializer: [w('sw', [8, 4])],
      input: [valueInfo('row', F, [1, 8])], output: [valueInfo('out', F, [1, 4])],
    };
    const c = modelCost(read({
      nodes: [node('Scan', ['xs'], ['ys'], { body: { graph: body }, num_scan_inputs: 1 })],
      inputs: [valueInfo('xs', F, [6, 1, 8])], outputs: [valueInfo('ys', F, [6, 1, 4])],
    }));
    assert.strictEqual(c.macs, 6 * 32);
  });
});

describe('figures that are not known', () => {
  const spec = (): ModelSpec => ({
    nodes: [node('MatMul', ['x', 'w1'], ['h']), node('Mystery', ['h'], ['g'], {}, { domain: 'com.example' }), node('MatMul', ['g', 'w2'], ['y'])],
    initializers: [w('w1', [64, 64]), w('w2', [64, 64])],
    inputs: [valueInfo('x', F, [1, 64])], outputs: [valueInfo('y', F, [1, 64])],
    extraOpsets: { 'com.example': 1 },
  });

  it('analyze marks MACs as a lower bound, names the nodes left out and why', () => {
    const c = modelCost(read(spec()));
    assert.strictEqual(c.macs, 64 * 64);
    assert.deepStrictEqual({ nodes: c.incomplete!.nodes, opTypes: c.incomplete!.opTypes }, { nodes: 2, opTypes: ['MatMul', 'com.example.Mystery'] });
    assert.match(c.incomplete!.reason, /no shape inference for com\.example\.Mystery; shapes stop at com\.example\.Mystery/);
    assert.strictEqual(computeFigures(computeSummary(c)), '≥ 4.1 kMACs (≥ 8.2 kFLOPs; 2 nodes unknown)');
  });

  it('marks the cost estimate incomplete and says budgets could not be checked', () => {
    const m = read(spec());
    const c = modelCost(m);
    const config = mergeConfig({ cost: { budgets: { p95Ms: 1000, modelBytes: 1 } } } as never);
    const res = costReport(workFigures(summarize(m), c), config);
    assert.ok('report' in res);
    const r = res.report;
    assert.match(r.incomplete!, /2 nodes of unknown shape/);
    assert.match(lensTitle(r), /^p95 ≥ .*\(est\., incomplete\)$/);
    const v = checkBudgets(r);
    const p95 = v.find((x) => x.budget === 'p95Ms')!;
    assert.ok(p95.unchecked);
    assert.match(p95.message, /the p95Ms budget of 1000 ms could not be checked/);
    assert.ok(v.find((x) => x.budget === 'modelBytes' && !x.unchecked), 'the size budget is still checked');
  });
});
