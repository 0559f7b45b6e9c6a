/** Per-node cost as plain JSON (the CLI's `--detail`, hovers): no NodeInfo internals. */
import type { NodeCost } from './cost';

/** A NodeCost without the NodeInfo (its name instead); intensity rounded to 3 decimals. */
export type NodeDetail = Omit<NodeCost, 'node'> & { name: string };

export function nodeDetail(c: NodeCost): NodeDetail {
  return {
    name: c.node.name, opType: c.opType, graph: c.graph, index: c.index, macs: c.macs, flops: c.flops, params: c.params,
    weightBytes: c.weightBytes, inputBytes: c.inputBytes, outputBytes: c.outputBytes,
    intensity: Math.round(c.intensity * 1000) / 1000, outputShapes: c.outputShapes, counted: c.counted,
  };
}
