import { allGraphs } from '../../onnx/model';
import { formatBytes } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { allNodes, modelFinding } from './graph';

function check(ctx: ModelContext): Finding[] {
  const { model } = ctx;
  // Names read anywhere: subgraphs may read any outer initializer.
  const read = new Set<string>();
  for (const { node } of allNodes(model)) for (const i of node.inputs) if (i) read.add(i);
  for (const g of allGraphs(model.graph)) for (const o of g.outputs) read.add(o.name);
  const out: Finding[] = [];
  for (const g of allGraphs(model.graph)) {
    for (const t of g.initializers) {
      if (read.has(t.name)) continue;
      out.push(modelFinding(UNUSED_INITIALIZERS.id,
        `initializer '${t.name}' (${formatBytes(t.byteLength)}) is read by no node: ONNX Runtime drops it at load, but the file still carries it.`,
        { kind: 'tensor', name: t.name }));
    }
  }
  return out;
}

export const UNUSED_INITIALIZERS: ModelRule = {
  id: 'ONNX005',
  name: 'unused-initializers',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Initializers (weights, constants) that no node reads.',
    whatItDoes: 'Flags every initializer that no node in the model, subgraphs included, takes as input and that is not a graph output.',
    whyItCosts:
      'Unused weights are downloaded, stored, read and parsed at every session start for nothing; ONNX Runtime even ' +
      'logs "Removing initializer … It is not used by any node" each time. They are usually left by graph surgery or ' +
      'an export that dropped a branch.',
    example: '<float[30522,768] old_head.weight>   # 89 MiB, read by nothing',
    useInstead: 'Drop them: onnx-simplifier, or `graph.initializer.remove(t)` for each unused name, then onnx.checker.',
    fix: '`inference-lens optimize model.onnx --only ONNX005` (or the quick fix) writes a copy without the unused initializers (one listed as a graph input stays: it is part of the signature). "Optimize model" includes it.',
  },
  check,
};
