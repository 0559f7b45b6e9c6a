/**
 * A long session against the built server over stdio, as an editor drives it for days (test/helpers/soak.ts):
 * a workspace of 200 Python files and 20 models; rounds of opening and closing files, edits to open documents
 * (10,000 by default), hovers, code actions and CodeLens on code and models, and benchmarks. The server's memory
 * (after a full GC: it runs with --expose-gc) is read at the start, the middle and the end; a session that
 * leaks grows round after round. Also the hover latency while all this goes on (p50/p99), against the same
 * hovers on an idle server measured first (the baseline).
 * Goal (issue #14): heap and RSS flat within 10 % from the middle to the end.
 * Usage: node scripts/run-ts.mjs bench/soak.ts [edits benchmarks rounds] (defaults 10000 20 20: the workspace twice)
 */
import { runSoak } from '../test/helpers/soak';

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
const pct = (a: number, b: number): string => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)} %`;
function quantiles(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)], p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] };
}

async function main(): Promise<void> {
  const r = await runSoak({ edits: Number(process.argv[2] ?? 10000), benchmarks: Number(process.argv[3] ?? 20), rounds: Number(process.argv[4] ?? 20) });
  const { start, middle, end } = r;
  const idleQ = quantiles(r.idleHoverMs), busyQ = quantiles(r.busyHoverMs);
  console.log(`${r.files} Python files, ${r.models} models; ${r.edits} edits, ${r.busyHoverMs.length} hovers + code actions + lenses under load, ${r.benchmarks} benchmarks, in ${r.seconds.toFixed(0)} s`);
  console.log(`${'server memory (after GC)'.padEnd(26)} ${'start'.padStart(9)} ${'middle'.padStart(9)} ${'end'.padStart(9)} ${'middle→end'.padStart(11)}`);
  console.log(`${'heap used'.padEnd(26)} ${mb(start.heapUsedBytes).padStart(9)} ${mb(middle.heapUsedBytes).padStart(9)} ${mb(end.heapUsedBytes).padStart(9)} ${pct(middle.heapUsedBytes, end.heapUsedBytes).padStart(11)}`);
  console.log(`${'RSS'.padEnd(26)} ${mb(start.rssBytes).padStart(9)} ${mb(middle.rssBytes).padStart(9)} ${mb(end.rssBytes).padStart(9)} ${pct(middle.rssBytes, end.rssBytes).padStart(11)}`);
  console.log(`hover on a model load: idle p50 ${idleQ.p50.toFixed(1)} ms p99 ${idleQ.p99.toFixed(1)} ms (baseline); during the session p50 ${busyQ.p50.toFixed(1)} ms p99 ${busyQ.p99.toFixed(1)} ms (${(busyQ.p99 / idleQ.p99).toFixed(2)}x)`);
  const flat = (a: number, b: number): boolean => Math.abs(b - a) / a <= 0.1;
  console.log(`goal: heap and RSS flat within 10 % from the middle to the end: heap ${flat(middle.heapUsedBytes, end.heapUsedBytes) ? 'MET' : 'NOT MET'}, RSS ${flat(middle.rssBytes, end.rssBytes) ? 'MET' : 'NOT MET'}; open documents at the end: ${end.openDocuments}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
