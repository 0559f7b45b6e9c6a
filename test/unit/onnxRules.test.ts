import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataType } from '../../server/src/onnx/model';
import { floatTensor, int64Tensor, model, node, seededFloats, tensor, valueInfo } from '../../server/src/onnx/builder';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { analyzeSpec, assertFires, assertRules, assertSilent, tempDir } from '../helpers/models';
import { REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';
import { tinyDecoder } from '../helpers/tinyDecoder';

const X = valueInfo('x', DataType.FLOAT, [1, 64]);
const Y = valueInfo('y', DataType.FLOAT, [1, 64]);

describe('ONNX001 float32 weights worth quantizing', () => {
  it('fires on a MatMul-heavy model with dynamic int8 advice, on the op reading the largest weight', () => {
    const r = analyzeSpec({
      nodes: [node('MatMul', ['x', 'w1'], ['h']), node('MatMul', ['h', 'w2'], ['y'])],
      initializers: [floatTensor('w1', [64, 1024], seededFloats(64 * 1024, 1)), floatTensor('w2', [1024, 512], seededFloats(1024 * 512, 2))],
      inputs: [X], outputs: [valueInfo('y', DataType.FLOAT, [1, 512])],
    });
    const [f] = assertFires(r, 'ONNX001', ['y = MatMul (h, w2)']);
    assert.match(f.message, /Dynamic int8 quantization fits/);
    assert.match(f.message, /MatMul\/Gemm 2\.3 MiB \(100%\)/);
  });

  it('fires on a conv-heavy model with static QDQ advice and a warning against dynamic quantization', () => {
    const r = analyzeSpec({
      nodes: [node('Conv', ['img', 'k'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
      initializers: [floatTensor('k', [256, 256, 3, 3], seededFloats(256 * 256 * 9, 3))],
      inputs: [valueInfo('img', DataType.FLOAT, [1, 256, 8, 8])], outputs: [valueInfo('y', DataType.FLOAT, [1, 256, 8, 8])],
    });
    const [f] = assertFires(r, 'ONNX001', ['y = Conv']);
    assert.match(f.message, /static int8 quantization in QDQ format/);
    assert.match(f.message, /Avoid dynamic quantization/);
  });

  it('stays silent on small models and on models already quantized', () => {
    assertSilent(analyzeSpec({
      nodes: [node('MatMul', ['x', 'w'], ['y'])], initializers: [floatTensor('w', [64, 64], seededFloats(4096, 4))], inputs: [X], outputs: [Y],
    }), 'ONNX001');
    assertSilent(analyzeSpec({
      nodes: [
        node('DequantizeLinear', ['wq', 's'], ['w']), node('MatMul', ['x', 'w'], ['h']), node('MatMul', ['h', 'w2'], ['y']),
      ],
      initializers: [
        tensor('wq', DataType.INT8, [64, 64], new Int8Array(4096)), floatTensor('s', [], [0.1]),
        floatTensor('w2', [64, 8192], seededFloats(64 * 8192, 5)),
      ],
      inputs: [X], outputs: [valueInfo('y', DataType.FLOAT, [1, 8192])],
    }), 'ONNX001');
  });
});

describe('ONNX002 dynamically quantized convolutions', () => {
  const dq = node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']);
  it('fires on ConvInteger fed by DynamicQuantizeLinear', () => {
    const r = analyzeSpec({
      nodes: [dq, node('ConvInteger', ['xq', 'wq', 'xz'], ['acc']), node('ConvInteger', ['xq', 'wq', 'xz'], ['acc2']), node('Add', ['acc', 'acc2'], ['y'])],
      initializers: [tensor('wq', DataType.INT8, [4, 1, 3, 3], new Int8Array(36))],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 8, 8])], outputs: [valueInfo('y', DataType.INT32, [1, 4, 6, 6])],
    });
    const [f] = assertFires(r, 'ONNX002', ['acc = ConvInteger']);
    assert.match(f.message, /^2 convolutions are dynamically quantized/);
  });
  it('stays silent on dynamically quantized MatMul (where it pays)', () => {
    assertSilent(analyzeSpec({
      nodes: [dq, node('MatMulInteger', ['xq', 'wq', 'xz'], ['y'])],
      initializers: [tensor('wq', DataType.INT8, [64, 64], new Int8Array(4096))],
      inputs: [X], outputs: [valueInfo('y', DataType.INT32, [1, 64])],
    }), 'ONNX002');
  });
});

describe('ONNX003 float64', () => {
  it('fires on float64 weights and on Cast to DOUBLE', () => {
    const r = analyzeSpec({
      nodes: [node('Cast', ['x'], ['xd'], { to: DataType.DOUBLE }), node('Add', ['xd', 'bias'], ['y'])],
      initializers: [tensor('bias', DataType.DOUBLE, [64], new Float64Array(64))],
      inputs: [X], outputs: [valueInfo('y', DataType.DOUBLE, [1, 64])],
    });
    assertFires(r, 'ONNX003', ['double[64] bias', 'xd = Cast']);
  });
  it('stays silent on float32 weights and Cast to float16', () => {
    assertSilent(analyzeSpec({
      nodes: [node('Cast', ['x'], ['xh'], { to: DataType.FLOAT16 }), node('Cast', ['xh'], ['y'], { to: DataType.FLOAT })],
      inputs: [X], outputs: [Y],
    }), 'ONNX003');
  });
});

describe('ONNX004 dead nodes', () => {
  it('fires once per dead chain, at the node nothing reads', () => {
    const r = analyzeSpec({
      nodes: [node('Relu', ['x'], ['y']), node('Sigmoid', ['x'], ['s']), node('Neg', ['s'], ['unused'])],
      inputs: [X], outputs: [Y],
    });
    const [f] = assertFires(r, 'ONNX004', ['unused = Neg']);
    assert.match(f.message, /nor do the 1 node that feed only it/);
  });
  it('stays silent when every node reaches an output, including through an If body', () => {
    const thenBranch: onnx.IGraphProto = { name: 'then', node: [node('Identity', ['s'], ['t'])], output: [valueInfo('t', DataType.FLOAT, [1, 64])] };
    const elseBranch: onnx.IGraphProto = { name: 'else', node: [node('Identity', ['x'], ['e'])], output: [valueInfo('e', DataType.FLOAT, [1, 64])] };
    assertSilent(analyzeSpec({
      nodes: [node('Sigmoid', ['x'], ['s']), node('If', ['cond'], ['y'], { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } })],
      inputs: [X, valueInfo('cond', DataType.BOOL, [])], outputs: [Y],
    }), 'ONNX004');
  });
});

