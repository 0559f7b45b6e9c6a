/**
 * A worker child whose parent dies (the server killed or crashed mid-job) must not run on: a model that
 * hangs would keep a core busy forever, with nobody left to stop it, and the private TMPDIR the runner
 * made for it (`inference-lens-child-*`) would stay. Two watchers, because the main thread may be stuck
 * inside a native run where no event reaches it: the closed IPC channel ('disconnect') when the event
 * loop is free, and a thread that polls the parent's pid. Either removes the TMPDIR and ends the process.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';

const PRIVATE_TMP = 'inference-lens-child-';

const WATCH = `
const { workerData } = require('worker_threads');
const fs = require('fs'), path = require('path');
setInterval(() => {
  if (process.ppid === workerData.parent) return;
  const tmp = workerData.tmp;
  try { if (tmp && path.basename(tmp).startsWith(${JSON.stringify(PRIVATE_TMP)})) fs.rmSync(tmp, { recursive: true, force: true }); } catch {}
  process.kill(process.pid, 'SIGKILL');
}, workerData.everyMs);
`;

/** Starts both watchers; returns what to call before this child disconnects on its own (a normal end). */
export function exitWithParent(everyMs = 500): () => void {
  const tmp = process.env.TMPDIR;
  new Worker(WATCH, { eval: true, workerData: { parent: process.ppid, tmp, everyMs } }).unref();
  const orphaned = (): void => {
    try { if (tmp && path.basename(tmp).startsWith(PRIVATE_TMP)) fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* going anyway */ }
    process.exit(1);
  };
  process.once('disconnect', orphaned);
  return () => process.removeListener('disconnect', orphaned);
}
