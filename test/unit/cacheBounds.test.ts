/**
 * Every cache has a bound and evicts (issue #14): model reports, model hashes, benchmark results on
 * disk, workspace summaries on disk. Per-document state (trees, analyses, findings) is bounded by the
 * open documents: the soak test (test/lsp/soak.test.ts) checks it is all dropped once every document is closed.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { BenchCache } from '../../server/src/bench/cache';
import { knownModelHash, MAX_REMEMBERED_HASHES, modelHash } from '../../server/src/bench/latest';
import type { BenchResult } from '../../server/src/bench/types';
import { defaultConfig } from '../../server/src/config';
import { Lru } from '../../server/src/lru';
import type { FileSummary } from '../../server/src/lsp/workspaceIndex';
import { MAX_CACHED_WORKSPACES, SummaryCache } from '../../server/src/lsp/summaryCache';
import { ModelCache } from '../../server/src/modelRefs';
import { tempDir } from '../helpers/benchModels';
import { testModel } from '../helpers/testModels';

describe('cache bounds', () => {
  let dir: string;
  beforeEach(() => { dir = tempDir('il-bounds-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Lru keeps the most recently used entries, reads included', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1); l.set('b', 2);
    assert.strictEqual(l.get('a'), 1); // a is now more recent than b
    l.set('c', 3);
    assert.deepStrictEqual([l.get('a'), l.get('b'), l.get('c'), l.size], [1, undefined, 3, 2]);
    assert.throws(() => new Lru(0), /capacity of at least 1/);
  });

  it('model reports: at most the capacity, the least recently used evicted', () => {
    const files = ['a', 'b', 'c'].map((n) => {
      const f = path.join(dir, `${n}.onnx`);
      fs.copyFileSync(testModel('mlp_mnist_like.onnx'), f);
      return f;
    });
    const config = defaultConfig();
    const cache = new ModelCache(undefined, 2);
    const a = cache.get(files[0], config);
    cache.get(files[1], config);
    assert.strictEqual(cache.get(files[0], config), a, 'a hit while in the cache');
    cache.get(files[2], config); // evicts b, the least recently used
    assert.strictEqual(cache.size, 2);
    assert.strictEqual(cache.get(files[0], config), a);
    const b = cache.get(files[1], config);
    assert.ok(b.summary, 'b is read again');
    assert.strictEqual(cache.size, 2);
  });

  it(`model hashes: at most ${MAX_REMEMBERED_HASHES} remembered; an unknown one is computed in the background, never inline`, async () => {
    const files = Array.from({ length: MAX_REMEMBERED_HASHES + 1 }, (_, i) => {
      const f = path.join(dir, `m${i}.onnx`);
      fs.writeFileSync(f, `model ${i}`);
      return f;
    });
    assert.strictEqual(knownModelHash(files[0]), undefined, 'not known yet: no synchronous read');
    for (const f of files) await modelHash(f);
    assert.strictEqual(knownModelHash(files[0]), undefined, 'the oldest was evicted');
    assert.match(knownModelHash(files.at(-1)!) ?? '', /^[0-9a-f]{64}$/);
  });

  it('benchmark results on disk: pruned to three quarters of the bound, the newest kept', () => {
    const cache = new BenchCache(path.join(dir, 'bench'), 8);
    const result = (i: number): BenchResult => ({
      model: { path: `/m${i}.onnx`, sha256: i.toString(16).padStart(64, '0'), sizeBytes: 1 }, options: { batch: 1 }, ortVersion: '1.30.0',
      measuredAt: new Date(Date.now() + i).toISOString(), latencyMs: { p50: i }, throughput: { inferencesPerSec: 1 },
    }) as unknown as BenchResult;
    for (let i = 0; i < 12; i++) {
      cache.put(result(i));
      assert.ok(fs.readdirSync(cache.dir).length <= 8, `after put ${i}: ${fs.readdirSync(cache.dir).length} files`);
    }
    assert.strictEqual(cache.latest(result(11).model.sha256)?.latencyMs.p50, 11);
  });

  it(`workspace summaries on disk: at most ${MAX_CACHED_WORKSPACES} workspaces, the one in use kept`, () => {
    const cacheDir = path.join(dir, 'index');
    let last: SummaryCache | undefined;
    for (let i = 0; i < MAX_CACHED_WORKSPACES + 5; i++) {
      last = SummaryCache.forRoots([`/ws${i}`], cacheDir, 'v1');
      last.put(`/ws${i}/app.py`, { size: 1, mtimeMs: 1 }, { kind: 'python' } as FileSummary);
      assert.ok(last.save());
    }
    const names = fs.readdirSync(cacheDir);
    assert.ok(names.length <= MAX_CACHED_WORKSPACES, `${names.length} caches`);
    assert.ok(names.includes(path.basename(last!.file)));
  });
});
