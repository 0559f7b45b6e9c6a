import * as assert from 'assert';
import { findingsFor } from '../helpers/rules';
import { MODELS_SUITE } from '../helpers/testModels';
import { bracketDepth, MAX_PYTHON_NESTING } from '../../server/src/code/python/units';

/** A serving block with known findings: PY001 (load per request) and PY002 (no inference mode). */
function block(i: number): string {
  return [
    `@app.post("/m${i}")`,
    `def handler_${i}(x: list):`,
    `    net_${i} = torch.jit.load("m${i}.pt")`,
    `    return net_${i}(torch.tensor(x)).tolist()`,
    '',
    '',
  ].join('\n');
}
const HEADER = 'import torch\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n';

describe('robustness', () => {
  it('still finds what parses in a file full of syntax errors', async () => {
    const code = HEADER + 'def broken(:\n    return ]\n\n' + block(1) + 'class Half:\n    x = = 1\n\n' + block(2) + 'if True\n    pass\n';
    const found = await findingsFor(code);
    const lines = code.split('\n');
    const at = (rule: string): string[] => found.filter((f) => f.rule === rule).map((f) => lines[f.range.start.line].trim());
    assert.deepStrictEqual(at('PY001'), ['net_1 = torch.jit.load("m1.pt")', 'net_2 = torch.jit.load("m2.pt")']);
    assert.strictEqual(at('PY002').length, 2);
  });

  // npm test analyses 10,000 lines, `npm run test:models` (in CI) the full 50,000: the analysis grows faster
  // than the file when every block binds a new model name (file-wide key tails), and 50,000 lines took
  // over 8 minutes at load 8, past a third of the timeout (docs/test-models.md).
  const LINES = MODELS_SUITE ? 50_000 : 10_000;
  it(`analyses a ${LINES.toLocaleString('en-US')}-line file and finds every block`, async function () {
    // Correctness, not speed (bench/code-analysis.ts measures time); the full size gets room for CI's load.
    this.timeout(MODELS_SUITE ? 1_800_000 : 600_000);
    const blocks = Math.ceil(LINES / 5); // five lines per block
    const code = HEADER + Array.from({ length: blocks }, (_, i) => block(i)).join('');
    assert.ok(code.split('\n').length >= LINES);
    const found = await findingsFor(code);
    assert.strictEqual(found.filter((f) => f.rule === 'PY001').length, blocks);
    assert.strictEqual(found.filter((f) => f.rule === 'PY002').length, blocks);
  });

  // 64 KiB of junk in npm test, 256 KiB in test:models: the larger one took 64 s of its 120 s at load 10.
  it(`survives ${MODELS_SUITE ? 256 : 64} KiB of binary junk renamed .py`, async function () {
    this.timeout(120_000);
    let s = 0x12345;
    const bytes = Buffer.alloc((MODELS_SUITE ? 256 : 64) * 1024);
    for (let i = 0; i < bytes.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; bytes[i] = s >>> 24; }
    const found = await findingsFor(bytes.toString('utf8'));
    assert.ok(Array.isArray(found));
    assert.ok(Array.isArray(await findingsFor(bytes.toString('latin1') + '\u0000\u0000')));
  });

  it('survives deeply nested code', async () => {
    const depth = 400;
    let nested = HEADER + '@app.post("/deep")\ndef deep(x):\n';
    for (let i = 0; i < depth; i++) nested += `${'    '.repeat(i + 1)}if x > ${i}:\n`;
    nested += `${'    '.repeat(depth + 1)}m = torch.load("m.pt")\n`;
    const found = await findingsFor(nested);
    assert.deepStrictEqual(found.filter((f) => f.rule === 'PY001').map((f) => f.range.start.line), [8 + depth]);

    const parens = HEADER + `y = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`;
    assert.ok(Array.isArray(await findingsFor(parens)));
    const chain = HEADER + `z = torch${'.a'.repeat(20000)}()\nfor t in q:\n    w = torch${'.b'.repeat(20000)}.load(t)\n`;
    assert.ok(Array.isArray(await findingsFor(chain)));
    const defs = HEADER + Array.from({ length: 300 }, (_, i) => `${'    '.repeat(i)}def f${i}():\n`).join('') + `${'    '.repeat(300)}return torch.load("m.pt")\n`;
    assert.ok(Array.isArray(await findingsFor(defs)));
  });

  it('leaves out a statement nested deeper than Python allows, and analyses the rest of the file', async () => {
    // 3,000 nested calls: each parent step costs the depth in tree-sitter, so analysing it took minutes.
    const code = HEADER + `@app.post("/deep")\ndef deep(x):\n    return ${'f('.repeat(3000)}x${')'.repeat(3000)}\n\n\n` + block(1);
    const found = await findingsFor(code);
    assert.deepStrictEqual(found.filter((f) => f.rule === 'PY001').map((f) => code.split('\n')[f.range.start.line].trim()), ['net_1 = torch.jit.load("m1.pt")']);
  });

  it('measures bracket nesting as Python does: strings and comments do not count', () => {
    assert.strictEqual(bracketDepth('f(g([1, {2: (3)}]))'), 5);
    assert.strictEqual(bracketDepth('s = "(((("  # ((((\nt = \'\'\'\n((((\n\'\'\' + f(x)\n'), 1);
    assert.strictEqual(bracketDepth('s = "a\\"(" + g(1)'), 1);
    assert.ok(bracketDepth('('.repeat(MAX_PYTHON_NESTING + 1)) > MAX_PYTHON_NESTING);
  });
});
