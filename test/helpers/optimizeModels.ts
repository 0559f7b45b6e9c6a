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
  const scalar = (name: string, v: number): onnx.ITensorProto => floatTensor(name, [], [v]);
  return encodeModel(model({
    opset,
    nodes: [
      ...layerNormNodes('x', 'ln', 'ln'),
      node('MatMul', ['ln', 'W1'], ['h1']),
      ...geluNodes('h1', 'g1', 'g1'),
      node('MatMul', ['g1', 'W2'], ['h2']),
      ...geluNodes('h2', 'y', 'g2', true),
    ],
    initializers: [
      scalar('two', 2), scalar('eps', 1e-5), scalar('sqrt2', Math.SQRT2), scalar('one', 1), scalar('half', 0.5),
      floatTensor('ln_gamma', [d], seededFloats(d, 1, 1)), floatTensor('ln_beta', [d], seededFloats(d, 2, 0.5)),
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
