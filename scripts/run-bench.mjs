// Runs the benchmarks: every bench/*.ts, or those named on the command line (`npm run bench -- text-view`).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).map((n) => n.replace(/^bench\//, '').replace(/\.ts$/, ''));
const all = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).sort();
let failed = 0;
for (const f of all.filter((x) => !wanted.length || wanted.includes(x.replace(/\.ts$/, '')))) {
  console.log(`\n## bench/${f}`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-ts.mjs'), `bench/${f}`], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
