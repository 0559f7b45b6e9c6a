/**
 * What "Optimize model" did and whether to use it: the passes, node count, size, and the A/B
 * (outputs, session creation, p50) judged for a rewrite that must not change results. Pure.
 */
import * as path from 'path';
import type { AbReport } from '../quantize/ab';
import type { OptimizeSummary } from './optimize';

/** A graph rewrite must compute the same function: float reassociation in fused kernels stays far above this. */
export const OPTIMIZE_MIN_COSINE = 0.9999;
/** p50 ratios within this band are noise on a shared machine, not a slowdown. */
const SAME_SPEED = 0.95;

export type OptimizeVerdict =
  | 'nothing to fix: keep the original'
  | 'use the optimized model'
  | 'outputs agree (speed not measured)'
  | 'outputs agree but it ran slower here: keep the original'
  | 'outputs differ: keep the original';

/** `summary`: when no pass changed anything the copy is the original graph, whatever the timing noise says. */
export function optimizeVerdict(ab: AbReport, summary?: OptimizeSummary): OptimizeVerdict {
  if (ab.minCosine < OPTIMIZE_MIN_COSINE) return 'outputs differ: keep the original';
  if (summary && summary.passes.every((p) => p.changed === 0)) return 'nothing to fix: keep the original';
  if (ab.speedup === undefined) return 'outputs agree (speed not measured)';
  return ab.speedup >= SAME_SPEED ? 'use the optimized model' : 'outputs agree but it ran slower here: keep the original';
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MB`;

export function renderOptimize(s: OptimizeSummary, ab?: AbReport): string {
  const lines = [`${path.basename(s.input)} → ${path.basename(s.output)}${s.dataFile ? ` (+ ${path.basename(s.dataFile)})` : ''} in ${s.seconds.toFixed(2)} s`];
  for (const p of s.passes) {
    if (p.notes.length > 1) lines.push(`  ${p.rule} ${p.title}:`, ...p.notes.map((n) => `    • ${n}`));
    else lines.push(`  ${p.rule} ${p.title}: ${p.notes[0] ?? 'nothing to do'}`);
  }
  lines.push(`  nodes ${s.nodesBefore} → ${s.nodesAfter}, size ${mb(s.bytesBefore)} → ${mb(s.bytesAfter)}`);
  if (!ab) return lines.join('\n');
  const worst = ab.outputs.reduce((a, b) => (a.cosine < b.cosine ? a : b));
  const maxAbs = Math.max(...ab.outputs.map((o) => o.maxAbsError));
  lines.push(`A/B on ${ab.samples} ${ab.inputs} sample(s): ${optimizeVerdict(ab, s).toUpperCase()}`);
  lines.push(`  outputs: min cosine ${worst.cosine.toFixed(6)} ('${worst.name}', goal ≥ ${OPTIMIZE_MIN_COSINE}), max abs error ${maxAbs.toExponential(2)}`);
  if (ab.perfA && ab.perfB) {
    lines.push(`  session creation ${ab.perfA.loadMs.toFixed(1)} → ${ab.perfB.loadMs.toFixed(1)} ms, p50 ${ab.perfA.p50Ms.toFixed(3)} → ${ab.perfB.p50Ms.toFixed(3)} ms (${ab.speedup!.toFixed(2)}×; ONNX Runtime's default 'all' optimizations on both)`);
  }
  return lines.join('\n');
}
