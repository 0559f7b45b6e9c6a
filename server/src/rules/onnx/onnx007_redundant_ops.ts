import { allGraphs, dataTypeName, NodeInfo } from '../../onnx/model';
import type { Finding, ModelContext, ModelRule } from '../types';
import { indexGraph, intAttr, intsAttr, isOp, modelFinding, soleConsumer } from './graph';

const TRAINING_DOMAIN = 'ai.onnx.preview.training';
const TRAINING_OPS = new Set(['Gradient', 'Momentum', 'Adagrad', 'Adam']);

function composeIsIdentity(first: number[], second: number[]): boolean {
  if (first.length !== second.length) return false;
  // out[i] = in[first[second[i]]]
  return second.every((p, i) => first[p] === i);
}

function check(ctx: ModelContext): Finding[] {
  const out: Finding[] = [];
  const say = (node: NodeInfo, message: string): void => { out.push(modelFinding(REDUNDANT_OPS.id, message, { kind: 'node', node })); };
  for (const g of allGraphs(ctx.model.graph)) {
    const ix = indexGraph(g);
    const graphInputs = new Set(g.inputs.map((i) => i.name));
    for (const n of g.nodes) {
      if (n.domain === TRAINING_DOMAIN || (n.domain === '' && TRAINING_OPS.has(n.opType))) {
        say(n, `${n.opType} is a training op: an inference graph should not contain it.`);
      } else if (isOp(n, 'Identity')) {
        // An Identity that renames a graph input or initializer to a graph output is needed (or, in a subgraph, returns an outer value).
        const needed = g !== ctx.model.graph || (ix.outputs.has(n.outputs[0]) && (graphInputs.has(n.inputs[0]) || ix.initializers.has(n.inputs[0]) || ix.outputs.has(n.inputs[0])));
        if (!needed) say(n, `Identity copies '${n.inputs[0]}' unchanged: wire its readers to the input instead.`);
      } else if (isOp(n, 'Dropout')) {
        const training = n.inputs[2] ? ix.initializers.get(n.inputs[2]) ?? ix.constants.get(n.inputs[2]) : undefined;
        say(n, `Dropout does nothing at inference${training ? ' (unless training_mode is true, which an inference graph must not set)' : ''}: export with model.eval() so it is left out.`);
      } else if (isOp(n, 'BatchNormalization') && intAttr(n, 'training_mode') === 1) {
        say(n, 'BatchNormalization has training_mode=1: it normalises with batch statistics instead of the learned ones. Export with model.eval().');
      } else if (isOp(n, 'Cast')) {
        // Declared or inferred: a file with value_info and the same file without must get the same findings.
        const from = ix.types.get(n.inputs[0]) ?? (ctx.shapes?.values.get(n.inputs[0])?.elemType || undefined);
        const to = intAttr(n, 'to');
        if (from !== undefined && from === to) say(n, `Cast of '${n.inputs[0]}' to ${dataTypeName(to)}, its type already: a copy that changes nothing.`);
      } else if (isOp(n, 'Transpose')) {
        const next = soleConsumer(ix, n.outputs[0]);
        const p1 = intsAttr(n, 'perm'), p2 = next && isOp(next, 'Transpose') ? intsAttr(next, 'perm') : undefined;
        if (p1 && p2 && composeIsIdentity(p1, p2)) say(n, `Transpose (perm [${p1.join(', ')}]) followed by its inverse (perm [${p2.join(', ')}]): the pair cancels and both can go.`);
      } else if (isOp(n, 'Reshape')) {
        const next = soleConsumer(ix, n.outputs[0]);
        if (next && isOp(next, 'Reshape')) say(n, 'Reshape feeding only another Reshape: the second decides the shape, so this one is a wasted copy.');
      }
    }
  }
  return out;
}

export const REDUNDANT_OPS: ModelRule = {
  id: 'ONNX007',
  name: 'redundant-ops',
  target: 'model',
  defaultSeverity: 'information',
  docs: {
    summary: 'Ops that do nothing at inference: Identity, Dropout, training ops, Cast to the same type, Transpose pairs that cancel, Reshape chains.',
    whatItDoes:
      'Flags Identity nodes that only rename a value; Dropout, BatchNormalization with training_mode=1 and ' +
      'ai.onnx.preview.training ops; a Cast to the type its input already has (declared in the file or inferred); a Transpose whose ' +
      'only reader is a Transpose with the inverse permutation; a Reshape whose only reader is another Reshape.',
    whyItCosts:
      'Each is a kernel launch and usually a full copy of the tensor. ONNX Runtime removes some of them at its basic ' +
      'optimization level, but other runtimes (TensorRT parsers, TFLite converters, WebGPU/WASM builds with optimizations ' +
      'off) pay for them, and training-mode ops change results.',
    example: 'y = Transpose <perm = [0, 2, 1]> (x)\nz = Transpose <perm = [0, 2, 1]> (y)   # z is x',
    useInstead: 'Export with model.eval(); simplify with onnxsim or save ORT\'s optimized model (SessionOptions.optimized_model_filepath).',
    fix: '`inference-lens optimize model.onnx --only ONNX007` (or the quick fix) writes a copy without Identity, inference-mode Dropout, no-op Casts, cancelling Transpose pairs and the first Reshape of a chain (kept when the second shape contains a 0, which copies a dim of its input); graph outputs keep their names. Training ops and training-mode BatchNormalization are not rewritten: re-export with model.eval().',
  },
  check,
};
