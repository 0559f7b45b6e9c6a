/**
 * Code analysis speed: full analysis of a generated 5,000-line Python serving file, and re-analysis
 * after a one-line edit (incremental parse + rules), against tree-sitter's parse alone in the same run.
 * Goal (issue #4): an edit re-diagnosed in under 20 ms p95, and the rules cheaper than the parse.
 * Usage: node scripts/run-bench.mjs code-analysis.ts [-- repeats]
 */
import { initParsers, parse } from '../server/src/code/treeSitter';
import { analyzeTree } from '../server/src/engine';
import { applyChanges, DocumentTrees } from '../server/src/code/incremental';
import { mergeConfig } from '../server/src/config';
import { PythonAnalysis } from '../server/src/code/python/analysis';
import { generateServingPython } from './lib/servingPython';

const REPEATS = Number(process.argv[2] ?? 60);

function stats(samples: number[]): { p50: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95) };
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  await initParsers();
  const config = mergeConfig();
  const text = generateServingPython(5000);
  const lines = text.split('\n');
  // The one-line edit: rename a variable inside a handler in the middle of the file (and back).
  const editLine = lines.findIndex((l, i) => i > 2500 && l.includes('inputs = tokenizer('));
  const original = lines[editLine];
  const col = original.indexOf('truncation=True') + 'truncation='.length;

  const parseFull: number[] = [], analyzeFull: number[] = [], rulesOnly: number[] = [], parseIncr: number[] = [], reanalyze: number[] = [];
  let findings = 0;
  let analyzed = { analysed: 0, units: 0 };
  for (let r = 0; r < REPEATS + 5; r++) {
    const warm = r < 5;
    const t1 = time(() => parse('python', text).delete());
    const tree = parse('python', text);
    const t2 = time(() => { findings = analyzeTree(text, tree, 'python', config).length; });
    const t3 = time(() => { const t = parse('python', text); analyzeTree(text, t, 'python', config); t.delete(); });
    tree.delete();

    // Incremental: a document tree and its analysis, one LSP change, re-parse with the old tree, then
    // the rules on what the edit touched (as the language server does).
    const trees = new DocumentTrees();
    const analysis = new PythonAnalysis();
    analyzeTree(text, trees.treeFor('bench', 'python', text), 'python', config, undefined, analysis);
    const change = [{ range: { start: { line: editLine, character: col }, end: { line: editLine, character: col + 4 } }, text: 'False' }];
    const next = applyChanges(text, change)!;
    const undo = [{ range: { start: { line: editLine, character: col }, end: { line: editLine, character: col + 5 } }, text: 'True' }];
    const t4 = time(() => { trees.change('bench', text, change); trees.treeFor('bench', 'python', next); });
    trees.change('bench', next, undo);
    trees.treeFor('bench', 'python', text);
    const t5 = time(() => { trees.change('bench', text, change); analyzeTree(next, trees.treeFor('bench', 'python', next), 'python', config, undefined, analysis); });
    if (analysis.lastStats.full) throw new Error('the one-line edit fell back to a full analysis');
    analyzed = analysis.lastStats;
    trees.close('bench');
    if (warm) continue;
    parseFull.push(t1); rulesOnly.push(t2); analyzeFull.push(t3); parseIncr.push(t4); reanalyze.push(t5);
  }
  const base = stats(parseFull);
  const row = (name: string, s: number[]): string => {
    const { p50, p95 } = stats(s);
    return `${name.padEnd(44)} ${p50.toFixed(2).padStart(8)} ${p95.toFixed(2).padStart(8)} ${(p50 / base.p50).toFixed(2).padStart(8)}x`;
  };
  console.log(`5,000-line Python file (${(text.length / 1024).toFixed(0)} KiB, ${findings} findings), ${REPEATS} repeats after 5 warm-ups`);
  console.log(`${'step'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'vs parse'.padStart(9)}`);
  console.log(row('tree-sitter full parse (baseline)', parseFull));
  console.log(row('rules only (semantic layer + all PY rules)', rulesOnly));
  console.log(row('full analysis (parse + rules)', analyzeFull));
  console.log(row('incremental parse after a one-line edit', parseIncr));
  console.log(row(`re-diagnose after a one-line edit (${analyzed.analysed} of ${analyzed.units} units)`, reanalyze));
  const re = stats(reanalyze).p95, rules = stats(rulesOnly).p50;
  console.log(`\ngoal: edit re-diagnosed < 20 ms p95: ${re.toFixed(2)} ms ${re < 20 ? 'MET' : 'NOT MET'}; ` +
    `rules cost less than the parse: ${rules.toFixed(2)} vs ${base.p50.toFixed(2)} ms ${rules < base.p50 ? 'MET' : 'NOT MET'}`);
}

void main();
