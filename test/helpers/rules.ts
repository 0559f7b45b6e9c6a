/**
 * Fixture conventions for rule tests (after Ruff's): a line that should be flagged ends with
 * `# expect: PY001` (or `// expect: JS001`); every other line must stay silent.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { analyzeCode } from '../../server/src/engine';
import { CodeLanguage, initParsers } from '../../server/src/code/treeSitter';
import { mergeConfig, Config } from '../../server/src/config';
import type { Finding, TextEdit } from '../../server/src/rules/types';

export async function findingsFor(text: string, lang: CodeLanguage = 'python', config: Config = mergeConfig()): Promise<Finding[]> {
  await initParsers();
  return analyzeCode(text, lang, config);
}

/** Lines (0-based) marked `expect: RULE` in a fixture. */
export function expectedLines(text: string, rule: string): number[] {
  const re = new RegExp(`(#|//)\\s*expect:\\s*[A-Z0-9, ]*\\b${rule}\\b`);
  return text.split('\n').flatMap((line, i) => (re.test(line) ? [i] : []));
}

/** Asserts that `rule` fires exactly on the marked lines of the fixture file. */
export async function assertFixture(file: string, rule: string, lang: CodeLanguage = 'python'): Promise<Finding[]> {
  const text = fs.readFileSync(file, 'utf8');
  const got = (await findingsFor(text, lang)).filter((f) => f.rule === rule);
  assert.deepStrictEqual(got.map((f) => f.range.start.line), expectedLines(text, rule),
    `${rule} on ${file}:\n${got.map((f) => `  ${f.range.start.line + 1}: ${f.message}`).join('\n')}`);
  return got;
}

/** Applies LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }): number => {
    let o = 0;
    for (let i = 0; i < p.line && i < lines.length; i++) o += lines[i].length + 1;
    return Math.min(o + p.character, text.length);
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
