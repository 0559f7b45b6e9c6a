import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { initParsers } from '../../server/src/code/treeSitter';
import { WorkspaceIndexer } from '../../server/src/lsp/workspaceIndex';
import { SummaryCache } from '../../server/src/lsp/summaryCache';
import * as os from 'os';

const APP = 'from fastapi import FastAPI\nfrom helpers import embed\n\napp = FastAPI()\n\n@app.post("/e")\ndef route(texts: list[str]):\n    return embed(texts)\n';
const HELPERS = 'from sentence_transformers import SentenceTransformer\n\ndef embed(texts):\n    return SentenceTransformer("all-MiniLM-L6-v2").encode(texts)\n';

describe('summaries kept between sessions', () => {
  before(async () => { await initParsers(); });

  function workspace(): { root: string; cacheDir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-index-cache-'));
    const root = path.join(dir, 'ws');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'app.py'), APP);
    fs.writeFileSync(path.join(root, 'helpers.py'), HELPERS);
    fs.writeFileSync(path.join(root, 'util.ts'), 'export const x = 1;\n');
    return { root, cacheDir: path.join(dir, 'cache') };
  }
  const indexer = (cacheDir: string, code = 'v1') => new WorkspaceIndexer(null, false, (roots) => SummaryCache.forRoots(roots, cacheDir, code));
  const run = async (ix: WorkspaceIndexer, root: string) => { await ix.indexRoots([root], () => undefined, () => false); return ix; };

  it('re-opening a workspace reads unchanged files from the cache, with the same facts as a parse', async () => {
    const { root, cacheDir } = workspace();
    const first = await run(indexer(cacheDir), root);
    assert.deepStrictEqual(first.lastRun, { parsed: 3, cached: 0 });
    const second = await run(indexer(cacheDir), root);
    assert.deepStrictEqual(second.lastRun, { parsed: 0, cached: 3 });
    const file = path.join(root, 'helpers.py');
    assert.deepStrictEqual(second.externalFor(file), first.externalFor(file));
    assert.ok(second.externalFor(file).entries.length > 0, 'the helper is on the request path of app.py');
  });

  it('parses again what changed, forgets what was deleted, and never reuses another analysis version\'s summaries', async () => {
    const { root, cacheDir } = workspace();
    await run(indexer(cacheDir), root);
    fs.writeFileSync(path.join(root, 'app.py'), APP.replace('embed(texts)', 'embed(texts)  # now reaches a helper only in comments'));
    fs.rmSync(path.join(root, 'util.ts'));
    const after = await run(indexer(cacheDir), root);
    assert.deepStrictEqual(after.lastRun, { parsed: 1, cached: 1 });
    const cache = SummaryCache.forRoots([root], cacheDir, 'v1');
    assert.strictEqual(cache.load(), 2, 'the deleted file left the cache');
    assert.deepStrictEqual((await run(indexer(cacheDir, 'v2'), root)).lastRun, { parsed: 2, cached: 0 });
  });

  it('a damaged or unwritable cache is no cache: indexing goes on cold', async () => {
    const { root, cacheDir } = workspace();
    const cache = SummaryCache.forRoots([root], cacheDir, 'v1');
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(cache.file, '{"code": "v1", "files": {"/x.py": {"size": 1');
    assert.deepStrictEqual((await run(indexer(cacheDir), root)).lastRun, { parsed: 3, cached: 0 });
    const blocked = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'il-index-cache-')), 'file-not-folder');
    fs.writeFileSync(blocked, '');
    const ix = await run(new WorkspaceIndexer(null, false, (roots) => SummaryCache.forRoots(roots, path.join(blocked, 'cache'), 'v1')), root);
    assert.deepStrictEqual(ix.lastRun, { parsed: 3, cached: 0 });
  });
});
