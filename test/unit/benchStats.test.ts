import * as assert from 'assert';
import { latencyStats, quantileSorted, statWarnings, throughput } from '../../server/src/bench/stats';
import { isaFromCpuinfo } from '../../server/src/bench/machine';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

describe('bench stats', () => {
  it('computes the figures of 1..10 by hand', () => {
    const s = latencyStats([10, 3, 7, 1, 5, 9, 2, 8, 4, 6]);
    assert.strictEqual(s.min, 1);
    assert.strictEqual(s.max, 10);
    close(s.mean, 5.5);
    // Σ(x−5.5)² = 82.5; sample variance 82.5/9; stdev = 3.0276503540974917
    close(s.stdev, Math.sqrt(82.5 / 9));
    close(s.cv, Math.sqrt(82.5 / 9) / 5.5);
    // position (n−1)q: p50 → 4.5 → 5.5; p90 → 8.1 → 9.1; p95 → 8.55 → 9.55; p99 → 8.91 → 9.91
    close(s.p50, 5.5);
    close(s.p90, 9.1);
    close(s.p95, 9.55);
    close(s.p99, 9.91);
    close(s.p999, 9.991);
  });

  it('handles one sample and equal samples', () => {
    const one = latencyStats([2.5]);
    assert.deepStrictEqual([one.min, one.max, one.p50, one.p999, one.stdev, one.cv], [2.5, 2.5, 2.5, 2.5, 0, 0]);
    const flat = latencyStats([4, 4, 4, 4]);
    assert.strictEqual(flat.cv, 0);
    assert.strictEqual(flat.p99, 4);
  });

  it('interpolates between order statistics and rejects no samples', () => {
    close(quantileSorted([1, 2], 0.5), 1.5);
    close(quantileSorted([0, 10, 20, 30, 40], 0.75), 30);
    close(quantileSorted([0, 10, 20, 30, 40], 0.6), 24);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
    assert.throws(() => latencyStats([]), /no samples/);
  });

  it('counts throughput over wall time, items at the batch', () => {
    assert.deepStrictEqual(throughput(50, 250, 4), { inferencesPerSec: 200, itemsPerSec: 800 });
    assert.deepStrictEqual(throughput(0, 0, 1), { inferencesPerSec: 0, itemsPerSec: 0 });
  });

  it('warns when the machine is noisy or runs are few, not otherwise', () => {
    assert.ok(statWarnings(latencyStats([1, 1, 1, 5, 1, 1, 1, 1, 1, 1, 1]), 11).some((w) => /noisy/.test(w)));
    assert.deepStrictEqual(statWarnings(latencyStats(Array.from({ length: 20 }, (_, i) => 10 + (i % 2) * 0.1)), 20), []);
    assert.ok(statWarnings(latencyStats([1, 1, 1]), 3).some((w) => /only 3/.test(w)));
  });

  it('reads ISA features from /proc/cpuinfo flags', () => {
    const isa = isaFromCpuinfo('processor\t: 0\nflags\t\t: fpu sse avx avx2 avx512f avx512_vnni\n', 'x64');
    assert.deepStrictEqual(isa, { avx2: true, avx512: true, vnni: true, amx: false, neon: false });
    assert.deepStrictEqual(isaFromCpuinfo('flags : sse avx', 'x64'), { avx2: false, avx512: false, vnni: false, amx: false, neon: false });
    assert.strictEqual(isaFromCpuinfo('Features\t: fp asimd', 'arm64').neon, true);
  });
});
