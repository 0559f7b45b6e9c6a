/**
 * A full disk and a read-only folder while writing a converted model (in the worker child), a
 * benchmark cache entry (in the server), a history line and a report (the CLI): each reports a clear error with what
 * to do, leaves no partial output and no temp file, and the next run works. Both faults are real
 * (a tmpfs filled up or mounted read-only) where this process may mount, and simulated at the write
 * call (server/src/diskWrite.ts) everywhere: see test/helpers/faultyDisk.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { BenchCache } from '../../server/src/bench/cache';
import { appendHistory, HistoryEntry, historyEntry, readHistory, samplesOf } from '../../server/src/bench/history';
import { runBenchmark, runConversion } from '../../server/src/bench/runner';
import { BenchError, BenchResult } from '../../server/src/bench/types';
import { describeFailure, STACK_LINE } from '../../server/src/errors';
import { matmulChain, tempDir } from '../helpers/benchModels';
import { runCli } from '../helpers/cli';
import { DiskFault, faultModes, faultyFolder, FaultyFolder } from '../helpers/faultyDisk';
import { testModel } from '../helpers/testModels';

const REASON: Record<DiskFault, { code: string; says: RegExp; hint: RegExp }> = {
  full: { code: 'ENOSPC', says: /the disk is full/, hint: /free some disk space/ },
  readonly: { code: 'EROFS', says: /the folder is read-only/, hint: /read-only: choose a writable output/ },
};

describe('a full disk or a read-only folder while writing', function () {
  this.timeout(60_000);
  let dir: string, tmp: string, input: string, result: BenchResult, resultJson: string;
  const savedTmp = process.env.TMPDIR;
  before(async () => {
    dir = tempDir('il-faults-');
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    input = path.join(dir, 'chain.onnx');
    fs.writeFileSync(input, matmulChain(8, 128));
    result = await runBenchmark(testModel('mlp_mnist_like.onnx'), { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 2 });
    resultJson = path.join(dir, 'result.json');
    fs.writeFileSync(resultJson, JSON.stringify(result));
    // The children's private TMPDIRs are made under this one: it must be empty after each case.
    process.env.TMPDIR = tmp;
  });
  after(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of faultModes()) {
    for (const fault of ['full', 'readonly'] as const) {
      describe(`${fault} (${mode})`, () => {
        const want = REASON[fault];
        let folder: FaultyFolder | undefined;
        afterEach(() => { folder?.release(); folder = undefined; });
        const nothingLeft = (f: FaultyFolder): void => {
          assert.deepStrictEqual(fs.readdirSync(f.dir).sort(), f.baseline, 'no partial output, no temp file');
          assert.deepStrictEqual(fs.readdirSync(tmp), [], 'the child\'s TMPDIR is gone');
        };

        it('a conversion in the worker says so, writes nothing, and the next one works', async () => {
          const f = (folder = faultyFolder(fault, mode, dir));
          const out = path.join(f.dir, 'chain.fp16.onnx');
          let error: unknown;
          await runConversion(input, { method: 'fp16', out }).catch((e: unknown) => { error = e; });
          assert.ok(error instanceof BenchError, `a BenchError, got ${String(error)}`);
          assert.strictEqual(error.origin, want.code);
          assert.match(error.message, new RegExp(`cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${want.says.source}; nothing was written`));
          const line = describeFailure('conversion', input, error);
          assert.match(line, want.hint);
          assert.doesNotMatch(line, STACK_LINE);
          nothingLeft(f);
          f.release();
          folder = undefined;
          const next = path.join(dir, `next-${fault}-${mode}.onnx`);
          const s = await runConversion(input, { method: 'fp16', out: next });
          assert.strictEqual(s.output, next);
          assert.ok(fs.statSync(next).size > 0);
        });

        it('the benchmark cache fails cleanly and a later put works', () => {
          const f = (folder = faultyFolder(fault, mode, dir));
          assert.throws(() => new BenchCache(f.dir).put(result), (e: NodeJS.ErrnoException) => e.code === want.code);
          nothingLeft(f);
          f.release();
          folder = undefined;
          const good = new BenchCache(path.join(dir, `cache-${fault}-${mode}`));
          good.put(result);
          assert.strictEqual(good.latest(result.model.sha256)?.latencyMs.p50, result.latencyMs.p50);
        });

        it('a history line that cannot be written leaves the history as it was', () => {
          const entry = (at: string): HistoryEntry => ({ ...historyEntry(result, samplesOf(result)!, dir), measuredAt: at });
          const first = entry('2026-12-01T00:00:00.000Z');
          const f = (folder = faultyFolder(fault, mode, dir, (d) => appendHistory(d, first)));
          // Longer than the room left in the file's last block (a full disk still takes a line that fits there).
          const long = { ...entry('2026-12-02T00:00:00.000Z'), samplesMs: new Array<number>(2000).fill(1.2345) };
          assert.throws(() => appendHistory(f.dir, long), (e: NodeJS.ErrnoException) => e.code === want.code);
          assert.deepStrictEqual(readHistory(f.dir), { entries: [first], skipped: 0 }, 'no half line left for the next run to run into');
          nothingLeft(f);
        });

        it('`report --out` in the CLI prints one line with what to do, writes nothing', () => {
          const f = (folder = faultyFolder(fault, mode, dir));
          const r = runCli('report', resultJson, '--out', path.join(f.dir, 'report.html'));
          assert.strictEqual(r.code, 1, r.stderr);
          assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
          assert.match(r.stderr, want.says);
          assert.match(r.stderr, want.hint);
          assert.doesNotMatch(r.stderr, STACK_LINE);
          nothingLeft(f);
        });
      });
    }
  }
});
