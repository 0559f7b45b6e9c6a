/**
 * The soak test at CI size (bench/soak.ts runs it at full size): the built server through a long session of
 * edits, opens and closes, hovers, code actions, CodeLens and benchmarks, visiting its workspace five times.
 * Caches fill on the first visit; from the middle of the session to its end the server must not keep growing,
 * and at the end every per-document cache is empty and the model reports are within their bound.
 */
import * as assert from 'assert';
import { MAX_CACHED_MODELS } from '../../server/src/modelRefs';
import { runSoak } from '../helpers/soak';

describe('a long session (soak)', function () {
  this.timeout(240000);

  it('keeps the server\'s heap flat once its caches are warm, and closes every document', async () => {
    const r = await runSoak({ edits: 1500, benchmarks: 2, rounds: 20, files: 60, models: 6 });
    assert.strictEqual(r.edits, 1500);
    assert.strictEqual(r.benchmarks, 2);
    assert.strictEqual(r.end.openDocuments, 0);
    // Every cache is bounded: per-document state is dropped on close, model reports stay under their bound.
    const { models, ...perDocument } = r.end.caches;
    assert.ok(models > 0 && models <= MAX_CACHED_MODELS, `models cached: ${models}`);
    assert.deepStrictEqual(Object.entries(perDocument).filter(([, n]) => n !== 0), [], 'per-document caches empty once all are closed');
    // After a full GC; a quarter of slack for what a GC leaves (a leak of one text per edit is 1,500 texts).
    assert.ok(r.end.heapUsedBytes <= r.middle.heapUsedBytes * 1.25,
      `heap grew from ${r.middle.heapUsedBytes} to ${r.end.heapUsedBytes} bytes in the second half of the session`);
  });
});
