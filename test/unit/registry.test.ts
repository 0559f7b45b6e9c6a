import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RULES } from '../../server/src/rules/registry';
import { renderRuleDoc, renderRuleIndex } from '../../server/src/rules/docs';
import { REPO } from '../helpers/paths';

describe('rule registry', () => {
  it('has unique, well-formed ids and complete docs', () => {
    const ids = RULES.map((r) => r.id);
    assert.strictEqual(new Set(ids).size, ids.length);
    for (const r of RULES) {
      assert.match(r.id, /^(ONNX|PY|JS)\d{3}$/);
      assert.match(r.name, /^[a-z0-9-]+$/);
      for (const [k, v] of Object.entries(r.docs)) assert.ok(v.trim().length > 10, `${r.id} docs.${k}`);
    }
  });

  it('docs/rules matches the docs beside each rule (run `npm run docs` after editing a rule)', () => {
    for (const r of RULES) {
      const page = path.join(REPO, 'docs', 'rules', `${r.id}.md`);
      assert.ok(fs.existsSync(page), `missing ${page}`);
      assert.strictEqual(fs.readFileSync(page, 'utf8'), renderRuleDoc(r), `${r.id}.md is stale`);
    }
    assert.strictEqual(fs.readFileSync(path.join(REPO, 'docs', 'rules', 'README.md'), 'utf8'), renderRuleIndex(RULES));
  });
});
