/** The cold index in worker threads: the same summaries as one thread, and a clean fallback. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { indexInWorkers, indexWorkerPath } from '../../server/src/lsp/indexWorkers';
import { FileSummary, summarizeFromDisk, WorkspaceIndexer } from '../../server/src/lsp/workspaceIndex';
import { initParsers } from '../../server/src/code/treeSitter';

describe('workspace index in worker threads', () => {
  let dir: string;
  let files: string[];
  before(async () => {
    await initParsers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-index-workers-'));
    const sources: [string, string][] = [
      ['app.py', 'from fastapi import FastAPI\nfrom helpers import embed\n\napp = FastAPI()\n\n@app.post("/e")\ndef route(x: list):\n    return embed(x)\n'],
      ['helpers.py', 'from transformers import AutoModel\n\ndef embed(x):\n    m = AutoModel.from_pretrained("x")\n    return m(x)\n'],
      ['broken.py', 'def (:\n  )))\n'],
      ['server.js', "const ort = require('onnxruntime-node');\nexports.run = async (req, res) => res.json(await (await ort.InferenceSession.create('m.onnx')).run({}));\n"],
    ];
    files = sources.map(([name, text]) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; });
    files.push(path.join(dir, 'gone.py'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives every file the summary one thread gives', async function () {
    this.timeout(60_000);
    const script = indexWorkerPath();
    assert.ok(script, 'the index worker is built beside indexWorkers');
    const got = new Map<string, FileSummary>();
    const left = await indexInWorkers(files, (f, r) => got.set(f, r), () => false, script, true);
    assert.deepStrictEqual(left, []);
    assert.deepStrictEqual([...got.keys()].sort(), [...files].sort());
    for (const f of files) assert.deepStrictEqual(got.get(f), summarizeFromDisk(f), f);
    assert.strictEqual(got.get(path.join(dir, 'gone.py'))!.kind, 'drop');
  });

  it('hands every file back when no worker can start, and an indexer then does them itself', async function () {
    this.timeout(60_000);
    const left = await indexInWorkers(files, () => assert.fail('no worker ran'), () => false, path.join(dir, 'no-such-worker.js'), true);
    assert.deepStrictEqual([...left].sort(), [...files].sort());
    const indexer = new WorkspaceIndexer(null);
    assert.strictEqual(await indexer.indexRoots([dir], () => undefined, () => false), 4);
    assert.strictEqual(indexer.index.size, 3);
  });
});
