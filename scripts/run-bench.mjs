// Runs the benchmarks in bench/ (all, or the ones named: `npm run bench -- harness-overhead`),
// each through run-ts.mjs, one after the other.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).map((n) => n.replace(/\.ts$/, ''));
const all = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const run = wanted.length ? wanted : all;
let failed = 0;
for (const name of run) {
  if (!all.includes(name)) { console.error(`no bench/${name}.ts`); failed++; continue; }
  console.log(`\n== bench/${name}.ts ==`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/run-ts.mjs'), `bench/${name}.ts`], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