describe('ONNX005 unused initializers', () => {
  it('fires on an initializer no node reads, on its declaration line', () => {
    const r = analyzeSpec({
      nodes: [node('Add', ['x', 'b'], ['y'])],
      initializers: [floatTensor('b', [64], seededFloats(64, 1)), floatTensor('old_head', [64, 64], seededFloats(4096, 2))],
      inputs: [X], outputs: [Y],
    });
    assertFires(r, 'ONNX005', ['float[64,64] old_head']);
  });
  it('stays silent on an initializer read only inside an If body', () => {
    const body: onnx.IGraphProto = { name: 'b', node: [node('Add', ['x', 'w'], ['t'])], output: [valueInfo('t', DataType.FLOAT, [1, 64])] };
    const other: onnx.IGraphProto = { name: 'o', node: [node('Identity', ['x'], ['e'])], output: [valueInfo('e', DataType.FLOAT, [1, 64])] };
    assertSilent(analyzeSpec({
      nodes: [node('If', ['cond'], ['y'], { then_branch: { graph: body }, else_branch: { graph: other } })],
      initializers: [floatTensor('w', [64], seededFloats(64, 3))],
      inputs: [X, valueInfo('cond', DataType.BOOL, [])], outputs: [Y],
    }), 'ONNX005');
  });
});

