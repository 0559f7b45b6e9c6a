/**
 * The real-code corpus (test/corpus-real/): projects from public repositories, their hand labels, and
 * precision/recall of the rules over them. Each project is analysed as one workspace, as the CLI does.
 * Scoring is by (rule, line): a finding is a true positive when the file has an `expect: true` label
 * of that rule on that line, else a false positive; an `expect: true` label with no finding is a miss.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCodeFiles } from '../../server/src/engine';
import { initParsers, languageOfPath } from '../../server/src/code/treeSitter';
import { mergeConfig } from '../../server/src/config';
import { RuleScore, scoreTable } from './corpus';

export interface Label { line: number; rule: string; expect: boolean; reason: string }
export interface ProjectFile { path: string; labels: Label[] }
export interface Project { repo: string; commit: string; kind: string; files: ProjectFile[]; split?: Split }
/**
 * dev: tuned on; test: by hash, scored at the end; holdout, holdout2, holdout3, holdout4: labelled later, blind, by people who
 * never ran the rules on them (a second batch once the first one's misses had been read).
 */
export type Split = 'dev' | 'test' | 'holdout' | 'holdout2' | 'holdout3' | 'holdout4';
export const SPLITS: Split[] = ['dev', 'test', 'holdout', 'holdout2', 'holdout3', 'holdout4'];

export const CORPUS_DIR = path.resolve(__dirname, '../../../test/corpus-real');
export const FILES_DIR = path.resolve(__dirname, '../../../.corpus/real');

/** Rules that need model files beside the code: not scored here. */
const UNSCORED = new Set(['PY011', 'PY090']);

/** About 30 % of the repositories, chosen by a hash of the name: scored once at the end, never tuned on. */
export function splitOf(repo: string): Split {
  return createHash('sha256').update(repo).digest()[0] < 77 ? 'test' : 'dev';
}

/** A project's split: the one its file names (`"split": "holdout"`), else by the hash of its name. */
export function projectSplit(p: Project): Split {
  return p.split ?? splitOf(p.repo);
}

export function loadProjects(dir = CORPUS_DIR): Project[] {
  const projects = path.join(dir, 'projects');
  return fs.readdirSync(projects).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(projects, f), 'utf8')) as Project);
}

export function localPath(p: Project, f: ProjectFile, filesDir = FILES_DIR): string {
  return path.join(filesDir, p.repo.replace('/', '+'), f.path);
}

export interface Miss { repo: string; file: string; line: number; rule: string; kind: 'FP' | 'FN'; message?: string; reason?: string }

export interface SplitResult { projects: number; files: number; missingFiles: number; scores: RuleScore[]; misses: Miss[]; table: string; negatives: number }

/** Scores every project of one split whose files are present. */
export async function scoreSplit(split: Split, projects = loadProjects(), filesDir = FILES_DIR): Promise<SplitResult> {
  await initParsers();
  const scores = new Map<string, RuleScore>();
  const score = (rule: string): RuleScore => {
    let s = scores.get(rule);
    if (!s) scores.set(rule, s = { rule, tp: 0, fp: 0, fn: 0, precision: 1, recall: 1 });
    return s;
  };
  const misses: Miss[] = [];
  let files = 0, missingFiles = 0, count = 0, negatives = 0;
  const config = mergeConfig();
  for (const p of projects.filter((x) => projectSplit(x) === split)) {
    const present = p.files.filter((f) => fs.existsSync(localPath(p, f, filesDir)) && languageOfPath(f.path));
    missingFiles += p.files.length - present.length;
    if (!present.length) continue;
    count++;
    files += present.length;
    const input = present.map((f) => ({ file: localPath(p, f, filesDir), text: fs.readFileSync(localPath(p, f, filesDir), 'utf8'), lang: languageOfPath(f.path)! }));
    const found = analyzeCodeFiles(input, () => config);
    for (const f of present) {
      const labels = new Map<string, Label>();
      for (const l of f.labels) if (!UNSCORED.has(l.rule)) {
        const k = `${l.rule}@${l.line}`;
        if (l.expect || !labels.has(k)) labels.set(k, l);
        if (!l.expect) negatives++;
      }
      const got = new Map<string, string>();
      for (const d of found.get(localPath(p, f, filesDir)) ?? []) if (!UNSCORED.has(d.rule)) got.set(`${d.rule}@${d.range.start.line + 1}`, d.message);
      for (const [k, message] of got) {
        const [rule, line] = k.split('@');
        const l = labels.get(k);
        if (l?.expect) score(rule).tp++;
        else { score(rule).fp++; misses.push({ repo: p.repo, file: f.path, line: Number(line), rule, kind: 'FP', message, reason: l?.reason }); }
      }
      for (const [k, l] of labels) {
        if (!l.expect || got.has(k)) continue;
        score(l.rule).fn++;
        misses.push({ repo: p.repo, file: f.path, line: l.line, rule: l.rule, kind: 'FN', reason: l.reason });
      }
    }
  }
  for (const s of scores.values()) {
    s.precision = s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1;
    s.recall = s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1;
  }
  const list = [...scores.values()];
  return { projects: count, files, missingFiles, scores: list, misses, table: scoreTable(list), negatives };
}

export function totals(scores: RuleScore[]): { tp: number; fp: number; fn: number; precision: number; recall: number } {
  const t = scores.reduce((a, s) => ({ tp: a.tp + s.tp, fp: a.fp + s.fp, fn: a.fn + s.fn }), { tp: 0, fp: 0, fn: 0 });
  return { ...t, precision: t.tp + t.fp ? t.tp / (t.tp + t.fp) : 1, recall: t.tp + t.fn ? t.tp / (t.tp + t.fn) : 1 };
}
