// Runs a TypeScript script of the repo (examples, benchmarks): bundles it with esbuild into out/
// and executes it with the remaining arguments.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const [entry, ...rest] = process.argv.slice(2);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outfile = path.join(root, 'out', 'run', entry.replace(/\.ts$/, '.js'));
await esbuild.build({
  entryPoints: [path.resolve(entry)], outfile, bundle: true, platform: 'node', target: 'node20',
  format: 'cjs', sourcemap: 'inline', external: ['onnxruntime-node'], logLevel: 'warning',
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
