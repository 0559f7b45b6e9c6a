/**
 * Precision/recall over the second blind corpus (test/fixtures/corpus-blind2/): files written and
 * labelled from docs/rules/*.md alone and committed before the tool was run on them (see its
 * README.md). Same scoring and thresholds as the other corpora.
 */
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { assertBlindCorpus, MIN_PRECISION, MIN_RECALL } from '../helpers/corpus';

const CORPUS = path.join(FIXTURES, 'corpus-blind2');

/**
 * Rules measured below threshold on this corpus, with the diagnosed cause; printed, and excluded from
 * the assertion until fixed. Remove an entry once its rule passes (the test fails on a stale entry).
 */
const KNOWN_GAPS: Record<string, string> = {};

describe('second blind labelled corpus: precision and recall per rule', () => {
  it(`every rule reaches ${MIN_PRECISION} precision and ${MIN_RECALL} recall, known gaps excepted`, async () => {
    await assertBlindCorpus(CORPUS, 'second blind corpus', 20, KNOWN_GAPS);
  });
});
