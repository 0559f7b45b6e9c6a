/** `inference-lens trend`: a model's benchmark history across commits, from .inference-lens/history.jsonl. */
import * as fs from 'fs';
import * as path from 'path';
import { HistoryEntry, historyPath, historyRoot, readHistory } from '../bench/history';
import { compareLatencies } from '../bench/regression';
import { table } from '../bench/report';
import { findWorkspaceConfigDir } from '../config';
import { formatFlag, parseArgs, UsageError } from './args';

export const TREND_USAGE = `  trend <model.onnx> [--all-setups] [--format text|json]
      the model's benchmark history (every bench run appends to .inference-lens/history.jsonl): p50, p95,
      throughput and $/1k per run with its commit, and each run against the one before it (beyond noise or not)`;

export interface TrendRow {
  measuredAt: string;
  commit?: string;
  sha256: string;
  p50: number;
  p95: number;
  inferencesPerSec: number;
  per1k?: number;
  /** against the previous row: regression, improvement, unchanged or inconclusive */
  change?: string;
  ratio?: number;
}

/** One row per run of the latest setup (or of every setup), oldest first, each compared with the one before. */
export function trendRows(entries: readonly HistoryEntry[], model: string, allSetups = false): TrendRow[] {
  const mine = entries.filter((e) => e.model === model);
  const last = mine[mine.length - 1];
  const runs = allSetups || !last ? mine : mine.filter((e) => e.setup === last.setup && e.machine === last.machine);
  return runs.map((e, i) => {
    const prev = runs[i - 1];
    const c = prev && prev.setup === e.setup && prev.machine === e.machine ? compareLatencies(prev.samplesMs, e.samplesMs) : undefined;
    return {
      measuredAt: e.measuredAt, commit: e.git ? `${e.git.commit.slice(0, 10)}${e.git.dirty ? '+' : ''}` : undefined, sha256: e.sha256,
      p50: e.latencyMs.p50, p95: e.latencyMs.p95, inferencesPerSec: e.inferencesPerSec, per1k: e.per1k,
      ...(c ? { change: c.verdict, ratio: c.ratio } : {}),
    };
  });
}

export function formatTrend(rows: readonly TrendRow[]): string {
  const head = ['measured', 'commit', 'model', 'p50 ms', 'p95 ms', 'inf/s', '$/1k', 'vs previous'];
  const body = rows.map((r) => [
    r.measuredAt.replace('T', ' ').slice(0, 19), r.commit ?? '-', r.sha256.slice(0, 8), r.p50.toFixed(3), r.p95.toFixed(3),
    r.inferencesPerSec.toFixed(1), r.per1k !== undefined ? `$${r.per1k.toPrecision(3)}` : '-',
    r.change ? `${r.change} (${r.ratio! >= 1 ? '+' : ''}${((r.ratio! - 1) * 100).toFixed(1)} %)` : '',
  ]);
  return table([head, ...body]).join('\n');
}

export async function runTrend(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { positional, flags } = parseArgs(argv, { format: true, 'all-setups': false });
  const format = formatFlag(flags, ['text', 'json']);
  if (positional.length !== 1) throw new UsageError('trend expects exactly one model file');
  const model = path.resolve(positional[0]);
  const root = historyRoot(model, findWorkspaceConfigDir(model));
  if (!fs.existsSync(historyPath(root))) {
    err(`inference-lens trend: no history in ${root} yet: each \`inference-lens bench\` run appends to ${path.relative(process.cwd(), historyPath(root)) || historyPath(root)}`);
    return 1;
  }
  const { entries, skipped } = readHistory(root);
  if (skipped) err(`inference-lens trend: skipped ${skipped} unreadable line(s) of ${historyPath(root)}`);
  const rows = trendRows(entries, path.relative(root, model).split(path.sep).join('/'), flags.has('all-setups'));
  if (!rows.length) {
    err(`inference-lens trend: no run of ${positional[0]} in ${historyPath(root)}`);
    return 1;
  }
  out(format === 'json' ? JSON.stringify(rows, null, 2) : formatTrend(rows));
  return 0;
}
