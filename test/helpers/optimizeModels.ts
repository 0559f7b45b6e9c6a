/**
 * Models with one finding of each model rule that "Optimize model" fixes, built with onnx/builder.ts,
 * for test/unit/optimize*.test.ts. Each computes something real (the A/B compares their outputs).
 */
import { onnx } from 'onnx-proto';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, tensor, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';

const F = DataType.FLOAT;

/** Dead nodes, an unused and a duplicate initializer, Identity/Dropout/no-op Cast, a Transpose pair, a Reshape chain, a foldable Transpose. */
export function wasteModel(): Buffer {
  const w = seededFloats(32 * 32, 7, 0.2);
  return encodeModel(model({
    nodes: [
      node('Identity', ['x'], ['xi']),
      node('Dropout', ['xi'], ['xd']),
      node('Cast', ['xd'], ['xc'], { to: F }),
      node('Transpose', ['W'], ['Wt'], { perm: [1, 0] }),
      node('MatMul', ['xc', 'Wt'], ['h1']),
      node('MatMul', ['h1', 'W_copy'], ['h2']),
      node('Relu', ['x'], ['unused_relu']),
      node('Softmax', ['unused_relu'], ['unused_softmax']),
      node('Transpose', ['h2'], ['t1'], { perm: [1, 0] }),
      node('Transpose', ['t1'], ['t2'], { perm: [1, 0] }),
      node('Reshape', ['t2', 'shape_a'], ['r1']),
      node('Reshape', ['r1', 'shape_b'], ['r2']),
      node('Tanh', ['r2'], ['h3']),
      node('Identity', ['h3'], ['y']),
    ],
    initializers: [
      floatTensor('W', [32, 32], w), floatTensor('W_copy', [32, 32], w), floatTensor('U', [64], seededFloats(64, 3)),
      int64Tensor('shape_a', [3], [-1, 4, 8]), int64Tensor('shape_b', [2], [-1, 32]),
    ],
    inputs: [valueInfo('x', F, ['batch', 32])],
    outputs: [valueInfo('y', F, ['batch', 32])],
  }));
}

/** LayerNorm as torch < 1.13 exported it at opset < 17: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add. */
export function layerNormNodes(x: string, out: string, p: string): onnx.INodeProto[] {
  return [
    node('ReduceMean', [x], [`${p}_mean`], { axes: [-1] }),
    node('Sub', [x, `${p}_mean`], [`${p}_d`]),
    node('Pow', [`${p}_d`, 'two'], [`${p}_sq`]),
    node('ReduceMean', [`${p}_sq`], [`${p}_var`], { axes: [-1] }),
    node('Add', [`${p}_var`, 'eps'], [`${p}_ve`]),
    node('Sqrt', [`${p}_ve`], [`${p}_std`]),
    node('Div', [`${p}_d`, `${p}_std`], [`${p}_n`]),
    node('Mul', [`${p}_n`, `${p}_gamma`], [`${p}_s`]),
    node('Add', [`${p}_s`, `${p}_beta`], [out]),
  ];
}

/** Exact GELU: (x · (1 + erf(x / √2))) · 0.5, or with the half taken first. */
export function geluNodes(x: string, out: string, p: string, halfFirst = false): onnx.INodeProto[] {
  const core = [node('Div', [x, 'sqrt2'], [`${p}_s`]), node('Erf', [`${p}_s`], [`${p}_e`]), node('Add', [`${p}_e`, 'one'], [`${p}_p`])];
  return halfFirst
    ? [...core, node('Mul', [x, 'half'], [`${p}_h`]), node('Mul', [`${p}_h`, `${p}_p`], [out])]
    : [...core, node('Mul', [x, `${p}_p`], [`${p}_m`]), node('Mul', [`${p}_m`, 'half'], [out])];
}

