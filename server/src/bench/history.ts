/**
 * Benchmark history: every `bench` appends one line to `.inference-lens/history.jsonl` in the workspace
 * (the folder of its inference-lens.json, else the model's git repository, else the model's folder), so
 * latency and cost can be followed across commits (`inference-lens trend`) and a run compared with the
 * last comparable one (`bench --baseline auto`). A line keeps what makes runs comparable (model path and
 * hash, the options that change the figures, machine, onnxruntime version, git commit) and the latencies
 * themselves (thinned), which the regression test needs. Appends only: a line is never rewritten.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { appendWhole } from '../diskWrite';
import { stableJson } from './cache';
import { machineKey } from './machine';
import { thinEvenly } from './stats';
import type { BenchOptions, BenchResult } from './types';

export const HISTORY_DIR = '.inference-lens';
export const HISTORY_FILE = 'history.jsonl';
/** Latencies kept per line: enough for the regression test, small enough for a file that only grows. */
export const HISTORY_SAMPLES = 400;

export interface GitInfo { commit: string; branch: string; dirty: boolean }

export interface HistoryEntry {
  v: 1;
  measuredAt: string;
  /** the model's path relative to the history's folder, with `/` */
  model: string;
  sha256: string;
  sizeBytes: number;
  /** the options that change the figures (stable JSON): runs compare only within one setup */
  setup: string;
  machine: string;
  ortVersion: string;
  git?: GitInfo;
  batch: number;
  runs: number;
  latencyMs: { p50: number; p95: number; p99: number; mean: number; cv: number };
  inferencesPerSec: number;
  peakRssBytes: number;
  /** $ per 1,000 inferences on the configured instance, when it could be priced */
  per1k?: number;
  instance?: string;
  /** measured latencies (ms), thinned to HISTORY_SAMPLES */
  samplesMs: number[];
}

/** The options that change what a run measures; sample counts, time limits and memory limits do not. */
export function setupKey(o: BenchOptions): string {
  return stableJson({ ep: o.ep, batch: o.batch, dims: o.dims, session: o.session, concurrency: o.concurrency, inputsFile: o.inputsFile, seed: o.seed, generate: o.generate });
}

/** The commit and branch of the repository holding `dir`, when it is one and git runs. */
export function gitInfo(dir: string): GitInfo | undefined {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const commit = git('rev-parse', 'HEAD');
  if (!commit) return undefined;
  return { commit, branch: git('rev-parse', '--abbrev-ref', 'HEAD') ?? '', dirty: !!git('status', '--porcelain', '--untracked-files=no') };
}

/** Where a model's history lives: its workspace (inference-lens.json) folder, else its repository, else its folder. */
export function historyRoot(model: string, configDir: string | undefined): string {
  if (configDir) return configDir;
  const r = spawnSync('git', ['-C', path.dirname(model), 'rev-parse', '--show-toplevel'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : path.dirname(model);
}

/** A result's measured latencies in run order, when it kept them (results cached by older versions did not). */
export function samplesOf(result: BenchResult): number[] | undefined {
  return result.trace?.samplesMs.length ? result.trace.samplesMs : undefined;
}

/** The history line of a result (pure). `samplesMs`: the run's measured latencies, in run order. */
export function historyEntry(result: BenchResult, samplesMs: readonly number[], root: string,
  extra: { git?: GitInfo; per1k?: number; instance?: string } = {}): HistoryEntry {
  const l = result.latencyMs;
  return {
    v: 1, measuredAt: result.measuredAt,
    model: path.relative(root, result.model.path).split(path.sep).join('/'),
    sha256: result.model.sha256, sizeBytes: result.model.sizeBytes,
    setup: setupKey(result.options), machine: machineKey(result.machine), ortVersion: result.ortVersion,
    ...(extra.git ? { git: extra.git } : {}),
    batch: result.batch, runs: result.runs,
    latencyMs: { p50: l.p50, p95: l.p95, p99: l.p99, mean: l.mean, cv: l.cv },
    inferencesPerSec: result.throughput.inferencesPerSec, peakRssBytes: result.peakRssBytes,
    ...(extra.per1k !== undefined ? { per1k: extra.per1k, instance: extra.instance } : {}),
    samplesMs: thinEvenly(samplesMs, HISTORY_SAMPLES).map((v) => Math.round(v * 1e4) / 1e4),
  };
}

export function historyPath(root: string): string {
  return path.join(root, HISTORY_DIR, HISTORY_FILE);
}

/**
 * Appends one line (one write with O_APPEND: concurrent runs do not interleave within a line); a line
 * cut short by a full disk is removed again, so the next run's line starts clean.
 */
export function appendHistory(root: string, entry: HistoryEntry): string {
  const file = historyPath(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  appendWhole(file, JSON.stringify(entry) + '\n');
  return file;
}

/** Every readable line of the history, oldest first; lines that do not parse are counted, not fatal. */
export function readHistory(root: string): { entries: HistoryEntry[]; skipped: number } {
  let text: string;
  try {
    text = fs.readFileSync(historyPath(root), 'utf8');
  } catch {
    return { entries: [], skipped: 0 };
  }
  const entries: HistoryEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as HistoryEntry;
      if (e && e.v === 1 && typeof e.model === 'string' && Array.isArray(e.samplesMs)) entries.push(e);
      else skipped++;
    } catch {
      skipped++; // a line cut short by a crash or a bad merge: the rest still counts
    }
  }
  return { entries, skipped };
}

/** The latest earlier run of the same model path, setup and machine: what `--baseline auto` compares with. */
export function latestComparable(entries: readonly HistoryEntry[], like: Pick<HistoryEntry, 'model' | 'setup' | 'machine'>): HistoryEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.model === like.model && e.setup === like.setup && e.machine === like.machine) return e;
  }
  return undefined;
}