describe('ONNX006 duplicate initializers', () => {
  it('fires on the second copy of identical bytes, hashed from disk', () => {
    const big = seededFloats(32 * 1024, 7); // 128 KiB: beyond the reader's inline limit, so it is streamed
    const r = analyzeSpec({
      nodes: [node('MatMul', ['x', 'w_enc'], ['h']), node('MatMul', ['h', 'w_dec'], ['h2']), node('Add', ['h2', 'b1'], ['h3']), node('Add', ['h3', 'b2'], ['y'])],
      initializers: [
        floatTensor('w_enc', [64, 512], big.subarray(0, 64 * 512)), floatTensor('w_dec', [512, 64], big.subarray(0, 64 * 512)),
        floatTensor('b1', [64], seededFloats(64, 1)), floatTensor('b2', [64], seededFloats(64, 1)),
      ],
      inputs: [X], outputs: [Y],
    });
    // b1/b2 are equal too but under 4 KiB; w_enc/w_dec differ in shape, so they are not duplicates either.
    assertSilent(r, 'ONNX006');
    const r2 = analyzeSpec({
      nodes: [node('MatMul', ['x', 'w_enc'], ['h']), node('MatMul', ['h', 'w_dec'], ['y'])],
      initializers: [floatTensor('w_enc', [64, 64 * 8], big.subarray(0, 64 * 512)), floatTensor('w_dec', [64, 64 * 8], big.subarray(0, 64 * 512))],
      inputs: [X], outputs: [valueInfo('y', DataType.FLOAT, [1, 512])],
    });
    const [f] = assertFires(r2, 'ONNX006', ['w_dec']);
    assert.match(f.message, /same 128\.0 KiB as 'w_enc'/);
  });
  it('agrees with python3-onnx on which initializers of silero_vad are copies', function () {
    const file = testModel('silero_vad.onnx');
    const py = ['python3', '/usr/bin/python3'].map((exe) => spawnSync(exe, [path.join(REPO, 'test', 'fixtures', 'onnx', 'duplicate_initializers.py'), file], { encoding: 'utf8' }))
      .find((r) => r.status === 0);
    if (!py) this.skip();
    const expected = JSON.parse(py!.stdout) as string[];
    assert.ok(expected.length > 0);
    const got = analyzeModelFile(file, mergeConfig()).findings.filter((f) => f.rule === 'ONNX006').map((f) => /^initializer '([^']+)'/.exec(f.message)![1]);
    assert.deepStrictEqual(got.sort(), expected.sort());
  });

  it('stays silent below 4 KiB: the per-channel zero points a QDQ quantizer writes beside each weight', () => {
    const zp = (name: string) => tensor(name, DataType.INT8, [1152], new Int8Array(1152)); // 1.1 KiB of zeros each
    assertSilent(analyzeSpec({
      nodes: [node('DequantizeLinear', ['q1', 's1', 'z1'], ['w1'], { axis: 0 }), node('DequantizeLinear', ['q2', 's2', 'z2'], ['w2'], { axis: 0 }),
        node('MatMul', ['x', 'w1'], ['h']), node('MatMul', ['x', 'w2'], ['y'])],
      initializers: [
        tensor('q1', DataType.INT8, [1152, 64], new Int8Array(1152 * 64).fill(1)), tensor('q2', DataType.INT8, [1152, 64], new Int8Array(1152 * 64).fill(2)),
        floatTensor('s1', [1152], seededFloats(1152, 1)), floatTensor('s2', [1152], seededFloats(1152, 2)), zp('z1'), zp('z2'),
      ],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 1152])], outputs: [valueInfo('y', DataType.FLOAT, [1, 64])],
    }), 'ONNX006');
  });

  it('stays silent on same-shaped tensors with different bytes', () => {
    assertSilent(analyzeSpec({
      nodes: [node('Add', ['x', 'a'], ['h']), node('Add', ['h', 'b'], ['y'])],
      initializers: [floatTensor('a', [1, 64 * 16], seededFloats(1024, 1)), floatTensor('b', [1, 64 * 16], seededFloats(1024, 2))],
      inputs: [X], outputs: [Y],
    }), 'ONNX006');
  });
});

