import * as assert from 'assert';
import { mergeConfig, parseConfig } from '../../server/src/config';
import { benchOptionsFrom } from '../../server/src/bench/settings';
import { DEFAULT_BENCH_OPTIONS } from '../../server/src/bench/types';

describe('bench settings', () => {
  it('validates bench settings in inference-lens.json and reports bad ones', () => {
    const problems: string[] = [];
    const c = parseConfig({ bench: { ep: 'cuda', minRuns: 50, maxTimeS: 10, threads: 2, memoryLimitMB: 512, graphOptimizationLevel: 'basic', ep2: 1, minTimeS: -1, batch: 1.5 } }, 'f.json', problems);
    assert.deepStrictEqual(c.bench, { ep: 'cuda', minRuns: 50, maxTimeS: 10, threads: 2, memoryLimitMB: 512, graphOptimizationLevel: 'basic' });
    assert.strictEqual(problems.length, 3, problems.join('\n'));
    assert.ok(problems.some((p) => /unknown setting bench\.ep2/.test(p)));
    assert.deepStrictEqual(parseConfig({ bench: 3 }, 'f', []).bench, {});
  });

  it('layers defaults ← settings ← dims ← command arguments; the file wins over editor settings', () => {
    const config = mergeConfig({ bench: { ep: 'webgpu', minRuns: 7 }, dims: { seq: 64 } }, { bench: { minRuns: 9, threads: 3 } });
    const o = benchOptionsFrom(config.bench, config.dims, { batch: 4, dims: { H: 32 }, session: { interOpNumThreads: 1 } });
    assert.strictEqual(o.ep, 'webgpu');
    assert.strictEqual(o.minRuns, 9);
    assert.strictEqual(o.batch, 4);
    assert.deepStrictEqual(o.dims, { seq: 64, H: 32 });
    assert.deepStrictEqual(o.session, { intraOpNumThreads: 3, interOpNumThreads: 1 });
    assert.strictEqual(o.maxTimeS, DEFAULT_BENCH_OPTIONS.maxTimeS);
    assert.strictEqual(benchOptionsFrom({ memoryLimitMB: 1 }).memoryLimitBytes, 2 ** 20);
  });
});
