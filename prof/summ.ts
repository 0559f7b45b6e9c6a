import * as fs from 'fs';
import * as path from 'path';
import { initParsers, parse } from '../server/src/code/treeSitter';
import { summarizePython } from '../server/src/engine';
function walk(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else if (e.name.endsWith('.py')) out.push(p);
  }
}
async function main() {
  await initParsers();
  const files: string[] = [];
  walk(path.resolve(process.cwd(), '.corpus/real'), files);
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const reps = Number(process.argv[2] ?? 3);
  let t = Date.now();
  for (let r = 0; r < reps; r++) for (const x of texts) parse('python', x).delete();
  const parseMs = Date.now() - t;
  t = Date.now();
  const per: [number, string][] = [];
  for (let r = 0; r < reps; r++) for (let i = 0; i < texts.length; i++) { const t1 = Date.now(); summarizePython(texts[i]); if (r === reps - 1) per.push([Date.now() - t1, files[i]]); }
  const sumMs = Date.now() - t;
  console.log(`${files.length} files, ${texts.reduce((n, x) => n + x.length, 0)} chars; parse ${parseMs} ms, summarize ${sumMs} ms (x${reps})`);
  per.sort((a, b) => b[0] - a[0]);
  for (const [ms, f] of per.slice(0, 15)) console.log(ms, f, texts[files.indexOf(f)].split('\n').length);
}
void main();