describe('ONNX007 redundant ops', () => {
  it('fires on Identity, Dropout, Cast to the same type, a cancelling Transpose pair and a Reshape chain', () => {
    const r = analyzeSpec({
      nodes: [
        node('Identity', ['x'], ['a']),
        node('Dropout', ['a'], ['b']),
        node('Cast', ['b'], ['c'], { to: DataType.FLOAT }),
        node('Transpose', ['c'], ['t1'], { perm: [1, 0] }),
        node('Transpose', ['t1'], ['t2'], { perm: [1, 0] }),
        node('Reshape', ['t2', 'shape1'], ['r1']),
        node('Reshape', ['r1', 'shape2'], ['y']),
      ],
      initializers: [int64Tensor('shape1', [1], [64]), int64Tensor('shape2', [2], [1, 64])],
      valueInfo: [valueInfo('b', DataType.FLOAT, [1, 64])],
      inputs: [X], outputs: [Y],
    });
    assertFires(r, 'ONNX007', ['a = Identity', 'b = Dropout', 'c = Cast', 't1 = Transpose', 'r1 = Reshape']);
  });
  it('knows a Cast is a no-op from inferred types too: the file need not declare them (PyTorch\'s `//` export)', () => {
    const spec = (declared: boolean) => analyzeSpec({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Div', ['s', 'two'], ['q']),
        node('Cast', ['q'], ['qi'], { to: DataType.INT64 }),
        node('Reshape', ['x', 'qi'], ['y']),
      ],
      initializers: [int64Tensor('two', [1], [2])],
      valueInfo: declared ? [valueInfo('q', DataType.INT64, [2])] : [],
      inputs: [valueInfo('x', DataType.FLOAT, [4, 8])], outputs: [valueInfo('y', DataType.FLOAT, [2, 4])],
    });
    assertFires(spec(false), 'ONNX007', ['qi = Cast']);
    assertFires(spec(true), 'ONNX007', ['qi = Cast']);
  });
  it('stays silent on look-alikes that do work', () => {
    assertSilent(analyzeSpec({
      nodes: [
        node('Cast', ['x'], ['c'], { to: DataType.FLOAT16 }),
        node('Transpose', ['c'], ['t1'], { perm: [0, 2, 1] }),
        node('Transpose', ['t1'], ['t2'], { perm: [1, 0, 2] }),
        node('Reshape', ['t2', 'shape1'], ['r1']),
        node('Relu', ['r1'], ['r2']),
        node('Reshape', ['r2', 'shape1'], ['z']),
        node('Identity', ['x'], ['y']), // renames the graph input to the graph output: needed
      ],
      initializers: [int64Tensor('shape1', [2], [1, 64])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 8, 8])], outputs: [valueInfo('y', DataType.FLOAT, [1, 8, 8]), valueInfo('z', DataType.FLOAT16, [1, 64])],
    }), 'ONNX007');
  });
});

describe('ONNX008 constant-foldable subgraphs', () => {
  it('fires where a constant computation meets a real input', () => {
    const r = analyzeSpec({
      nodes: [
        node('Constant', [], ['two'], { value: floatTensor('two', [], [2]) }),
        node('Transpose', ['w'], ['wt'], { perm: [1, 0] }),
        node('Mul', ['wt', 'two'], ['w2']),
        node('MatMul', ['x', 'w2'], ['y']),
      ],
      initializers: [floatTensor('w', [64, 64], seededFloats(4096, 1))],
      inputs: [X], outputs: [Y],
    });
    const [f] = assertFires(r, 'ONNX008', ['w2 = Mul']);
    assert.match(f.message, /with the 1 constant node before it/);
  });
  it('stays silent on QDQ weights and on ops that read a real input', () => {
    assertSilent(analyzeSpec({
      nodes: [node('DequantizeLinear', ['wq', 's'], ['w']), node('Transpose', ['x'], ['xt'], { perm: [1, 0] }), node('MatMul', ['w', 'xt'], ['y'])],
      initializers: [tensor('wq', DataType.INT8, [64, 64], new Int8Array(4096)), floatTensor('s', [], [0.1])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 64])], outputs: [valueInfo('y', DataType.FLOAT, [64, 1])],
    }), 'ONNX008');
  });
});

