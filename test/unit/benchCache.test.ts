import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { BenchCache, cacheKey, formatAge, hashFile, stableJson } from '../../server/src/bench/cache';
import { BenchResult, withDefaults } from '../../server/src/bench/types';
import { latestNodeTimes, latestResult } from '../../server/src/bench/latest';
import { tempDir } from '../helpers/benchModels';
import { testModel } from '../helpers/testModels';

function result(sha: string, measuredAt: string, p50: number): BenchResult {
  return {
    tool: 'inference-lens', version: '0', kind: 'benchmark', model: { path: '/m.onnx', sha256: sha, sizeBytes: 1 }, ep: 'cpu',
    options: withDefaults({ minRuns: 10 }), ortVersion: '1.30.0',
    machine: { cpuModel: 'x', cores: 2, platform: 'linux', arch: 'x64', totalMemoryBytes: 1, isa: { avx2: true, avx512: false, vnni: false, amx: false, neon: false } },
    inputs: [], batch: 1, runs: 10, warmupRuns: 1, measureMs: 10,
    latencyMs: { min: 1, max: 1, mean: 1, stdev: 0, cv: 0, p50, p90: 1, p95: 1, p99: 1, p999: 1 },
    throughput: { inferencesPerSec: 1, itemsPerSec: 1 }, sessionCreateMs: 1, peakRssBytes: 1, rssGrowthBytes: 0, concurrency: 1,
    warnings: [], measuredAt,
  };
}

describe('bench cache', () => {
  it('streams the sha256 of a model', async () => {
    const file = testModel('mlp_mnist_like.onnx');
    assert.strictEqual(await hashFile(file), createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  });

  it('keys on options (any order), ORT version and machine, not on timeouts', () => {
    const o = withDefaults({ batch: 2, dims: { seq: 8, batch: 2 } });
    const same = withDefaults({ dims: { batch: 2, seq: 8 }, batch: 2, runTimeoutS: 5, memoryLimitBytes: 1 });
    assert.strictEqual(cacheKey('h', o, '1.30.0', 'm'), cacheKey('h', same, '1.30.0', 'm'));
    assert.notStrictEqual(cacheKey('h', o, '1.30.0', 'm'), cacheKey('h', withDefaults({ batch: 4 }), '1.30.0', 'm'));
    assert.notStrictEqual(cacheKey('h', o, '1.30.0', 'm'), cacheKey('h', o, '1.31.0', 'm'));
    assert.notStrictEqual(cacheKey('h', o, '1.30.0', 'm'), cacheKey('h', o, '1.30.0', 'other'));
    assert.notStrictEqual(cacheKey('h', o, '1.30.0', 'm'), cacheKey('g', o, '1.30.0', 'm'));
    assert.strictEqual(stableJson({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
  });

  it('stores atomically, reads back with its age, misses on other options and bad files', () => {
    const dir = tempDir();
    const cache = new BenchCache(path.join(dir, 'nested', 'cache'));
    const r = result('abc', new Date(Date.now() - 120_000).toISOString(), 3);
    assert.strictEqual(cache.get('abc', r.options, '1.30.0'), undefined);
    cache.put(r);
    const back = cache.get('abc', r.options, '1.30.0')!;
    assert.strictEqual(back.latencyMs.p50, 3);
    assert.ok(back.cachedAgeS! >= 119 && back.cachedAgeS! < 200);
    assert.strictEqual(cache.latest('abc')?.latencyMs.p50, 3);
    assert.strictEqual(cache.get('abc', withDefaults({ minRuns: 11 }), '1.30.0'), undefined);
    assert.deepStrictEqual(fs.readdirSync(cache.dir).filter((f) => f.endsWith('.tmp')), []);
    for (const f of fs.readdirSync(cache.dir)) fs.writeFileSync(path.join(cache.dir, f), '{"half": ');
    assert.strictEqual(cache.latest('abc'), undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stays bounded: past its size the least recently written results go, the newest stay', () => {
    const dir = fs.mkdtempSync(path.join(tempDir(), 'bounded-'));
    const cache = new BenchCache(dir, 8);
    const at = new Date().toISOString();
    for (let i = 0; i < 6; i++) {
      cache.put(result(`m${i}`, at, i));
      // Each put writes two files (by key and latest-<sha>); make the order of writing unambiguous.
      const old = new Date(Date.now() - (10 - i) * 60_000);
      for (const f of fs.readdirSync(dir)) if (f.includes(`m${i}`) || f === `${cacheKey(`m${i}`, result('', at, 0).options, '1.30.0')}.json`) fs.utimesSync(path.join(dir, f), old, old);
    }
    assert.ok(fs.readdirSync(dir).length <= 8, `${fs.readdirSync(dir).length} files`);
    assert.strictEqual(cache.latest('m5')?.latencyMs.p50, 5);
    assert.strictEqual(cache.latest('m0'), undefined, 'the oldest went first');
  });

  it('finds the latest figures of a model file by content, per node for hovers', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'm.onnx');
    fs.writeFileSync(model, 'model bytes');
    assert.strictEqual(await latestResult(model, path.join(dir, 'c')), undefined);
    const r = result(await hashFile(model), new Date().toISOString(), 2);
    r.profile = { runs: 3, nodeTotalMs: 1, modelRunMs: 1.2, topOps: [], nodes: [
      { name: 'fused mm', opType: 'FusedMatMul', provider: 'CPU', ms: 0.75, share: 0.75, inModel: true },
      { name: 'relu', opType: 'Relu', provider: 'CPU', ms: 0.25, share: 0.25, inModel: true },
    ] };
    new BenchCache(path.join(dir, 'c')).put(r);
    assert.strictEqual((await latestResult(model, path.join(dir, 'c')))?.latencyMs.p50, 2);
    const times = await latestNodeTimes(model, path.join(dir, 'c'));
    assert.deepStrictEqual(times?.get('mm'), { ms: 0.75, share: 0.75 });
    fs.writeFileSync(model, 'other bytes, same path');
    assert.strictEqual(await latestResult(model, path.join(dir, 'c')), undefined, 'a changed model has no figures');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says how old figures are', () => {
    assert.deepStrictEqual([formatAge(5), formatAge(180), formatAge(7200), formatAge(200000)], ['5 s ago', '3 min ago', '2 h ago', '2 d ago']);
  });
});
