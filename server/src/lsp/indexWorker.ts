/**
 * A worker thread of the cold workspace index (indexWorkers.ts): for each file path it is sent, reads,
 * parses and summarises the file and sends the summary back. Bundled to dist/index-worker.js; also runs
 * from out/.
 */
import { parentPort } from 'worker_threads';
import { initParsers } from '../code/treeSitter';
import { summarizeFromDisk } from './workspaceIndex';

const port = parentPort;
if (port) {
  void initParsers().then(() => {
    port.on('message', (file: string) => port.postMessage({ file, read: summarizeFromDisk(file) }));
    port.postMessage({ ready: true });
  }, () => process.exit(1));
}