/** A transformer MLP block with a decomposed LayerNorm and two decomposed GELUs. */
export function fusionModel(opset = 17): Buffer {
  const d = 16;
  return mlpModel(opset, [
    ...layerNormNodes('x', 'ln', 'ln'),
    node('MatMul', ['ln', 'W1'], ['h1']),
    ...geluNodes('h1', 'g1', 'g1'),
    node('MatMul', ['g1', 'W2'], ['h2']),
    ...geluNodes('h2', 'y', 'g2', true),
  ], { two: 2, eps: 1e-5, sqrt2: Math.SQRT2, one: 1, half: 0.5 },
  [floatTensor('ln_gamma', [d], seededFloats(d, 1, 1)), floatTensor('ln_beta', [d], seededFloats(d, 2, 0.5))]);
}

/** x [batch, seq, 16] → `nodes` → y, with W1 [16, 64], W2 [64, 16], the named scalars and `more` initializers. */
function mlpModel(opset: number, nodes: onnx.INodeProto[], scalars: Record<string, number>, more: onnx.ITensorProto[] = []): Buffer {
  const d = 16;
  return encodeModel(model({
    opset,
    nodes,
    initializers: [
      ...Object.entries(scalars).map(([name, v]) => floatTensor(name, [], [v])), ...more,
      floatTensor('W1', [d, 4 * d], seededFloats(4 * d * d, 3, 0.5)), floatTensor('W2', [4 * d, d], seededFloats(4 * d * d, 4, 0.5)),
    ],
    inputs: [valueInfo('x', F, ['batch', 'seq', d])],
    outputs: [valueInfo('y', F, ['batch', 'seq', d])],
  }));
}

/** Float64 everywhere: a double input, weights, a Constant and a Cast to double, a double output. */
export function float64Model(): Buffer {
  const w = Float64Array.from(seededFloats(16, 5, 1));
  return encodeModel(model({
    nodes: [
      node('MatMul', ['x', 'W'], ['h']),
      node('Constant', [], ['c'], { value: tensor('c', DataType.DOUBLE, [4], Float64Array.from([0.5, -1, 2, 0.25])) }),
      node('Add', ['h', 'c'], ['h2']),
      node('Cast', ['h2'], ['h3'], { to: DataType.DOUBLE }),
      node('Relu', ['h3'], ['y']),
    ],
    initializers: [tensor('W', DataType.DOUBLE, [4, 4], w)],
    inputs: [valueInfo('x', DataType.DOUBLE, ['batch', 4])],
    outputs: [valueInfo('y', DataType.DOUBLE, ['batch', 4])],
  }));
}

/**
 * Two residual Adds feeding LayerNormalization: x + h (same shape: fusable, and the sum is read again)
 * and s + pos, where pos is [1, seq, d] broadcast over the batch (equal to x's shape only at batch 1).
 */
export function skipLayerNormModel(): Buffer {
  const d = 16;
  return encodeModel(model({
    nodes: [
      node('MatMul', ['x', 'W'], ['h']),
      node('Add', ['x', 'h'], ['s']),
      node('LayerNormalization', ['s', 'g1', 'b1'], ['n1'], { axis: -1, epsilon: 1e-5 }),
      node('Add', ['n1', 's'], ['r']),
      node('Add', ['r', 'pos'], ['t']),
      node('LayerNormalization', ['t', 'g2', 'b2'], ['y'], { axis: -1, epsilon: 1e-5 }),
    ],
    initializers: [
      floatTensor('W', [d, d], seededFloats(d * d, 8, 0.5)),
      floatTensor('g1', [d], seededFloats(d, 9, 1)), floatTensor('b1', [d], seededFloats(d, 10, 0.2)),
      floatTensor('g2', [d], seededFloats(d, 11, 1)), floatTensor('b2', [d], seededFloats(d, 12, 0.2)),
    ],
    inputs: [valueInfo('x', F, ['batch', 'seq', d]), valueInfo('pos', F, [1, 'seq', d])],
    outputs: [valueInfo('y', F, ['batch', 'seq', d])],
  }));
}

/**
 * Self-attention as torch.nn.MultiheadAttention exports it (2 heads of 8, or 16/`headSize`; D = 16): sequence-first
 * transposes, packed QKV projection sliced in three, heads split by Reshape, q scaled by 1/√8 (or the
 * scores by `scoreScale`), Softmax, output projection as a Gemm. `mask` adds a [seq, seq] mask to the
 * scores (not fused: Attention has no such input). Values are prefixed with `p`; weights are shared.
 */
