/**
 * The cold workspace index on every core: worker threads (index-worker.js) read, parse and summarise
 * files and send back plain-data summaries; the caller records them. A worker that cannot start or dies
 * hands its files back, and whatever is left is returned for the caller to do in its own thread.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { FileSummary } from './workspaceIndex';

/** Up to this many workers: past it, reading files and recording summaries in the server thread dominate. */
const MAX_WORKERS = 4;

/** The worker script: dist/index-worker.js beside the bundles, or indexWorker.js beside this file in out/. */
export function indexWorkerPath(): string | undefined {
  return [path.join(__dirname, 'index-worker.js'), path.join(__dirname, 'indexWorker.js')].find((p) => fs.existsSync(p));
}

export interface WorkerResult { file: string; read: FileSummary }

/**
 * Summarises `files` in worker threads, calling `onResult` for each in the server thread; resolves with
 * the files no worker did (too few cores, no worker script, a worker failed, or `cancelled()`: then nothing
 * more is started). `force`: start workers even on too few cores (tests, benchmarks).
 */
export async function indexInWorkers(files: readonly string[], onResult: (file: string, read: FileSummary) => void, cancelled: () => boolean,
  script = indexWorkerPath(), force = false): Promise<string[]> {
  // One core stays with the server thread. On two cores, two workers (each starting its own parser and
  // compiling the analysis afresh) measured slower than one thread: below two workers, none.
  const count = Math.min(MAX_WORKERS, (os.availableParallelism?.() ?? os.cpus().length) - 1, Math.ceil(files.length / 100));
  if (!script || (count < 2 && !force)) return [...files];
  const queue = [...files];
  const left: string[] = [];
  await Promise.all(Array.from({ length: Math.max(1, count) }, () => new Promise<void>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(script);
    } catch {
      resolve();
      return;
    }
    let current: string | undefined;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (current) left.push(current);
      current = undefined;
      void worker.terminate();
      resolve();
    };
    const next = (): void => {
      current = cancelled() ? undefined : queue.shift();
      if (current) worker.postMessage(current);
      else finish();
    };
    worker.on('message', (m: WorkerResult | { ready: true }) => {
      if ('ready' in m) { next(); return; }
      current = undefined;
      onResult(m.file, m.read);
      next();
    });
    worker.on('error', finish);
    worker.on('exit', finish);
  })));
  // Files a failed worker never reached go back to the caller, with the one it held.
  return cancelled() ? [] : [...left, ...queue];
}
