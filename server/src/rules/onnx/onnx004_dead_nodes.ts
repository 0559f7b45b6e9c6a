import type { GraphInfo, NodeInfo } from '../../onnx/model';
import { allGraphs } from '../../onnx/model';
import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding, opLabel, subgraphReads } from './graph';

/** Nodes of `g` from which no graph output can be reached (subgraph reads keep their inputs alive). */
export function deadNodes(g: GraphInfo): NodeInfo[] {
  const producer = new Map<string, NodeInfo>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const live = new Set<NodeInfo>();
  const stack = g.outputs.map((o) => o.name);
  while (stack.length) {
    const name = stack.pop()!;
    const n = producer.get(name);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
    for (const r of subgraphReads(n)) stack.push(r);
  }
  return g.nodes.filter((n) => !live.has(n));
}

function check(ctx: ModelContext): Finding[] {
  const out: Finding[] = [];
  for (const g of allGraphs(ctx.model.graph)) {
    const dead = deadNodes(g);
    if (!dead.length) continue;
    const deadSet = new Set(dead);
    for (const n of dead) {
      // Name the chain once, at the nodes nothing reads; their dead inputs are listed with them.
      const feedsDead = n.outputs.some((o) => g.nodes.some((m) => deadSet.has(m) && m.inputs.includes(o)));
      if (feedsDead) continue;
      const upstream = countUpstream(n, deadSet, g);
      out.push(modelFinding(DEAD_NODES.id,
        `${opLabel(n)} computes ${n.outputs.filter(Boolean).map((o) => `'${o}'`).join(', ')}, which no graph output depends on` +
        (upstream ? ` (nor do the ${upstream} node${upstream > 1 ? 's' : ''} that feed only it)` : '') + '.',
        { kind: 'node', node: n }));
    }
  }
  return out;
}

function countUpstream(n: NodeInfo, dead: Set<NodeInfo>, g: GraphInfo): number {
  const producer = new Map<string, NodeInfo>();
  for (const m of g.nodes) for (const o of m.outputs) if (o) producer.set(o, m);
  const seen = new Set<NodeInfo>();
  const stack = [...n.inputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || seen.has(p) || !dead.has(p)) continue;
    seen.add(p);
    stack.push(...p.inputs);
  }
  return seen.size;
}

export const DEAD_NODES: ModelRule = {
  id: 'ONNX004',
  name: 'dead-nodes',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Nodes whose results no graph output depends on.',
    whatItDoes:
      'Walks back from the graph outputs (through If/Loop/Scan bodies and the outer values they read) and flags the nodes ' +
      'it never reaches, at the end of each dead chain, with the count of dead nodes feeding it. Subgraphs are checked ' +
      'against their own outputs.',
    whyItCosts:
      'Dead nodes are left over from export (debug outputs, unused heads, shape logic). They keep their weights in the ' +
      'file and in memory, slow session creation, and confuse every tool that reads the graph; runtimes that execute ' +
      'every node also compute them.',
    example: 'aux = Softmax (logits)   # aux is not a graph output and nothing reads it',
    useInstead: 'Remove them: onnx.utils.extract_model(path, out, input_names, output_names) or onnxsim, or export without the unused head.',
    fix: '`inference-lens optimize model.onnx --only ONNX004` (or the quick fix on the finding) writes a copy without the dead nodes of the main graph, then runs the A/B against the original. "Optimize model" includes it.',
  },
  check,
};