function attentionNodes(x: string, y: string, p: string, o: { scoreScale?: number; mask?: boolean }): onnx.INodeProto[] {
  const v = (name: string): string => `${p}${name}`;
  const scaled = o.scoreScale === undefined
    ? [node('Div', [v('qh'), 'root_hd'], [v('qs')]), node('MatMul', [v('qs'), v('kt')], [v('scores')])]
    : [node('MatMul', [v('qh'), v('kt')], [v('qk')]), node('Mul', [v('qk'), 'score_scale'], [v('scores')])];
  return [
    node('Transpose', [x], [v('xt')], { perm: [1, 0, 2] }),
    node('MatMul', [v('xt'), 'W_qkv'], [v('mm')]),
    node('Add', ['b_qkv', v('mm')], [v('qkv')]),
    node('Slice', [v('qkv'), 'at_0', 'at_d', 'last_axis'], [v('q')]),
    node('Slice', [v('qkv'), 'at_d', 'at_2d', 'last_axis'], [v('k')]),
    node('Slice', [v('qkv'), 'at_2d', 'at_3d', 'last_axis'], [v('v')]),
    node('Reshape', [v('q'), 'heads'], [v('qr')]), node('Transpose', [v('qr')], [v('qh')], { perm: [1, 0, 2] }),
    node('Reshape', [v('k'), 'heads'], [v('kr')]), node('Transpose', [v('kr')], [v('kt')], { perm: [1, 2, 0] }),
    node('Reshape', [v('v'), 'heads'], [v('vr')]), node('Transpose', [v('vr')], [v('vh')], { perm: [1, 0, 2] }),
    ...scaled,
    ...(o.mask ? [node('Add', [v('scores'), 'mask'], [v('masked')])] : []),
    node('Softmax', [v(o.mask ? 'masked' : 'scores')], [v('p')], { axis: -1 }),
    node('MatMul', [v('p'), v('vh')], [v('ctx')]),
    node('Transpose', [v('ctx')], [v('ct')], { perm: [1, 0, 2] }),
    node('Reshape', [v('ct'), 'rows'], [v('flat')]),
    node('Gemm', [v('flat'), 'W_out', 'b_out'], [v('proj')], { transB: 1 }),
    node('Shape', [v('xt')], [v('xt_shape')]),
    node('Reshape', [v('proj'), v('xt_shape')], [v('unflat')]),
    node('Transpose', [v('unflat')], [y], { perm: [1, 0, 2] }),
  ];
}

/** One attention block x → y (or `blocks` of them in a row, sharing weights). */
export function attentionModel(o: { scoreScale?: number; mask?: boolean; blocks?: number; headSize?: number; opset?: number } = {}): Buffer {
  const d = 16, hd = o.headSize ?? 8, n = o.blocks ?? 1;
  const nodes = Array.from({ length: n }, (_, i) => attentionNodes(i ? `y${i}` : 'x', i === n - 1 ? 'y' : `y${i + 1}`, n > 1 ? `b${i}_` : '', o)).flat();
  return encodeModel(model({
    opset: o.opset,
    nodes,
    initializers: [
      floatTensor('W_qkv', [d, 3 * d], seededFloats(3 * d * d, 21, 0.5)), floatTensor('b_qkv', [3 * d], seededFloats(3 * d, 22, 0.2)),
      int64Tensor('at_0', [1], [0]), int64Tensor('at_d', [1], [d]), int64Tensor('at_2d', [1], [2 * d]), int64Tensor('at_3d', [1], [3 * d]),
      int64Tensor('last_axis', [1], [-1]), int64Tensor('heads', [3], [0, -1, hd]), int64Tensor('rows', [2], [-1, d]),
      o.scoreScale === undefined ? floatTensor('root_hd', [], [Math.sqrt(hd)]) : floatTensor('score_scale', [], [o.scoreScale]),
      floatTensor('W_out', [d, d], seededFloats(d * d, 23, 0.5)), floatTensor('b_out', [d], seededFloats(d, 24, 0.2)),
      ...(o.mask ? [floatTensor('mask', [4, 4], seededFloats(16, 25, 1))] : []),
    ],
    inputs: [valueInfo('x', F, ['batch', o.mask ? 4 : 'seq', d])],
    outputs: [valueInfo('y', F, ['batch', o.mask ? 4 : 'seq', d])],
  }));
}

