/**
 * Precision/recall over a labelled corpus (test/fixtures/corpus/**): every `expect: ID` label on a
 * line is one expected finding of rule ID on that line; every other finding is a false positive.
 * Scoring is by (rule, line): two findings of one rule on one line count once.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CodeLanguage, languageOfPath } from '../../server/src/code/treeSitter';
import type { Finding } from '../../server/src/rules/types';
import { findingsFor } from './rules';

export interface RuleScore { rule: string; tp: number; fp: number; fn: number; precision: number; recall: number }
export interface Miss { file: string; line: number; rule: string; kind: 'FP' | 'FN'; message?: string }

const LABEL = /(?:#|\/\/)\s*expect:\s*([A-Z][A-Z0-9]*\d(?:\s*,\s*[A-Z][A-Z0-9]*\d)*)/;

/** `rule@line` (0-based) for every label in a text; a line may list several ids. */
export function labelsOf(text: string): Set<string> {
  const out = new Set<string>();
  text.split('\n').forEach((line, i) => {
    const m = LABEL.exec(line);
    if (m) for (const id of m[1].split(',')) out.add(`${id.trim()}@${i}`);
  });
  return out;
}

export function corpusFiles(dir: string): { file: string; lang: CodeLanguage }[] {
  const out: { file: string; lang: CodeLanguage }[] = [];
  const walk = (d: string): void => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else { const lang = languageOfPath(p); if (lang) out.push({ file: p, lang }); }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Tallies one file's findings against its labels into `scores` and `misses`. */
export function scoreFile(file: string, text: string, findings: Finding[], scores: Map<string, RuleScore>, misses: Miss[]): void {
  const expected = labelsOf(text);
  const got = new Map<string, Finding>();
  for (const f of findings) got.set(`${f.rule}@${f.range.start.line}`, f);
  const score = (rule: string): RuleScore => {
    let s = scores.get(rule);
    if (!s) scores.set(rule, s = { rule, tp: 0, fp: 0, fn: 0, precision: 1, recall: 1 });
    return s;
  };
  for (const [key, f] of got) {
    if (expected.has(key)) score(f.rule).tp++;
    else { score(f.rule).fp++; misses.push({ file, line: f.range.start.line, rule: f.rule, kind: 'FP', message: f.message }); }
  }
  for (const key of expected) {
    if (got.has(key)) continue;
    const [rule, line] = key.split('@');
    score(rule).fn++;
    misses.push({ file, line: Number(line), rule, kind: 'FN' });
  }
  for (const s of scores.values()) {
    s.precision = s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1;
    s.recall = s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1;
  }
}

export function scoreTable(scores: RuleScore[]): string {
  const rows = [...scores].sort((a, b) => a.rule.localeCompare(b.rule));
  const total = rows.reduce((t, s) => ({ tp: t.tp + s.tp, fp: t.fp + s.fp, fn: t.fn + s.fn }), { tp: 0, fp: 0, fn: 0 });
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  const line = (r: string, tp: number, fp: number, fn: number): string =>
    `${r.padEnd(8)} ${String(tp).padStart(4)} ${String(fp).padStart(4)} ${String(fn).padStart(4)} ` +
    `${pct(tp + fp ? tp / (tp + fp) : 1)} ${pct(tp + fn ? tp / (tp + fn) : 1)}`;
  return [
    `rule       TP   FP   FN  precision  recall`,
    ...rows.map((s) => line(s.rule, s.tp, s.fp, s.fn)),
    line('all', total.tp, total.fp, total.fn),
  ].join('\n');
}

/** Thresholds from issue #4: a rule that cries wolf gets turned off. */
export const MIN_PRECISION = 0.9;
export const MIN_RECALL = 0.85;

/** Rules below either threshold. */
export function belowThreshold(scores: RuleScore[]): RuleScore[] {
  return scores.filter((s) => s.precision < MIN_PRECISION || s.recall < MIN_RECALL);
}

export interface CorpusResult { files: number; scores: RuleScore[]; misses: Miss[]; table: string }

/** Runs every rule over every code file under `dir` and scores the findings against the labels. */
export async function scoreCorpus(dir: string): Promise<CorpusResult> {
  const scores = new Map<string, RuleScore>();
  const misses: Miss[] = [];
  const files = corpusFiles(dir);
  for (const { file, lang } of files) {
    const text = fs.readFileSync(file, 'utf8');
    scoreFile(path.relative(dir, file), text, await findingsFor(text, lang), scores, misses);
  }
  return { files: files.length, scores: [...scores.values()], misses, table: scoreTable([...scores.values()]) };
}

/** One line per false positive / false negative: `FP PY001 python/app.py:12  message`. */
export function formatMisses(misses: Miss[]): string {
  return misses.map((m) => `${m.kind} ${m.rule} ${m.file}:${m.line + 1}${m.message ? `  ${m.message}` : ''}`).join('\n');
}

/**
 * Scores a blind corpus, prints its table, misses and known gaps, and fails when a rule falls below the
 * thresholds (rules in `knownGaps` excepted) or when a known gap has closed (so the list stays true).
 */
export async function assertBlindCorpus(dir: string, name: string, minFiles: number, knownGaps: Record<string, string>): Promise<void> {
  const { files, scores, misses, table } = await scoreCorpus(dir);
  assert.ok(files >= minFiles, `expected at least ${minFiles} corpus files under ${dir}, found ${files}`);
  console.log(`\n    ${name}: ${files} files\n${table.replace(/^/gm, '    ')}`);
  if (misses.length) console.log(formatMisses(misses).replace(/^/gm, '    '));
  const gaps = Object.entries(knownGaps);
  if (gaps.length) console.log(`    known gaps (not asserted):\n${gaps.map(([r, why]) => `      ${r}: ${why}`).join('\n')}`);
  const failing = belowThreshold(scores).map((s) => s.rule);
  assert.deepStrictEqual(failing.filter((r) => !(r in knownGaps)), [], `below threshold:\n${table}`);
  assert.deepStrictEqual(gaps.map(([r]) => r).filter((r) => !failing.includes(r)), [], 'these rules now pass: remove them from KNOWN_GAPS');
}