describe('ONNX009 decomposed LayerNorm / GELU / attention', () => {
  it('fires once per pattern, on its first occurrence', () => {
    const gelu = (x: string, p: string) => [
      node('Div', [x, 'sqrt2'], [`${p}d`]), node('Erf', [`${p}d`], [`${p}e`]), node('Add', [`${p}e`, 'one'], [`${p}a`]),
      node('Mul', [x, `${p}a`], [`${p}m`]), node('Mul', [`${p}m`, 'half'], [`${p}g`]),
    ];
    const r = analyzeSpec({
      nodes: [
        node('ReduceMean', ['x'], ['mean'], { axes: [-1] }), node('Sub', ['x', 'mean'], ['d']), node('Pow', ['d', 'two'], ['sq']),
        node('ReduceMean', ['sq'], ['var'], { axes: [-1] }), node('Add', ['var', 'eps'], ['ve']), node('Sqrt', ['ve'], ['std']),
        node('Div', ['d', 'std'], ['ln']),
        ...gelu('ln', 'g1_'), ...gelu('g1_g', 'g2_'),
        node('MatMul', ['q', 'k'], ['scores']), node('Div', ['scores', 'scale'], ['scaled']), node('Softmax', ['scaled'], ['probs'], { axis: -1 }),
        node('MatMul', ['probs', 'v'], ['ctx']), node('Add', ['g2_g', 'ctx'], ['y']),
      ],
      initializers: [
        floatTensor('two', [], [2]), floatTensor('eps', [], [1e-5]), floatTensor('sqrt2', [], [Math.SQRT2]), floatTensor('one', [], [1]),
        floatTensor('half', [], [0.5]), floatTensor('scale', [], [8]),
      ],
      inputs: [X, valueInfo('q', DataType.FLOAT, [64, 8]), valueInfo('k', DataType.FLOAT, [8, 64]), valueInfo('v', DataType.FLOAT, [64, 64])],
      outputs: [Y],
    });
    const found = assertFires(r, 'ONNX009', ['mean = ReduceMean', 'g1_e = Erf', 'probs = Softmax']);
    assert.match(found[1].message, /^2 decomposed GELU blocks \(first here\)/);
    assert.match(found[0].message, /extended optimization level/);
  });
  it('finds GPT-2\'s tanh GELU, and not a Tanh that is only a Tanh', () => {
    const tanhGelu = [
      node('Pow', ['x', 'three'], ['cube']), node('Mul', ['cube', 'c'], ['cc']), node('Add', ['x', 'cc'], ['in']),
      node('Mul', ['in', 'k'], ['s']), node('Tanh', ['s'], ['t']), node('Add', ['t', 'one'], ['p']), node('Mul', ['x', 'p'], ['m']),
      node('Mul', ['m', 'half'], ['y']),
    ];
    const inits = [floatTensor('three', [], [3]), floatTensor('c', [], [0.044715]), floatTensor('k', [], [Math.sqrt(2 / Math.PI)]),
      floatTensor('one', [], [1]), floatTensor('half', [], [0.5])];
    const found = assertFires(analyzeSpec({ nodes: tanhGelu, initializers: inits, inputs: [X], outputs: [Y] }), 'ONNX009', ['t = Tanh']);
    assert.match(found[0].message, /A decomposed tanh GELU block.*FastGelu/);
    assertSilent(analyzeSpec({ nodes: [node('Mul', ['x', 'k'], ['s']), node('Tanh', ['s'], ['t']), node('Add', ['t', 'one'], ['y'])], initializers: inits, inputs: [X], outputs: [Y] }), 'ONNX009');
  });

  it('stays silent on the fused ops and on an Erf that is not GELU', () => {
    assertSilent(analyzeSpec({
      nodes: [
        node('LayerNormalization', ['x', 'g', 'b'], ['ln'], { axis: -1 }), node('Erf', ['ln'], ['e']), node('Add', ['e', 'g'], ['a']),
        node('Mul', ['a', 'x'], ['m']), node('Softmax', ['m'], ['y']),
      ],
      initializers: [floatTensor('g', [64], seededFloats(64, 1)), floatTensor('b', [64], seededFloats(64, 2))],
      inputs: [X], outputs: [Y],
    }), 'ONNX009');
  });
});

describe('ONNX010 old opset or IR version', () => {
  const spec = { nodes: [node('Relu', ['x'], ['y'])], inputs: [X], outputs: [Y] };
  it('fires on opset 11 and IR 6, on the header line', () => {
    assertFires(analyzeSpec({ ...spec, opset: 11, irVersion: 6 }), 'ONNX010', ['opset_import: ["" : 11]', 'ir_version: 6']);
  });
  it('stays silent on opset 17', () => assertSilent(analyzeSpec(spec), 'ONNX010'));
});

