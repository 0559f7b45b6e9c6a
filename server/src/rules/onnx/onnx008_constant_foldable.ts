import { allGraphs, GraphInfo, NodeInfo } from '../../onnx/model';
import type { Finding, ModelContext, ModelRule } from '../types';
import { isConstant, indexGraph, isOp, modelFinding, opLabel } from './graph';

/** Kept on purpose even when their inputs are constant: QDQ weights are folded by the runtime's own fusions. */
const KEEP = new Set(['Constant', 'QuantizeLinear', 'DequantizeLinear', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** Nodes of `g` that compute only from constants: inputs all initializers, Constant outputs or other such nodes. */
export function foldableNodes(g: GraphInfo): Set<NodeInfo> {
  const ix = indexGraph(g);
  const foldable = new Set<NodeInfo>();
  const constantValue = new Set<string>();
  for (const n of g.nodes) { // nodes are topologically sorted in a valid model
    const hasSubgraph = [...n.attributes.values()].some((a) => a.kind === 'graph' || a.kind === 'graphs');
    const inputs = n.inputs.filter(Boolean);
    if (n.domain !== '' || KEEP.has(n.opType) || hasSubgraph || !inputs.length) continue;
    if (inputs.every((i) => isConstant(ix, i) || constantValue.has(i))) {
      foldable.add(n);
      for (const o of n.outputs) if (o) constantValue.add(o);
    }
  }
  return foldable;
}

function check(ctx: ModelContext): Finding[] {
  const out: Finding[] = [];
  for (const g of allGraphs(ctx.model.graph)) {
    const foldable = foldableNodes(g);
    if (!foldable.size) continue;
    const ix = indexGraph(g);
    for (const n of foldable) {
      // Report where the constant computation ends: a node whose result reaches a non-constant consumer or an output.
      const frontier = n.outputs.some((o) => ix.outputs.has(o) || (ix.consumers.get(o) ?? []).some((c) => !foldable.has(c)));
      if (!frontier) continue;
      const upstream = countFoldableUpstream(n, foldable, ix.producer);
      out.push(modelFinding(CONSTANT_FOLDABLE.id,
        `${opLabel(n)} computes only from constants${upstream ? ` (with the ${upstream} constant node${upstream > 1 ? 's' : ''} before it)` : ''}: ` +
        'its result is the same on every call. Fold it into an initializer offline.',
        { kind: 'node', node: n }));
    }
  }
  return out;
}

function countFoldableUpstream(n: NodeInfo, foldable: Set<NodeInfo>, producer: Map<string, NodeInfo>): number {
  const seen = new Set<NodeInfo>();
  const stack = [...n.inputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || seen.has(p) || !foldable.has(p)) continue;
    seen.add(p);
    stack.push(...p.inputs);
  }
  return seen.size;
}

export const CONSTANT_FOLDABLE: ModelRule = {
  id: 'ONNX008',
  name: 'constant-foldable',
  target: 'model',
  defaultSeverity: 'information',
  docs: {
    summary: 'Subgraphs that compute only from constants (initializers, Constant nodes) and could be folded into an initializer.',
    whatItDoes:
      'Marks every standard-domain node whose inputs are all initializers, Constant outputs or results of other such ' +
      'nodes, and flags the last node of each such chain (where a constant result meets a real input), with the count ' +
      'of foldable nodes before it. QuantizeLinear/DequantizeLinear on weights (the QDQ format keeps them on purpose), ' +
      'random ops and nodes with subgraphs are left alone.',
    whyItCosts:
      'The result is identical on every call. ONNX Runtime folds such nodes again at every session start (slower cold ' +
      'starts, more peak memory), and runtimes without constant folding compute them on every request.',
    example: 'w_t = Transpose <perm = [1, 0]> (fc.weight)   # fc.weight is an initializer\ny = MatMul (x, w_t)',
    useInstead: 'Export with do_constant_folding=True, or run onnxsim / save ORT\'s optimized model once and ship that.',
    fix: '`inference-lens optimize model.onnx --only ONNX008` (or the quick fix) runs the constant nodes once in onnxruntime-node, in a child process, and stores their results as initializers in a copy. A result larger than what it is computed from (by more than 64 KiB, e.g. ConstantOfShape or Expand) stays computed at run time, so the file does not grow.',
  },
  check,
};
