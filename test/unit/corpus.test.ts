import * as assert from 'assert';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { belowThreshold, formatMisses, labelsOf, MIN_PRECISION, MIN_RECALL, scoreCorpus } from '../helpers/corpus';

const CORPUS = path.join(FIXTURES, 'corpus');

describe('labelled corpus: precision and recall per rule', () => {
  it('reads labels, several ids per line', () => {
    assert.deepStrictEqual([...labelsOf('a\nx = f()  # expect: PY001, PY004\n  run() // expect: JS002\n')],
      ['PY001@1', 'PY004@1', 'JS002@2']);
  });

  it(`every rule with labels or findings reaches ${MIN_PRECISION} precision and ${MIN_RECALL} recall`, async () => {
    const { files, scores, misses, table } = await scoreCorpus(CORPUS);
    assert.ok(files > 0, `no corpus files under ${CORPUS}`);
    console.log(`\n    corpus: ${files} files\n${table.replace(/^/gm, '    ')}`);
    if (misses.length) console.log(formatMisses(misses).replace(/^/gm, '    '));
    assert.deepStrictEqual(belowThreshold(scores).map((s) => s.rule), [], `below threshold:\n${table}`);
  });
});
