/**
 * ORT's profiled node → the model's node. Graph optimisation renames what it fuses: a Conv fused with
 * its Relu and moved to the NCHWc layout is profiled as `…/Relu_output_0_nchwc` (the fused node is
 * named after the output it now produces, plus the transformer's suffix); fusions prefix "fused " or
 * append `/MatmulTransposeFusion/`-like segments.
 * We undo that: the exact name first, then the name without ORT's suffixes, as a node name or as an
 * output name (its producer); when that node's op differs from the profiled op (the Relu, for a
 * fused Conv), the nearest upstream node of the profiled op within a few steps. Pure.
 */
export interface GraphNodeRef { name: string; opType: string; inputs: readonly string[]; outputs: readonly string[] }

/** How far upstream a fused node's head may be (Conv + BatchNorm + Add + Relu is three steps). */
const MAX_UPSTREAM = 3;
/** Suffixes ORT's transformers append (NCHWc layout, memcpy/transpose tokens, numbered copies). */
const SUFFIX = /(_nchwc|_token_\d+|_\d+)$/;
/** Graph transformers that append their name as a path segment to the node they start from. */
const FUSION_TAIL = /\/[A-Za-z0-9]+Fusion(\/.*)?$/;

export function profiledNodeResolver<N extends GraphNodeRef>(nodes: readonly N[]): (name: string, opType?: string) => N | undefined {
  const byName = new Map<string, N>();
  const producer = new Map<string, N>();
  for (const n of nodes) {
    if (n.name && !byName.has(n.name)) byName.set(n.name, n);
    for (const o of n.outputs) if (o && !producer.has(o)) producer.set(o, n);
  }
  const upstream = (from: N, opType: string): N | undefined => {
    let frontier = [from];
    const seen = new Set<N>(frontier);
    for (let depth = 0; depth < MAX_UPSTREAM && frontier.length; depth++) {
      const next: N[] = [];
      for (const n of frontier) {
        for (const i of n.inputs) {
          const p = producer.get(i);
          if (!p || seen.has(p)) continue;
          if (p.opType === opType) return p;
          seen.add(p);
          next.push(p);
        }
      }
      frontier = next;
    }
    return undefined;
  };
  return (traceName, opType) => {
    // "fused X" and "X/MatmulTransposeFusion//MatMulScaleFusion/": the fusion started from node X.
    let name = (traceName.startsWith('fused ') ? traceName.slice('fused '.length) : traceName).replace(FUSION_TAIL, '') || traceName;
    const exact = byName.get(name);
    if (exact) return exact;
    for (let k = 0; k < 3; k++) {
      const found = byName.get(name) ?? producer.get(name);
      if (found) return !opType || found.opType === opType ? found : upstream(found, opType) ?? found;
      const stripped = name.replace(SUFFIX, '');
      if (stripped === name || !stripped) break;
      name = stripped;
    }
    return undefined;
  };
}
