// Packages the extension for this platform (the .vsix carries onnxruntime-node's native files
// for one platform only) and prints its file list, failing if anything unexpected got in.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const target = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
const out = path.join(root, `inference-lens-${target}.vsix`);
execFileSync(vsce, ['package', '--no-dependencies', '--target', target, '-o', out], { cwd: root, stdio: 'inherit' });
const list = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
const allowed = [/^dist\/(extension|server|cli|bench-worker|quantize-worker)\.js$/, /^dist\/wasm\/[\w-]+\.wasm$/, /^dist\/node_modules\/onnxruntime-(node|common)\//,
  /^syntaxes\//, /^media\/walkthrough\/[\w-]+\.md$/, /^schemas\/inference-lens\.schema\.json$/, /^language-configuration[\w-]*\.json$/, /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/];
const unexpected = list.filter((f) => !allowed.some((re) => re.test(f)));
// What the extension cannot run without: a missing worker breaks benchmarks or quantization only at use.
const required = ['dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/bench-worker.js', 'dist/quantize-worker.js',
  'dist/wasm/web-tree-sitter.wasm', 'dist/wasm/tree-sitter-python.wasm', 'dist/node_modules/onnxruntime-node/package.json',
  'schemas/inference-lens.schema.json'];
const missing = required.filter((f) => !list.includes(f));
if (missing.length) {
  console.error(`missing from the package:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`${path.basename(out)}: ${list.length} files`);
if (unexpected.length) {
  console.error(`unexpected files in the package:\n  ${unexpected.join('\n  ')}`);
  process.exit(1);
}
