import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FIXTURES } from '../helpers/paths';
import { randomChange, rng } from '../helpers/edits';
import { applyChanges, ContentChange, DocumentTrees } from '../../server/src/code/incremental';
import { initParsers, parse } from '../../server/src/code/treeSitter';
import { analyzeCode, analyzeTree } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';

describe('incremental parsing', () => {
  before(() => initParsers());

  it('applies LSP changes exactly as the document store does', () => {
    const next = rng(1);
    let text = fs.readFileSync(path.join(FIXTURES, 'python', 'PY001', 'fires.py'), 'utf8');
    let doc = TextDocument.create('file:///a.py', 'python', 1, text);
    for (let i = 0; i < 300; i++) {
      const changes = [randomChange(text, next), randomChange(text, next)];
      const mine = applyChanges(text, [changes[0]]);
      doc = TextDocument.update(doc, [changes[0] as { range: NonNullable<ContentChange['range']>; text: string }], i + 2);
      assert.strictEqual(mine, doc.getText(), `change ${i}`);
      text = mine!;
    }
  });

  it('gives the same tree and findings as a full parse after random edits', () => {
    const config = mergeConfig();
    const files = fs.readdirSync(path.join(FIXTURES, 'corpus', 'python')).slice(0, 6);
    for (const [n, file] of files.entries()) {
      const next = rng(100 + n);
      const trees = new DocumentTrees();
      const uri = `file:///${file}`;
      let text = fs.readFileSync(path.join(FIXTURES, 'corpus', 'python', file), 'utf8');
      trees.treeFor(uri, 'python', text);
      for (let i = 0; i < 40; i++) {
        // One to three changes per notification, as editors batch them.
        const batch: ContentChange[] = [];
        let after = text;
        for (let k = 0, count = 1 + Math.floor(next() * 3); k < count; k++) {
          const c = randomChange(after, next);
          batch.push(c);
          after = applyChanges(after, [c])!;
        }
        trees.change(uri, text, batch);
        text = after;
        if (next() < 0.6) continue; // several notifications before the (debounced) analysis
        const incremental = trees.treeFor(uri, 'python', text);
        const full = parse('python', text);
        try {
          assert.strictEqual(incremental.rootNode.toString(), full.rootNode.toString(), `${file} after edit ${i}`);
          assert.deepStrictEqual(analyzeTree(text, incremental, 'python', config), analyzeCode(text, 'python', config), `${file} after edit ${i}`);
        } finally {
          full.delete();
        }
      }
      trees.close(uri);
      assert.strictEqual(trees.size, 0);
    }
  });

  it('drops a tree whose text drifted and parses in full', () => {
    const trees = new DocumentTrees();
    const first = trees.treeFor('u', 'python', 'a = 1\n');
    trees.change('u', 'something else\n', [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'b' }]);
    assert.strictEqual(trees.size, 0);
    const again = trees.treeFor('u', 'python', 'b = 2\n');
    assert.notStrictEqual(again, first);
    assert.strictEqual(again.rootNode.text, 'b = 2\n');
    trees.change('u', 'b = 2\n', [{ text: 'whole new text\n' }]); // a full-text change cannot reuse the tree
    assert.strictEqual(trees.size, 0);
  });
});
