// Runs every bench/*.ts (or the ones named on the command line) with scripts/run-ts.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const named = process.argv.slice(2);
const files = named.length ? named : fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).sort();
let failed = 0;
for (const f of files) {
  const file = f.startsWith('bench/') ? f : `bench/${f}`;
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-ts.mjs'), file], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
