/**
 * The code rules under hostile input: mutated real fixtures, invalid UTF-8, a 1 MB line, 10,000-deep
 * nesting. No exception escapes the engine; a rule that throws is reported once and the others still run.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { initParsers, CodeLanguage } from '../../server/src/code/treeSitter';
import { defaultConfig } from '../../server/src/config';
import { analyzeCode, onRuleFailure } from '../../server/src/engine';
import { modelRules, pythonRules, scriptRules } from '../../server/src/rules/registry';
import { FIXTURES } from '../helpers/paths';
import { rng } from '../helpers/mutate';

/** Every fixture file of the code rules, with its language. */
function fixtures(): { file: string; text: string; lang: CodeLanguage }[] {
  const out: { file: string; text: string; lang: CodeLanguage }[] = [];
  for (const [dir, lang] of [['python', 'python'], ['script', 'typescript']] as const) {
    for (const rule of fs.readdirSync(path.join(FIXTURES, dir))) {
      const d = path.join(FIXTURES, dir, rule);
      if (!fs.statSync(d).isDirectory()) continue;
      for (const f of fs.readdirSync(d)) if (/\.(py|ts|js)$/.test(f)) out.push({ file: path.join(d, f), text: fs.readFileSync(path.join(d, f), 'utf8'), lang: f.endsWith('.py') ? 'python' : lang });
    }
  }
  return out;
}

/** Text mutations: truncate, flip bytes (often into invalid UTF-8), splice lines of another file, duplicate a line. */
function mutateText(text: string, next: () => number, donors: readonly string[]): string {
  const b = Buffer.from(text, 'utf8');
  const at = Math.floor(next() * b.length);
  switch (Math.floor(next() * 4)) {
    case 0: return b.subarray(0, at).toString('utf8');
    case 1: { const c = Buffer.from(b); for (let k = 0; k < 1 + next() * 8; k++) c[Math.floor(next() * c.length)] ^= 0x80 | Math.floor(next() * 128); return c.toString('utf8'); }
    case 2: {
      const d = donors[Math.floor(next() * donors.length)].split('\n');
      const lines = text.split('\n');
      const from = Math.floor(next() * d.length);
      lines.splice(Math.floor(next() * lines.length), 0, ...d.slice(from, from + 1 + Math.floor(next() * 10)));
      return lines.join('\n');
    }
    default: { const lines = text.split('\n'); const i = Math.floor(next() * lines.length); lines.splice(i, 0, lines[i]); return lines.join('\n'); }
  }
}

describe('fuzzing the code rules', function () {
  this.timeout(120_000);
  const failures: string[] = [];
  before(async () => {
    await initParsers();
    onRuleFailure((id, e) => failures.push(`${id}: ${(e as Error).message}`));
  });
  after(() => onRuleFailure(() => undefined));

  it('mutated real fixtures: no exception escapes and no rule throws', () => {
    const files = fixtures();
    const texts = files.map((f) => f.text);
    const next = rng(2024);
    const cfg = defaultConfig();
    let cases = 0;
    for (let round = 0; round < 4; round++) {
      for (const f of files) {
        let text = f.text;
        for (let k = 0; k < 1 + Math.floor(next() * 3); k++) text = mutateText(text, next, texts);
        analyzeCode(text, f.lang, cfg);
        cases++;
      }
    }
    assert.ok(cases >= 300, `${cases}`);
    assert.deepStrictEqual(failures, []);
  });

  it('invalid UTF-8, a 1 MB line and 10,000-deep nesting end in findings, not exceptions', () => {
    const cfg = defaultConfig();
    const invalid = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]), Buffer.from('import torch\n@app.post("/p")\ndef h(x):\n    m = torch.jit.load("m.pt")\n    return m(x)\n'), Buffer.from([0xed, 0xa0, 0x80])]).toString('utf8');
    assert.ok(analyzeCode(invalid, 'python', cfg).some((f) => f.rule === 'PY001'), 'rules still find what parses');
    analyzeCode(`import torch\nx = "${'a'.repeat(1 << 20)}"\n`, 'python', cfg);
    analyzeCode(`const ort = require("onnxruntime-node");\nconst s = '${'b'.repeat(1 << 20)}';\n`, 'javascript', cfg);
    analyzeCode(`import torch\nx = ${'('.repeat(10_000)}1${')'.repeat(10_000)}\n`, 'python', cfg);
    analyzeCode(`const ort = require("onnxruntime-node");\nconst x = ${'['.repeat(10_000)}${']'.repeat(10_000)};\n`, 'javascript', cfg);
    analyzeCode(`const ort = require("onnxruntime-node");\n${'function f(){'.repeat(10_000)}${'}'.repeat(10_000)}\n`, 'javascript', cfg);
    assert.deepStrictEqual(failures, []);
  });

  it('a rule that throws is reported once and does not silence the others', () => {
    const broken = pythonRules().find((r) => r.id === 'PY002')!;
    const check = broken.check;
    broken.check = () => { throw new Error('boom'); };
    try {
      const code = 'import torch\n@app.post("/p")\ndef h(x):\n    m = torch.jit.load("m.pt")\n    return m(x)\n';
      const a = analyzeCode(code, 'python', defaultConfig());
      const b = analyzeCode(code.replace('/p', '/q'), 'python', defaultConfig());
      for (const found of [a, b]) {
        assert.ok(found.some((f) => f.rule === 'PY001'), 'PY001 still runs');
        assert.ok(!found.some((f) => f.rule === 'PY002'));
      }
      assert.deepStrictEqual(failures, ['PY002: boom']);
    } finally {
      broken.check = check;
      failures.length = 0;
    }
    assert.ok(scriptRules().length > 0 && modelRules().length > 0);
  });
});
