import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { inferShapes, defaultDim, DEFAULT_SEQUENCE } from '../../server/src/onnx/shapes';
import { modelCost } from '../../server/src/onnx/cost';
import { DataType, Dim } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, tensor, valueInfo } from '../../server/src/onnx/builder';
import { pythonShapes, pythonWithOnnx } from '../helpers/pythonOnnx';

const F = DataType.FLOAT;
const w = (name: string, dims: number[]) => floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), 7));

interface Case {
  title: string;
  nodes: onnx.INodeProto[];
  inits?: onnx.ITensorProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: string[];
  expect: Record<string, Dim[]>;
  types?: Record<string, number>;
  macs?: number;
  opset?: number;
  ms?: boolean;
  dims?: Record<string, number>;
}

const CASES: Case[] = [
  {
    title: 'Conv with pads, strides, groups and dilations; ConvTranspose; pooling',
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], strides: [2, 2] }),
      node('Conv', ['c1', 'w2'], ['c2'], { group: 8, pads: [2, 2, 2, 2], dilations: [2, 2] }),
      node('MaxPool', ['c2'], ['p1'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
      node('AveragePool', ['c2'], ['p2'], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER', strides: [2, 2] }),
      node('ConvTranspose', ['c2', 'wt'], ['t1'], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }),
      node('GlobalAveragePool', ['t1'], ['g']),
    ],
    inits: [w('w1', [8, 3, 3, 3]), w('b1', [8]), w('w2', [8, 1, 3, 3]), w('wt', [8, 4, 3, 3])],
    inputs: [valueInfo('x', F, ['batch', 3, 'height', 'width'])],
    outputs: ['g', 'p1', 'p2'],
    dims: { batch: 2, height: 33, width: 20 },
    expect: { c1: [2, 8, 17, 10], c2: [2, 8, 17, 10], p1: [2, 8, 8, 5], p2: [2, 8, 9, 5], t1: [2, 4, 34, 20], g: [2, 4, 1, 1] },
    // conv1: 2·8·17·10 · 27; conv2 depthwise: 2·8·17·10 · 9; convT: inputs 2·8·17·10 · (4·9)
    macs: 2 * 8 * 17 * 10 * 27 + 2 * 8 * 17 * 10 * 9 + 2 * 8 * 17 * 10 * 36,
  },
  {
    title: 'MatMul (batched, broadcast, 1-D), Gemm with transB, Einsum',
    nodes: [
      node('MatMul', ['a', 'wm'], ['m1']),
      node('MatMul', ['a', 'v'], ['m2']),
      node('Gemm', ['g', 'wg', 'bg'], ['gm'], { transB: 1 }),
      node('Einsum', ['a', 'e'], ['es'], { equation: 'bij,bjk->bik' }),
      node('Einsum', ['a'], ['tr'], { equation: 'bij->bji' }),
    ],
    inits: [w('wm', [16, 32]), w('v', [16]), w('wg', [10, 16]), w('bg', [10])],
    inputs: [valueInfo('a', F, ['batch', 'seq', 16]), valueInfo('g', F, [4, 16]), valueInfo('e', F, ['batch', 16, 5])],
    outputs: ['m1', 'm2', 'gm', 'es', 'tr'],
    dims: { batch: 3, seq: 7 },
    expect: { m1: [3, 7, 32], m2: [3, 7], gm: [4, 10], es: [3, 7, 5], tr: [3, 16, 7] },
    macs: 3 * 7 * 16 * 32 + 3 * 7 * 16 + 4 * 16 * 10 + 3 * 7 * 16 * 5,
  },
  {
    title: 'shape arithmetic: Shape → Gather → Unsqueeze → Concat → Reshape; Range; ConstantOfShape; Expand; Slice',
    nodes: [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero_s'], ['b'], { axis: 0 }),
      node('Unsqueeze', ['b', 'axes0'], ['bu']),
      node('Concat', ['bu', 'minus1', 'four'], ['target'], { axis: 0 }),
      node('Reshape', ['x', 'target'], ['r']),
      node('Gather', ['s', 'one'], ['len']),
      node('Range', ['zero_s', 'len', 'one_s'], ['pos']),
      node('ConstantOfShape', ['s'], ['ones'], { value: int64Tensor('v', [1], [1]) }),
      node('Expand', ['row', 's'], ['ex']),
      node('Slice', ['x', 'st', 'en', 'ax', 'stp'], ['sl']),
      node('Transpose', ['r'], ['tp'], { perm: [0, 2, 1] }),
      node('Split', ['x', 'splits'], ['sp1', 'sp2'], { axis: 2 }),
      node('Flatten', ['r'], ['fl'], { axis: 2 }),
    ],
    inits: [
      int64Tensor('zero', [1], [0]), int64Tensor('one', [], [1]), int64Tensor('axes0', [1], [0]), int64Tensor('minus1', [1], [-1]),
      int64Tensor('four', [1], [4]), int64Tensor('zero_s', [], [0]), int64Tensor('one_s', [], [1]), w('row', [1, 1, 24]),
      int64Tensor('st', [2], [1, -10]), int64Tensor('en', [2], [1000, -2]), int64Tensor('ax', [2], [1, 2]), int64Tensor('stp', [2], [2, 3]),
      int64Tensor('splits', [2], [10, 14]),
    ],
    inputs: [valueInfo('x', F, ['batch', 'seq', 24])],
    outputs: ['r', 'pos', 'ones', 'ex', 'sl', 'tp', 'sp2', 'fl'],
    dims: { batch: 2, seq: 9 },
    expect: {
      target: [3], r: [2, 54, 4], pos: [9], ones: [2, 9, 24], ex: [2, 9, 24], sl: [2, 4, 3], tp: [2, 4, 54],
      sp1: [2, 9, 10], sp2: [2, 9, 14], fl: [108, 4],
    },
    types: { pos: DataType.INT64, ones: DataType.INT64, s: DataType.INT64 },
  },
  {
    title: 'LayerNormalization, Softmax, Where, reductions (attribute and input axes), Cast, comparisons',
    nodes: [
      node('LayerNormalization', ['x', 'gamma', 'beta'], ['ln'], { axis: -1 }),
      node('Softmax', ['ln'], ['sm'], { axis: -1 }),
      node('ReduceMean', ['x'], ['rm'], { axes: [1], keepdims: 0 }),
      node('ReduceSum', ['x', 'axes'], ['rs']),
      node('Greater', ['x', 'zero'], ['gt']),
      node('Where', ['gt', 'x', 'zero'], ['wh']),
      node('Cast', ['gt'], ['ci'], { to: DataType.INT32 }),
      node('ArgMax', ['x'], ['am'], { axis: 2, keepdims: 0 }),
    ],
    inits: [w('gamma', [12]), w('beta', [12]), floatTensor('zero', [], [0]), int64Tensor('axes', [1], [2])],
    inputs: [valueInfo('x', F, ['batch', 'seq', 12])],
    outputs: ['sm', 'rm', 'rs', 'wh', 'ci', 'am'],
    dims: { batch: 1, seq: 5 },
    expect: { ln: [1, 5, 12], sm: [1, 5, 12], rm: [1, 12], rs: [1, 5, 1], gt: [1, 5, 12], wh: [1, 5, 12], ci: [1, 5, 12], am: [1, 5] },
    types: { gt: DataType.BOOL, ci: DataType.INT32, am: DataType.INT64 },
    macs: 0,
  },
  {
    title: 'LSTM (bidirectional) and GRU; Resize by scales and by sizes',
    nodes: [
      node('LSTM', ['x', 'W', 'R', 'B'], ['y', 'yh', 'yc'], { hidden_size: 8, direction: 'bidirectional' }),
      node('GRU', ['x', 'Wg', 'Rg'], ['gy', 'gh'], { hidden_size: 6 }),
      node('Resize', ['img', '', 'scales'], ['up'], { mode: 'linear' }),
      node('Resize', ['img', '', '', 'sizes'], ['up2'], { mode: 'nearest' }),
    ],
    inits: [w('W', [2, 32, 5]), w('R', [2, 32, 8]), w('B', [2, 64]), w('Wg', [1, 18, 5]), w('Rg', [1, 18, 6]),
      floatTensor('scales', [4], [1, 1, 2, 2]), int64Tensor('sizes', [4], [1, 3, 7, 9])],
    inputs: [valueInfo('x', F, ['seq', 'batch', 5]), valueInfo('img', F, [1, 3, 10, 12])],
    outputs: ['y', 'yh', 'yc', 'gy', 'gh', 'up', 'up2'],
    dims: { seq: 11, batch: 2 },
    expect: { y: [11, 2, 2, 8], yh: [2, 2, 8], yc: [2, 2, 8], gy: [11, 1, 2, 6], gh: [1, 2, 6], up: [1, 3, 20, 24], up2: [1, 3, 7, 9] },
    macs: 11 * 2 * (2 * 32 * 5 + 2 * 32 * 8) + 11 * 2 * (18 * 5 + 18 * 6),
  },
  {
    title: 'quantized and com.microsoft ops: QuantizeLinear/DequantizeLinear, MatMulInteger, QLinearMatMul, QLinearConv, MatMulNBits, DynamicQuantizeMatMul',
    ms: true,
    nodes: [
      node('QuantizeLinear', ['x', 'sc', 'zp'], ['xq']),
      node('DequantizeLinear', ['xq', 'sc', 'zp'], ['xd']),
      node('MatMulInteger', ['xq', 'wq', 'zp', 'zp'], ['mi']),
      node('QLinearMatMul', ['xq', 'sc', 'zp', 'wq', 'sc', 'zp', 'sc', 'zp'], ['qm']),
      node('QLinearConv', ['iq', 'sc', 'zp', 'cw', 'sc', 'zp', 'sc', 'zp'], ['qc'], { pads: [1, 1, 1, 1] }),
      node('MatMulNBits', ['x', 'nb', 'nbs'], ['mn'], { K: 16, N: 32, bits: 4, block_size: 16, accuracy_level: 4 }, { domain: 'com.microsoft' }),
      node('DynamicQuantizeMatMul', ['x', 'wi8', 'sc'], ['dq'], {}, { domain: 'com.microsoft' }),
    ],
    inits: [
      floatTensor('sc', [], [0.1]), tensor('zp', DataType.UINT8, [], Uint8Array.from([128])),
      tensor('wq', DataType.UINT8, [16, 8], new Uint8Array(128)), tensor('cw', DataType.UINT8, [4, 2, 3, 3], new Uint8Array(72)),
      tensor('nb', DataType.UINT8, [32, 1, 8], new Uint8Array(256)), floatTensor('nbs', [32], new Float32Array(32)),
      tensor('wi8', DataType.INT8, [16, 8], new Int8Array(128)),
    ],
    inputs: [valueInfo('x', F, ['batch', 16]), valueInfo('iq', DataType.UINT8, [1, 2, 6, 6])],
    outputs: ['xd', 'mi', 'qm', 'qc', 'mn', 'dq'],
    dims: { batch: 3 },
    expect: { xq: [3, 16], xd: [3, 16], mi: [3, 8], qm: [3, 8], qc: [1, 4, 6, 6], mn: [3, 32], dq: [3, 8] },
    types: { xq: DataType.UINT8, xd: F, mi: DataType.INT32, qm: DataType.UINT8, mn: F, dq: F },
    macs: 3 * 16 * 8 * 2 + 4 * 6 * 6 * 18 + 3 * 16 * 32 + 3 * 16 * 8,
  },
];

