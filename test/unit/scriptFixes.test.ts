import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES, REPO } from '../helpers/paths';
import { applyEdits, findingsFor } from '../helpers/rules';
import { corpusFiles } from '../helpers/corpus';
import { initParsers, parse } from '../../server/src/code/treeSitter';

/** Every JS/TS quick fix over fixtures, corpus and example leaves code that parses and silences its finding. */
describe('JS/TS quick fixes keep code valid', () => {
  const files = [
    ...corpusFiles(path.join(FIXTURES, 'script')),
    ...corpusFiles(path.join(FIXTURES, 'corpus', 'js')),
    ...corpusFiles(path.join(REPO, 'examples', 'node-app')),
  ];

  before(() => initParsers());

  it('applies each fix, re-parses and re-analyses', async () => {
    let applied = 0;
    for (const { file, lang } of files) {
      const text = fs.readFileSync(file, 'utf8');
      const hadError = (() => { const t = parse(lang, text); try { return t.rootNode.hasError; } finally { t.delete(); } })();
      const findings = (await findingsFor(text, lang)).filter((f) => f.rule.startsWith('JS') && f.fixes?.length);
      for (const f of findings) {
        const fixed = applyEdits(text, f.fixes![0].edits);
        const tree = parse(lang, fixed);
        try {
          assert.ok(hadError || !tree.rootNode.hasError, `${f.rule} fix breaks ${path.relative(REPO, file)}:${f.range.start.line + 1}\n${fixed}`);
        } finally {
          tree.delete();
        }
        const before = (await findingsFor(text, lang)).filter((g) => g.rule === f.rule).length;
        const after = (await findingsFor(fixed, lang)).filter((g) => g.rule === f.rule).length;
        assert.strictEqual(after, before - 1, `${f.rule} fix at ${path.relative(REPO, file)}:${f.range.start.line + 1} should silence exactly that finding`);
        applied++;
      }
    }
    assert.ok(applied >= 10, `only ${applied} fixes exercised`);
  });
});

describe('JS/TS analysis on hostile input', () => {
  it('survives binary junk, deep nesting and a 5,000-segment member chain', async () => {
    const junk = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    assert.ok(Array.isArray(await findingsFor(`// onnxruntime\n${junk}`, 'javascript')));
    const depth = 2000;
    const nested = `import * as ort from 'onnxruntime-node';\n${'app.get("/x", async () => { '.repeat(depth)}await ort.InferenceSession.create('m.onnx');${' });'.repeat(depth)}\n`;
    assert.ok((await findingsFor(nested, 'javascript')).some((f) => f.rule === 'JS001'));
    const chain = `import * as ort from 'onnxruntime-node';\nconst x = a${'.b'.repeat(5000)}.run(1);\n`;
    assert.deepStrictEqual(await findingsFor(chain, 'typescript'), []);
  });

  it('analyses a 50,000-line file to the end', async function () {
    this.timeout(180000); // bounded, not timed: the shared CI machine is slow; bench/ measures speed
    const unit = fs.readFileSync(path.join(REPO, 'examples', 'node-app', 'server.js'), 'utf8');
    const copies = Math.ceil(50000 / unit.split('\n').length);
    const found = await findingsFor(Array.from({ length: copies }, () => unit).join('\n'), 'javascript');
    assert.strictEqual(found.filter((f) => f.rule === 'JS001').length, 2 * copies);
  });
});
