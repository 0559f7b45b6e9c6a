import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { findingsFor } from '../helpers/rules';
import { corpusFiles, labelsOf, Miss, RuleScore, scoreFile, scoreTable } from '../helpers/corpus';

/** Thresholds from issue #4: a rule that cries wolf gets turned off. */
const MIN_PRECISION = 0.9;
const MIN_RECALL = 0.85;
const CORPUS = path.join(FIXTURES, 'corpus');

describe('labelled corpus: precision and recall per rule', () => {
  it('reads labels, several ids per line', () => {
    assert.deepStrictEqual([...labelsOf('a\nx = f()  # expect: PY001, PY004\n  run() // expect: JS002\n')],
      ['PY001@1', 'PY004@1', 'JS002@2']);
  });

  it(`every rule with labels or findings reaches ${MIN_PRECISION} precision and ${MIN_RECALL} recall`, async () => {
    const scores = new Map<string, RuleScore>();
    const misses: Miss[] = [];
    const files = corpusFiles(CORPUS);
    assert.ok(files.length > 0, `no corpus files under ${CORPUS}`);
    for (const { file, lang } of files) {
      const text = fs.readFileSync(file, 'utf8');
      scoreFile(path.relative(CORPUS, file), text, await findingsFor(text, lang), scores, misses);
    }
    const table = scoreTable([...scores.values()]);
    console.log(`\n    corpus: ${files.length} files\n${table.replace(/^/gm, '    ')}`);
    if (misses.length) {
      console.log(misses.map((m) => `    ${m.kind} ${m.rule} ${m.file}:${m.line + 1}${m.message ? `  ${m.message}` : ''}`).join('\n'));
    }
    const failing = [...scores.values()].filter((s) => s.precision < MIN_PRECISION || s.recall < MIN_RECALL);
    assert.deepStrictEqual(failing.map((s) => s.rule), [], `below threshold:\n${table}`);
  });
});