function build(c: Case): Buffer {
  return encodeModel(model({
    nodes: c.nodes, initializers: c.inits ?? [], inputs: c.inputs,
    outputs: c.outputs.map((o) => ({ name: o })) as onnx.IValueInfoProto[],
    opset: c.opset ?? 17, extraOpsets: c.ms ? { 'com.microsoft': 1 } : {},
  }));
}

describe('shape inference on generated models', () => {
  for (const c of CASES) {
    it(c.title, () => {
      const m = readModelBuffer(build(c));
      const inf = inferShapes(m, c.dims ?? {});
      assert.deepStrictEqual(inf.unknownOps, []);
      for (const [name, shape] of Object.entries(c.expect)) assert.deepStrictEqual(inf.values.get(name)?.shape, shape, name);
      for (const [name, type] of Object.entries(c.types ?? {})) assert.strictEqual(inf.values.get(name)?.elemType, type, `type of ${name}`);
      if (c.macs !== undefined) assert.strictEqual(modelCost(m, c.dims ?? {}, inf).macs, c.macs);
    });
  }

  it('agrees with onnx.shape_inference on the standard-domain cases', function () {
    const py = pythonWithOnnx();
    if (!py) this.skip();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-shapes-'));
    try {
      let compared = 0;
      for (const c of CASES.filter((x) => !x.ms)) {
        const file = path.join(tmp, 'm.onnx');
        fs.writeFileSync(file, build(c));
        const inf = inferShapes(readModelBuffer(fs.readFileSync(file)), c.dims ?? {});
        const ref = pythonShapes(py!, file, inf.dimsUsed);
        for (const [name, v] of Object.entries(ref)) {
          if (v.shape.some((d) => d === null)) continue;
          assert.deepStrictEqual(inf.values.get(name)?.shape, v.shape, `${c.title}: ${name}`);
          assert.strictEqual(inf.values.get(name)?.elemType, v.elemType, `${c.title}: type of ${name}`);
          compared++;
        }
      }
      assert.ok(compared > 30, `compared ${compared} values`);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

  it('resolves If branches, records unknown ops and keeps going', () => {
    const branch = (k: number): onnx.IGraphProto => ({
      name: `b${k}`, node: [node('Mul', ['x', 'x'], [`y${k}`])], output: [{ name: `y${k}` }], input: [], initializer: [],
    });
    const m = readModelBuffer(encodeModel(model({
      nodes: [
        node('Greater', ['k', 'k'], ['cond']),
        node('If', ['cond'], ['z'], { then_branch: { graph: branch(1) }, else_branch: { graph: branch(2) } }),
        node('FancyOp', ['z'], ['f'], {}, { domain: 'com.example' }),
        node('Relu', ['f'], ['r']),
        node('Relu', ['z'], ['ok']),
      ],
      inputs: [valueInfo('x', F, ['batch', 4]), valueInfo('k', DataType.INT64, [])],
      outputs: [{ name: 'r' }, valueInfo('ok', F, ['batch', 4])],
      extraOpsets: { 'com.example': 1 },
    })));
    const inf = inferShapes(m, {});
    assert.deepStrictEqual(inf.unknownOps, ['com.example.FancyOp']);
    assert.deepStrictEqual(inf.values.get('z')?.shape, [1, 4]);
    assert.deepStrictEqual(inf.values.get('ok')?.shape, [1, 4]);
    assert.strictEqual(inf.values.get('r')?.shape, null);
  });

  it("folds torch's pad reversal (Reshape, Slice with step -1 on a 2-D table, Transpose) into Pad's pads", () => {
    // F.pad(x, (1, 64)) as torch.onnx exports it (Silero VAD's STFT padding): pads [1, 64, 2, 3] as pairs per
    // axis, last axis first → rows reversed → transposed → flattened: begins [2, 1], ends [3, 64].
    const I = DataType.INT64;
    const m = readModelBuffer(encodeModel(model({
      nodes: [
        node('Reshape', ['p', 'shape22'], ['p2']),
        node('Slice', ['p2', 'st', 'en', 'ax', 'stp'], ['rev']),
        node('Transpose', ['rev'], ['tr'], { perm: [1, 0] }),
        node('Reshape', ['tr', 'flat'], ['pads']),
        node('Pad', ['x', 'pads'], ['y'], { mode: 'reflect' }),
      ],
      initializers: [
        int64Tensor('p', [4], [1, 64, 2, 3]), int64Tensor('shape22', [2], [-1, 2]), int64Tensor('st', [1], [-1]),
        tensor('en', I, [1], new BigInt64Array([-(2n ** 63n)])), int64Tensor('ax', [1], [0]), int64Tensor('stp', [1], [-1]),
        int64Tensor('flat', [1], [-1]),
      ],
      inputs: [valueInfo('x', F, [1, 100])], outputs: [{ name: 'y' }],
    })));
    const inf = inferShapes(m, {});
    assert.deepStrictEqual(inf.constants.get('rev')?.data, [2, 3, 1, 64]);
    assert.deepStrictEqual(inf.constants.get('pads')?.data, [2, 1, 3, 64]);
    assert.deepStrictEqual(inf.values.get('y')?.shape, [6, 165]);
  });

  it('defaults unset symbolic dims by name and position, and says which it used', () => {
    assert.strictEqual(defaultDim('batch_size', 0, 2), 1);
    assert.strictEqual(defaultDim('seq_len', 1, 2), DEFAULT_SEQUENCE);
    assert.strictEqual(defaultDim('sequence', 1, 2), 128);
    assert.strictEqual(defaultDim('p2o.DynamicDimension.0', 0, 4), 1);
    assert.strictEqual(defaultDim('p2o.DynamicDimension.1', 2, 4), 224);
    assert.strictEqual(defaultDim(null, 1, 3), 1);
    const m = readModelBuffer(encodeModel(model({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [valueInfo('x', F, ['batch', 'seq', null, 8])], outputs: [valueInfo('y', F, ['batch', 'seq', null, 8])],
    })));
    const inf = inferShapes(m, { seq: 64 });
    assert.deepStrictEqual(inf.dimsUsed, { batch: 1, seq: 64, 'x[2]': 224 });
    assert.deepStrictEqual(inf.values.get('y')?.shape, [1, 64, 224, 8]);
  });
});

describe('per-op inference table (opShapes.ts)', () => {
  it('keys inference functions by domain and op, with the families first', () => {
    const { inferenceFor } = require('../../server/src/onnx/opShapes') as typeof import('../../server/src/onnx/opShapes');
    assert.ok(inferenceFor('', 'Conv') && inferenceFor('com.microsoft', 'FusedConv') && inferenceFor('', 'Loop'));
    assert.strictEqual(inferenceFor('com.example', 'Conv'), undefined);
    assert.strictEqual(inferenceFor('com.microsoft', 'Add'), undefined, 'the broadcast family is default-domain only');
    // Relu is elementwise in com.microsoft (one output) and Identity-like in the default domain (a mask output too).
    assert.notStrictEqual(inferenceFor('', 'Relu'), inferenceFor('com.microsoft', 'Relu'));
  });
});
