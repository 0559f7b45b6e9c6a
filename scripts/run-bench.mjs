// Runs every benchmark in bench/ (or the ones named: `npm run bench -- model-analysis`), each through run-ts.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).map((n) => n.replace(/\.ts$/, ''));
const all = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).sort();
const chosen = wanted.length ? all.filter((f) => wanted.includes(f.replace(/\.ts$/, ''))) : all;
if (wanted.length && chosen.length !== wanted.length) {
  console.error(`unknown benchmark: ${wanted.filter((w) => !all.includes(`${w}.ts`)).join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const f of chosen) {
  console.log(`\n== bench/${f}`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-ts.mjs'), `bench/${f}`], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