describe('ONNX011 symbolic dims without a value', () => {
  const spec = {
    nodes: [node('Add', ['ids', 'mask'], ['y'])],
    inputs: [valueInfo('ids', DataType.INT64, ['batch', 'seq']), valueInfo('mask', DataType.INT64, ['batch', 'seq'])],
    outputs: [valueInfo('y', DataType.INT64, ['batch', 'seq'])],
  };
  it('fires once per dim name, on the first input that uses it', () => {
    assertFires(analyzeSpec(spec), 'ONNX011', ['int64[batch,seq] ids', 'int64[batch,seq] ids']);
    assertFires(analyzeSpec(spec, mergeConfig({ dims: { batch: 1 } })), 'ONNX011', ['ids']);
  });
  it('stays silent when the configuration gives every dim a value', () => {
    assertSilent(analyzeSpec(spec, mergeConfig({ dims: { batch: 1, seq: 128 } })), 'ONNX011');
  });
});

/** Encodes varints beyond 2^31 (protobufjs's writer is not needed for a handful of bytes). */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}

/**
 * A real 1.1 GiB model with its weight inlined, written as a sparse file: the zero raw_data is the
 * last field of the file, so ftruncate supplies it without writing (or holding) a gigabyte.
 */
function writeSparseLargeModel(elements: number): string {
  const m = model({ nodes: [node('MatMul', ['x', 'w'], ['y'])], inputs: [valueInfo('x', DataType.FLOAT, [1, 1024])], outputs: [valueInfo('y', DataType.FLOAT, [1, elements / 1024])] });
  const graph = Buffer.from(onnx.GraphProto.encode(onnx.GraphProto.create(m.graph!)).finish());
  const head = Buffer.from(onnx.TensorProto.encode(onnx.TensorProto.create({ name: 'w', dataType: DataType.FLOAT, dims: [1024, elements / 1024] })).finish());
  const bytes = elements * 4;
  const tensorLen = head.length + 1 + varint(bytes).length + bytes;
  const initField = Buffer.concat([Buffer.from([(5 << 3) | 2]), varint(tensorLen), head, Buffer.from([(9 << 3) | 2]), varint(bytes)]);
  const graphLen = graph.length + initField.length + bytes;
  const top = Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ ...m, graph: undefined })).finish());
  const prefix = Buffer.concat([top, Buffer.from([(7 << 3) | 2]), varint(graphLen), graph, initField]);
  const file = path.join(tempDir(), 'large-inline.onnx');
  fs.writeFileSync(file, prefix);
  fs.truncateSync(file, prefix.length + bytes);
  return file;
}

