/**
 * onnxruntime's profiling trace (Chrome trace JSON written by `enableProfiling`) → where the time goes:
 * self time per node and per op type, averaged per inference, with each node mapped to the model's
 * node of the same name. Pure: the worker reads the file, this turns its text into figures.
 *
 * The trace holds `Session` events (`model_run` once per inference) and `Node` events named
 * `<node>_kernel_time` with `args.op_name` and `args.provider`. Control-flow nodes (If, Loop, Scan)
 * contain their subgraph's node events in time, so their self time is their duration minus the node
 * events nested inside them on the same thread.
 */
import type { NodeTime, OpTime, ProfileResult } from './types';

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  tid?: number;
  args?: Record<string, unknown>;
}

export interface KernelEvent {
  node: string;
  opType: string;
  provider: string;
  start: number;
  dur: number;
  tid: number;
  /** the shapes of the node's outputs in this run (ORT's `output_type_shape`) */
  outputShapes?: number[][];
}

/** `[{"float": [1, 512]}, ...]` → `[[1, 512], ...]`; undefined when the trace does not carry shapes. */
function traceShapes(v: unknown): number[][] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: number[][] = [];
  for (const t of v) {
    const dims = t && typeof t === 'object' ? Object.values(t as Record<string, unknown>)[0] : undefined;
    if (!Array.isArray(dims) || !dims.every((d) => typeof d === 'number')) return undefined;
    out.push(dims as number[]);
  }
  return out;
}

const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

/** ORT prefixes nodes it created by fusion with "fused "; the rest of the name is the model node's. */
export function modelNodeName(traceName: string): string {
  return traceName.startsWith('fused ') ? traceName.slice('fused '.length) : traceName;
}

export function parseTrace(text: string): { kernels: KernelEvent[]; runs: { start: number; dur: number }[] } {
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch (e) {
    throw new Error(`profile trace is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(events)) throw new Error('profile trace: expected a JSON array of events');
  const kernels: KernelEvent[] = [];
  const runs: { start: number; dur: number }[] = [];
  for (const raw of events as TraceEvent[]) {
    if (!raw || typeof raw.name !== 'string' || typeof raw.ts !== 'number' || typeof raw.dur !== 'number') continue;
    if (raw.cat === 'Session' && raw.name === 'model_run') runs.push({ start: raw.ts, dur: raw.dur });
    else if (raw.cat === 'Node' && raw.name.endsWith('_kernel_time')) {
      kernels.push({
        node: raw.name.slice(0, -'_kernel_time'.length),
        opType: String(raw.args?.op_name ?? '?'),
        provider: String(raw.args?.provider ?? '?').replace(/ExecutionProvider$/, ''),
        start: raw.ts, dur: raw.dur, tid: raw.tid ?? 0, outputShapes: traceShapes(raw.args?.output_type_shape),
      });
    }
  }
  runs.sort((a, b) => a.start - b.start);
  return { kernels, runs };
}

export interface SummariseOptions {
  /** leading model runs to ignore (warm-up inside the profiled session) */
  skipRuns?: number;
  /** names of the nodes in the model file (all graphs), to flag fused/new nodes */
  modelNodes?: ReadonlySet<string>;
  /** how many nodes to keep, hottest first (default all) */
  maxNodes?: number;
  /** keep only the runs (0-based, counted before skipRuns) this accepts: a generation's prefill calls vs its decode steps */
  select?: (run: number) => boolean;
}

/** Per-inference self time per node and per op type, hottest first. */
export function summariseTrace(text: string, opts: SummariseOptions = {}): ProfileResult {
  const { kernels, runs } = parseTrace(text);
  const skip = Math.min(opts.skipRuns ?? 0, Math.max(0, runs.length - 1));
  const select = opts.select;
  const kept = select ? runs.filter((_, i) => i >= skip && select(i)) : runs.slice(skip);
  const from = kept.length ? kept[0].start : -Infinity;
  // With a selection, a kernel counts when it starts inside one of the kept runs.
  const inKept = select ? kernels.filter((k) => kept.some((r) => k.start >= r.start && k.start <= r.start + r.dur)) : kernels.filter((k) => k.start >= from);
  const runCount = Math.max(1, kept.length);

  const self = selfTimes(inKept);
  const byNode = new Map<string, { opType: string; provider: string; us: number; outputShapes?: number[][] }>();
  for (let i = 0; i < inKept.length; i++) {
    const k = inKept[i];
    const e = byNode.get(k.node);
    if (e) e.us += self[i];
    else byNode.set(k.node, { opType: k.opType, provider: k.provider, us: self[i], outputShapes: k.outputShapes });
  }
  const totalUs = [...byNode.values()].reduce((a, e) => a + e.us, 0);
  const share = (us: number): number => (totalUs > 0 ? us / totalUs : 0);
  const nodes: NodeTime[] = [...byNode.entries()]
    .map(([name, e]) => ({
      name, opType: e.opType, provider: e.provider, ms: e.us / 1000 / runCount, share: share(e.us),
      inModel: opts.modelNodes ? opts.modelNodes.has(modelNodeName(name)) : false,
      ...(e.outputShapes ? { outputShapes: e.outputShapes } : {}),
    }))
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));

  const byOp = new Map<string, { count: number; us: number }>();
  for (const [, e] of byNode) {
    const o = byOp.get(e.opType) ?? { count: 0, us: 0 };
    o.count++;
    o.us += e.us;
    byOp.set(e.opType, o);
  }
  const topOps: OpTime[] = [...byOp.entries()]
    .map(([opType, o]) => ({ opType, count: o.count, totalMs: o.us / 1000 / runCount, share: share(o.us) }))
    .sort((a, b) => b.totalMs - a.totalMs || a.opType.localeCompare(b.opType));

  return {
    runs: kept.length,
    nodeTotalMs: totalUs / 1000 / runCount,
    modelRunMs: kept.length ? kept.reduce((a, r) => a + r.dur, 0) / 1000 / kept.length : 0,
    topOps,
    nodes: opts.maxNodes !== undefined ? nodes.slice(0, opts.maxNodes) : nodes,
  };
}

/** Self time of each kernel event: control-flow nodes lose the time of the node events nested in them. */
export function selfTimes(kernels: readonly KernelEvent[]): number[] {
  return kernels.map((k) => {
    if (!CONTROL_FLOW.has(k.opType)) return k.dur;
    const end = k.start + k.dur;
    let nested = 0;
    for (const o of kernels) {
      if (o === k || o.tid !== k.tid) continue;
      // Direct and deeper children both sit inside the window; count only the outermost ones.
      if (o.start >= k.start && o.start + o.dur <= end && !insideOtherControlFlow(o, k, kernels)) nested += o.dur;
    }
    return Math.max(0, k.dur - nested);
  });
}

function insideOtherControlFlow(o: KernelEvent, outer: KernelEvent, all: readonly KernelEvent[]): boolean {
  return all.some((c) => c !== outer && c !== o && CONTROL_FLOW.has(c.opType) && c.tid === o.tid &&
    c.start >= outer.start && c.start + c.dur <= outer.start + outer.dur &&
    o.start >= c.start && o.start + o.dur <= c.start + c.dur);
}

/** Hook for the model text view: fills `line` on each node the map knows (by model node name). */
export function attachLines(profile: ProfileResult, lineOf: (nodeName: string) => number | undefined): ProfileResult {
  return { ...profile, nodes: profile.nodes.map((n) => {
    const line = lineOf(modelNodeName(n.name));
    return line === undefined ? n : { ...n, line };
  }) };
}
