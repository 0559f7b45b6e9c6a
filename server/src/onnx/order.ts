/**
 * Execution order of a graph's nodes. ONNX requires nodes in topological order, but exporters and
 * graph surgery tools write files that are not, and ONNX Runtime sorts them itself and runs them:
 * every walk that needs producers before readers (shape inference, cost, peak memory) uses this
 * order instead of the file's. Pure; cached per graph object.
 *
 * A node depends on the producers of its inputs and of the outer-scope names its subgraphs read
 * (If/Loop/Scan bodies see the enclosing graph's values). The order is the file order wherever the
 * file is already sorted (a depth-first walk in file order that places producers first), so node
 * lines and indexes stay stable. A cycle cannot be ordered: its nodes are placed where the walk
 * meets them and listed in `cycle`.
 */
import { GraphInfo, ModelInfo, NodeInfo } from './model';

export interface GraphOrder {
  /** Indexes into `graph.nodes`, producers before readers. */
  order: number[];
  /** True when the file order already was a topological order. */
  fileOrder: boolean;
  /** Nodes that read (directly or through others) their own output. */
  cycle: NodeInfo[];
}

const cache = new WeakMap<GraphInfo, GraphOrder>();
const outerCache = new WeakMap<GraphInfo, Set<string>>();

/** Names a subgraph reads from its enclosing scope: read inside it, defined nowhere inside it. */
export function outerReads(g: GraphInfo): Set<string> {
  const hit = outerCache.get(g);
  if (hit) return hit;
  const defined = new Set<string>();
  const read = new Set<string>();
  const walk = (sg: GraphInfo): void => {
    for (const i of sg.inputs) defined.add(i.name);
    for (const t of sg.initializers) defined.add(t.name);
    for (const n of sg.nodes) {
      for (const o of n.outputs) if (o) defined.add(o);
      for (const i of n.inputs) if (i) read.add(i);
      for (const sub of subgraphs(n)) walk(sub);
    }
  };
  walk(g);
  for (const d of defined) read.delete(d);
  outerCache.set(g, read);
  return read;
}

export function subgraphs(n: NodeInfo): GraphInfo[] {
  const out: GraphInfo[] = [];
  for (const a of n.attributes.values()) {
    if (a.kind === 'graph') out.push(a.value);
    else if (a.kind === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Everything a node needs before it runs: its inputs and its subgraphs' outer reads. */
export function nodeReads(n: NodeInfo): string[] {
  const reads = n.inputs.filter(Boolean);
  for (const g of subgraphs(n)) reads.push(...outerReads(g));
  return reads;
}

export function graphOrder(g: GraphInfo): GraphOrder {
  const hit = cache.get(g);
  if (hit) return hit;
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => { for (const o of n.outputs) if (o) producer.set(o, i); });
  const deps = g.nodes.map((n, i) => [...new Set(nodeReads(n).map((r) => producer.get(r)).filter((p): p is number => p !== undefined && p !== i))]);
  const state = new Uint8Array(g.nodes.length); // 0 unseen, 1 on the walk's stack, 2 placed
  const order: number[] = [];
  const onCycle = new Set<number>();
  for (let root = 0; root < g.nodes.length; root++) {
    if (state[root]) continue;
    // Iterative depth-first walk (graphs of 100k nodes would overflow a recursive one).
    const stack: Array<[number, number]> = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [i, next] = top;
      if (next < deps[i].length) {
        top[1]++;
        const d = deps[i][next];
        if (state[d] === 0) { state[d] = 1; stack.push([d, 0]); } else if (state[d] === 1) { onCycle.add(d); onCycle.add(i); }
        continue;
      }
      stack.pop();
      state[i] = 2;
      order.push(i);
    }
  }
  const result: GraphOrder = {
    order, fileOrder: order.every((v, k) => v === k), cycle: [...onCycle].sort((a, b) => a - b).map((i) => g.nodes[i]),
  };
  cache.set(g, result);
  return result;
}

/** The graph's nodes in execution order. */
export function orderedNodes(g: GraphInfo): NodeInfo[] {
  const { order, fileOrder } = graphOrder(g);
  return fileOrder ? g.nodes : order.map((i) => g.nodes[i]);
}

export interface OrderProblem {
  graph: GraphInfo;
  node: NodeInfo;
  kind: 'cycle' | 'missing';
  /** For 'missing': the value no node, input or initializer provides. */
  name?: string;
}

/**
 * What stops the model's graphs from running in any order: values read but produced nowhere in
 * scope, and cycles. Subgraphs see the names of every enclosing graph.
 */
export function orderProblems(model: ModelInfo): OrderProblem[] {
  const out: OrderProblem[] = [];
  const visit = (g: GraphInfo, outer: ReadonlySet<string>): void => {
    const scope = new Set(outer);
    for (const i of g.inputs) scope.add(i.name);
    for (const t of g.initializers) scope.add(t.name);
    for (const n of g.nodes) for (const o of n.outputs) if (o) scope.add(o);
    for (const n of g.nodes) {
      const missing = n.inputs.find((i) => i && !scope.has(i));
      if (missing) out.push({ graph: g, node: n, kind: 'missing', name: missing });
      for (const sg of subgraphs(n)) visit(sg, scope);
    }
    for (const node of graphOrder(g).cycle) out.push({ graph: g, node, kind: 'cycle' });
  };
  visit(model.graph, new Set());
  return out;
}