describe('ONNX012 large inline weights', () => {
  it('fires on a model with 1.1 GiB of weights inside the .onnx', () => {
    const file = writeSparseLargeModel(1024 * 288 * 1024); // 1.125 GiB of float32
    try {
      const r = analyzeModelFile(file, mergeConfig());
      assert.deepStrictEqual(r.findings.filter((f) => f.rule === 'ONNX000'), []);
      const [f] = assertFires(r, 'ONNX012', ['<ir_version: 8']);
      assert.match(f.message, /1\.13 GiB of weights are stored inside the \.onnx \(56% of protobuf's 2 GiB/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
  it('stays silent on external data and on small models', () => {
    assertSilent(analyzeModelFile(testModel('mlp_mnist_like_external.onnx'), mergeConfig()), 'ONNX012');
  });
});

describe('ONNX013 MatMulNBits without accuracy_level', () => {
  const nbits = (attrs: Record<string, number>) => analyzeSpec({
    nodes: [node('MatMulNBits', ['x', 'wq', 'scales'], ['y'], { K: 64, N: 64, bits: 4, block_size: 32, ...attrs }, { domain: 'com.microsoft' })],
    initializers: [tensor('wq', DataType.UINT8, [64, 2, 16], new Uint8Array(2048)), floatTensor('scales', [128], seededFloats(128, 1))],
    inputs: [X], outputs: [Y], extraOpsets: { 'com.microsoft': 1 },
  });
  it('fires when accuracy_level is missing or 0', () => {
    assertFires(nbits({}), 'ONNX013', ['y = com.microsoft.MatMulNBits']);
    assertFires(nbits({ accuracy_level: 0 }), 'ONNX013', ['accuracy_level = 0']);
  });
  it('stays silent with accuracy_level=4', () => assertSilent(nbits({ accuracy_level: 4 }), 'ONNX013'));
  it('adds the decoder caveat (token flips) when the model takes a KV cache', () => {
    const r = analyzeSpec({
      nodes: [node('MatMulNBits', ['x', 'wq', 'scales'], ['y'], { K: 64, N: 64, bits: 4, block_size: 32 }, { domain: 'com.microsoft' }),
        node('Identity', ['past_key_values.0.key'], ['present.0.key'])],
      initializers: [tensor('wq', DataType.UINT8, [64, 2, 16], new Uint8Array(2048)), floatTensor('scales', [128], seededFloats(128, 1))],
      inputs: [X, valueInfo('past_key_values.0.key', DataType.FLOAT, [1, 2, 'past', 8])],
      outputs: [Y, valueInfo('present.0.key', DataType.FLOAT, [1, 2, 'past', 8])], extraOpsets: { 'com.microsoft': 1 },
    });
    const [f] = assertFires(r, 'ONNX013', ['y = com.microsoft.MatMulNBits']);
    assert.match(f.message, /can flip greedy tokens/);
    assert.doesNotMatch(assertFires(nbits({}), 'ONNX013', ['y = com.microsoft.MatMulNBits'])[0].message, /greedy/);
  });
});

describe('ONNX014 decoder exported without a KV cache', () => {
  const analyzeBytes = (bytes: Buffer, name: string) => {
    const file = path.join(tempDir(), name);
    fs.writeFileSync(file, bytes);
    return analyzeModelFile(file, mergeConfig());
  };
  it('fires on a decoder whose logits come through a Trilu causal mask, with no past inputs', () => {
    const [f] = assertFires(analyzeBytes(tinyDecoder({ withCache: false }), 'nocache.onnx'), 'ONNX014', ['ir_version']);
    assert.match(f.message, /Trilu/);
    assert.match(f.message, /text-generation-with-past/);
  });
  it('fires on a model that returns present.* without taking past_key_values.*', () => {
    const r = analyzeSpec({
      nodes: [node('Cast', ['input_ids'], ['h'], { to: DataType.FLOAT }), node('Identity', ['h'], ['present.0.key'])],
      inputs: [valueInfo('input_ids', DataType.INT64, [1, 'seq'])], outputs: [valueInfo('present.0.key', DataType.FLOAT, [1, 'seq'])],
    });
    const [f] = assertFires(r, 'ONNX014', ['ir_version']);
    assert.match(f.message, /returns the KV cache \(present\.0\.key\)/);
  });
  it('stays silent on the same decoder with its cache, and on an encoder with per-token logits', () => {
    assertSilent(analyzeBytes(tinyDecoder(), 'cache.onnx'), 'ONNX014');
    assertSilent(analyzeSpec({
      nodes: [node('Gather', ['emb', 'input_ids'], ['h']), node('MatMul', ['h', 'head'], ['logits'])],
      initializers: [floatTensor('emb', [32, 8], seededFloats(256, 1)), floatTensor('head', [8, 32], seededFloats(256, 2))],
      inputs: [valueInfo('input_ids', DataType.INT64, [1, 'seq'])], outputs: [valueInfo('logits', DataType.FLOAT, [1, 'seq', 32])],
    }), 'ONNX014');
  });
});

// The larger shared models (bert, lstm, mobilenet, squeezenet) are checked in test/models/onnxRules.test.ts.
describe('model rules on the in-repository real and generated models (no crying wolf)', () => {
  const expected: Record<string, string[]> = {
    'mlp_mnist_like.onnx': ['ONNX001', 'ONNX011'],
    'mlp_mnist_like_external.onnx': ['ONNX001', 'ONNX011'],
    'ppocr_v4_det.onnx': ['ONNX001', 'ONNX010', 'ONNX011', 'ONNX011', 'ONNX011'],
    'silero_vad.onnx': ['ONNX001', ...Array(9).fill('ONNX006'), 'ONNX011', 'ONNX011'],
  };
  for (const [file, rules] of Object.entries(expected)) {
    it(`${file}: ${[...new Set(rules)].join(', ')}`, () => assertRules(testModel(file), rules));
  }
});
