/** Per-node cost as plain JSON (the CLI's `--detail`, hovers): no NodeInfo internals. */
import type { Dim } from './model';
import type { NodeCost } from './cost';

export interface NodeDetail {
  name: string;
  opType: string;
  graph: string;
  index: number;
  macs: number;
  flops: number;
  params: number;
  weightBytes: number;
  inputBytes: number;
  outputBytes: number;
  /** FLOPs per byte moved, rounded to 3 decimals. */
  intensity: number;
  outputShapes: Array<Dim[] | null>;
  /** False for a subgraph branch left out of the totals (the cheaper `If` branch). */
  counted: boolean;
}

export function nodeDetail(c: NodeCost): NodeDetail {
  return {
    name: c.node.name, opType: c.opType, graph: c.graph, index: c.index, macs: c.macs, flops: c.flops, params: c.params,
    weightBytes: c.weightBytes, inputBytes: c.inputBytes, outputBytes: c.outputBytes,
    intensity: Math.round(c.intensity * 1000) / 1000, outputShapes: c.outputShapes, counted: c.counted,
  };
}
