/**
 * JS/TS analysis speed: a ~5,000-line JavaScript file built from the labelled corpus (Express,
 * Fastify, Lambda, workers, batch jobs), analysed in full and re-analysed after a one-line edit
 * (incremental parse + all script rules), printed against tree-sitter's parse alone in the same run.
 * Also the same file with every model-runtime name replaced: most files of a workspace.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Edit } from 'web-tree-sitter';
import { initParsers, parse } from '../server/src/code/treeSitter';
import { analyzeTree } from '../server/src/engine';
import { mergeConfig } from '../server/src/config';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus', 'js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function build(lines: number): string {
  const parts = fs.readdirSync(CORPUS).filter((f) => /\.(js|mjs)$/.test(f)).sort().map((f) => fs.readFileSync(path.join(CORPUS, f), 'utf8'));
  const out: string[] = [];
  let count = 0;
  for (let i = 0; count < lines; i++) {
    out.push(parts[i % parts.length]);
    count += parts[i % parts.length].split('\n').length;
  }
  return out.join('\n');
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function lineStart(text: string, row: number): number {
  let i = 0;
  for (let r = 0; r < row; r++) i = text.indexOf('\n', i) + 1;
  return i;
}

async function main(): Promise<void> {
  await initParsers();
  const config = mergeConfig();
  const ml = build(5000);
  const plain = ml.replace(/onnxruntime|transformers|tfjs/g, 'somelib');
  const rows: string[][] = [];
  for (const [label, text] of [['model-serving JS', ml], ['JS, no model runtime', plain]] as const) {
    const parseT: number[] = [], full: number[] = [], reparse: number[] = [], edit: number[] = [];
    let findings = 0;
    const row = Math.floor(text.split('\n').length / 2);
    const at = lineStart(text, row);
    const insert = 'const editedHere = 1;\n';
    const edited = `${text.slice(0, at)}${insert}${text.slice(at)}`;
    for (let run = 0; run < RUNS; run++) {
      let t0 = process.hrtime.bigint();
      const tree = parse('javascript', text);
      parseT.push(ms(t0));
      t0 = process.hrtime.bigint();
      findings = analyzeTree(text, tree, 'javascript', config).length;
      full.push(ms(t0));
      // A one-line edit in the middle of the file, applied incrementally as the server does.
      tree.edit(new Edit({
        startIndex: at, oldEndIndex: at, newEndIndex: at + insert.length,
        startPosition: { row, column: 0 }, oldEndPosition: { row, column: 0 }, newEndPosition: { row: row + 1, column: 0 },
      }));
      t0 = process.hrtime.bigint();
      const tree2 = parse('javascript', edited, tree);
      reparse.push(ms(t0));
      analyzeTree(edited, tree2, 'javascript', config);
      edit.push(ms(t0));
      tree.delete();
      tree2.delete();
    }
    const p50 = quantile(parseT, 0.5);
    rows.push([label, String(text.split('\n').length), String(findings), p50.toFixed(1), quantile(full, 0.5).toFixed(1),
      (quantile(full, 0.5) / p50).toFixed(2), quantile(reparse, 0.5).toFixed(1), quantile(edit, 0.5).toFixed(1), quantile(edit, 0.95).toFixed(1)]);
  }
  const head = ['file', 'lines', 'findings', 'parse p50 ms', 'rules p50 ms', 'rules/parse', 'incr. parse p50', 'edit→diag p50', 'edit→diag p95'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`JS/TS analysis, ${RUNS} runs each, same process\n${line(head)}\n${rows.map(line).join('\n')}`);
  console.log('edit→diag: incremental re-parse after a one-line edit plus every script rule (the server\'s work per edit).');
}

void main();