/** GPT-2's tanh GELU: x · 0.5 first (as the export writes it) or last, x³ as Pow 3. */
export function tanhGeluNodes(x: string, out: string, p: string, halfFirst = true): onnx.INodeProto[] {
  const core = [
    node('Pow', [x, 'three'], [`${p}_cube`]), node('Mul', [`${p}_cube`, 'c044715'], [`${p}_c`]),
    node('Add', [x, `${p}_c`], [`${p}_in`]), node('Mul', [`${p}_in`, 'sqrt_2_pi'], [`${p}_s`]),
    node('Tanh', [`${p}_s`], [`${p}_t`]), node('Add', [`${p}_t`, 'one'], [`${p}_p`]),
  ];
  return halfFirst
    ? [node('Mul', [x, 'half'], [`${p}_h`]), ...core, node('Mul', [`${p}_h`, `${p}_p`], [out])]
    : [...core, node('Mul', [x, `${p}_p`], [`${p}_m`]), node('Mul', [`${p}_m`, 'half'], [out])];
}

/** An MLP with both spellings of the tanh GELU (float32 constants, as exporters store them). */
export function tanhGeluModel(opset = 17): Buffer {
  return mlpModel(opset, [
    node('MatMul', ['x', 'W1'], ['h1']), ...tanhGeluNodes('h1', 'g1', 'g1'),
    node('MatMul', ['g1', 'W2'], ['h2']), ...tanhGeluNodes('h2', 'y', 'g2', false),
  ], { three: 3, c044715: 0.044715, sqrt_2_pi: Math.sqrt(2 / Math.PI), one: 1, half: 0.5 });
}

/**
 * An opset-9 model whose ops took attributes that later opsets take as inputs (Clip-6, Pad-2, Slice-1,
 * Unsqueeze-1, ReduceSum-1, Split-2, TopK-1), a Softmax with the old default axis (1, the last one of
 * a rank-2 input) and a Dropout. With `softmaxAxis`, a rank-3 Softmax over that axis instead.
 */
export function oldOpsetModel(o: { opset?: number; softmaxAxis?: number } = {}): Buffer {
  const rank3 = o.softmaxAxis !== undefined;
  return encodeModel(model({
    opset: o.opset ?? 9,
    irVersion: 4,
    nodes: [
      node('Clip', ['x'], ['c'], { min: -0.5, max: 0.5 }),
      node('Pad', ['c'], ['p'], { pads: [0, 1, 0, 1], value: 0.25 }),
      node('Slice', ['p'], ['s'], { starts: [1], ends: [9], axes: [1] }),
      node('Unsqueeze', ['s'], ['u'], { axes: [0] }),
      node('ReduceSum', ['u'], ['r'], { axes: [0], keepdims: 0 }),
      node('Split', ['r'], ['a', 'b'], { axis: 1, split: [3, 5] }),
      ...(rank3
        ? [node('Unsqueeze', ['b'], ['b3'], { axes: [0] }), node('Softmax', ['b3'], ['sm3'], { axis: o.softmaxAxis! }), node('Squeeze', ['sm3'], ['sm'], { axes: [0] })]
        : [node('Softmax', ['b'], ['sm'])]),
      node('TopK', ['sm'], ['vals', 'idx'], { k: 2 }),
      node('Dropout', ['a'], ['d'], { ratio: 0.3 }),
      node('MatMul', ['d', 'W'], ['m']),
      node('Concat', ['vals', 'm'], ['y'], { axis: 1 }),
    ],
    initializers: [floatTensor('W', [3, 4], seededFloats(12, 41, 1))],
    inputs: [valueInfo('x', F, [2, 8])],
    outputs: [valueInfo('y', F, [2, 6])],
  }));
}
