import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { rng } from '../../server/src/bench/inputs';
import { compareLatencies, mannWhitneyGreater, normalUpperTail } from '../../server/src/bench/regression';
import { appendHistory, HistoryEntry, historyPath, latestComparable, readHistory } from '../../server/src/bench/history';
import { formatTrend, trendRows } from '../../server/src/cli/trend';
import * as os from 'os';

/**
 * Latencies as a loaded machine gives them: log-normal around `medianMs` (cv ~ `spread`), and every
 * 40th run or so preempted (2-4× longer). Seeded: the same arguments give the same samples.
 */
function latencies(n: number, medianMs: number, seed: number, spread = 0.08): number[] {
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, () => medianMs * Math.exp(spread * gauss()) * (r() < 0.025 ? 2 + 2 * r() : 1));
}

describe('regression test of latencies (synthetic samples, no timing)', () => {
  it('normal tail and Mann-Whitney U agree with textbook values', () => {
    assert.ok(Math.abs(normalUpperTail(1.959964) - 0.025) < 1e-6);
    assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-9);
    assert.ok(Math.abs(normalUpperTail(-1.644854) - 0.95) < 1e-6);
    // U = 25 of 25 for complete separation of 5 vs 5: z = (25 − 12.5 − 0.5) / √(25·11/12) = 2.5067.
    assert.ok(Math.abs(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) - normalUpperTail(12 / Math.sqrt(275 / 12))) < 1e-12);
    assert.ok(mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) > 0.99);
    assert.strictEqual(mannWhitneyGreater([3, 3, 3], [3, 3, 3]), 1); // all tied: nothing is larger
  });

  it('flags a model made 30 % slower, and calls the original faster the other way round', () => {
    const base = latencies(200, 10, 1), slow = latencies(200, 13, 2);
    const c = compareLatencies(base, slow);
    assert.strictEqual(c.verdict, 'regression', c.reason);
    assert.ok(c.ratio > 1.25 && c.ratio < 1.35, `${c.ratio}`);
    assert.ok(c.ratioLow > 1.1 && c.ratioHigh < 1.5);
    assert.match(c.reason, /^regression: slower past the 10 % threshold, beyond noise/);
    assert.strictEqual(compareLatencies(slow, base).verdict, 'improvement');
  });

  it('passes an unchanged model in repeated runs, spikes and all', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = compareLatencies(latencies(100, 10, seed * 2), latencies(100, 10, seed * 2 + 1));
      assert.strictEqual(c.verdict, 'unchanged', `seed ${seed}: ${c.reason}`);
    }
  });

  it('needs both: an effect past the threshold and a difference beyond noise', () => {
    // 5 % slower with many runs: real, but within the threshold.
    const small = compareLatencies(latencies(2000, 10, 3, 0.02), latencies(2000, 10.5, 4, 0.02));
    assert.strictEqual(small.verdict, 'unchanged');
    assert.ok(small.pSlower < 1e-6, 'the difference itself is significant');
    assert.match(small.reason, /within the 10 % threshold/);
    // 20 % slower on a machine so noisy that 12 runs cannot tell.
    const noisy = compareLatencies(latencies(12, 10, 5, 0.6), latencies(12, 12, 6, 0.6));
    assert.notStrictEqual(noisy.verdict, 'regression', noisy.reason);
    // The threshold is the caller's: 3 % with --threshold 2 counts.
    assert.strictEqual(compareLatencies(latencies(2000, 10, 3, 0.02), latencies(2000, 10.3, 4, 0.02), { threshold: 0.02 }).verdict, 'regression');
  });

  it('gives no verdict on too few runs, and the same verdict and interval for the same samples', () => {
    assert.strictEqual(compareLatencies([1, 2, 3], [4, 5, 6]).verdict, 'inconclusive');
    const a = latencies(300, 10, 7), b = latencies(300, 11.5, 8);
    assert.deepStrictEqual(compareLatencies(a, b), compareLatencies(a, b));
  });
});

describe('benchmark history', () => {
  const entry = (over: Partial<HistoryEntry>, samplesMs: number[]): HistoryEntry => ({
    v: 1, measuredAt: '2026-12-01T10:00:00.000Z', model: 'models/m.onnx', sha256: 'a'.repeat(64), sizeBytes: 100, setup: '{"ep":"cpu"}',
    machine: 'linux-x64-cpu-2', ortVersion: '1.30.0', batch: 1, runs: samplesMs.length,
    latencyMs: { p50: samplesMs[Math.floor(samplesMs.length / 2)], p95: 0, p99: 0, mean: 0, cv: 0 }, inferencesPerSec: 100, peakRssBytes: 1, samplesMs, ...over,
  });

  it('appends one line per run, reads them back in order and skips a line cut short', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'il-history-'));
    appendHistory(root, entry({ measuredAt: '2026-12-01T10:00:00.000Z' }, [1, 2]));
    fs.appendFileSync(historyPath(root), '{"v": 1, "model": "models/m.on'); // a crash mid-write
    fs.appendFileSync(historyPath(root), '\n');
    appendHistory(root, entry({ measuredAt: '2026-12-02T10:00:00.000Z' }, [3, 4]));
    const { entries, skipped } = readHistory(root);
    assert.deepStrictEqual(entries.map((e) => e.measuredAt), ['2026-12-01T10:00:00.000Z', '2026-12-02T10:00:00.000Z']);
    assert.strictEqual(skipped, 1);
    assert.strictEqual(path.basename(path.dirname(historyPath(root))), '.inference-lens');
    assert.deepStrictEqual(readHistory(path.join(root, 'none')), { entries: [], skipped: 0 });
  });

  it('takes as baseline the latest run of the same model, options and machine', () => {
    const runs = [
      entry({ measuredAt: '1' }, [1]), entry({ measuredAt: '2', setup: '{"ep":"webgpu"}' }, [1]),
      entry({ measuredAt: '3', machine: 'other' }, [1]), entry({ measuredAt: '4', model: 'other.onnx' }, [1]),
    ];
    assert.strictEqual(latestComparable(runs, runs[0])?.measuredAt, '1');
    assert.strictEqual(latestComparable(runs, { ...runs[0], model: 'x.onnx' }), undefined);
  });

  it('trend: one row per run of the latest setup, each against the one before', () => {
    const base = latencies(100, 10, 11), same = latencies(100, 10, 12), slow = latencies(100, 14, 13);
    const runs = [
      entry({ measuredAt: '2026-12-01T10:00:00.000Z', git: { commit: '1'.repeat(40), branch: 'main', dirty: false }, per1k: 0.001 }, base),
      entry({ measuredAt: '2026-12-01T11:00:00.000Z', setup: '{"ep":"webgpu"}' }, base),
      entry({ measuredAt: '2026-12-02T10:00:00.000Z', git: { commit: '2'.repeat(40), branch: 'main', dirty: true } }, same),
      entry({ measuredAt: '2026-12-03T10:00:00.000Z', sha256: 'b'.repeat(64) }, slow),
    ];
    const rows = trendRows(runs, 'models/m.onnx');
    assert.deepStrictEqual(rows.map((r) => r.change), [undefined, 'unchanged', 'regression']);
    assert.deepStrictEqual(rows.map((r) => r.commit), ['1111111111', '2222222222+', undefined]);
    assert.strictEqual(trendRows(runs, 'models/m.onnx', true).length, 4);
    const text = formatTrend(rows);
    assert.match(text.split('\n')[0], /^measured\s+commit\s+model\s+p50 ms/);
    assert.match(text.split('\n')[3], /bbbbbbbb .* regression \(\+\d+\.\d %\)$/);
  });
});
