// Packages the extension for one platform (`--target linux-x64|linux-arm64|darwin-arm64|win32-x64`, default
// this machine's): the .vsix carries onnxruntime-node's native files for that platform only. Prints the file
// list and fails if anything unexpected got in or something the extension needs is missing. A target other
// than this machine's swaps the native files in dist/ for the package and puts this machine's back after.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64'];
const host = `${process.platform}-${process.arch}`;
const at = process.argv.indexOf('--target');
const target = at > 0 ? process.argv[at + 1] : host;
if (!TARGETS.includes(target)) {
  console.error(`package: --target must be one of ${TARGETS.join(', ')} (got ${target})`);
  process.exit(2);
}
const [platform, arch] = target.split('-');
const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
const out = path.join(root, `inference-lens-${target}.vsix`);

const ortSrc = path.dirname(require.resolve('onnxruntime-node/package.json'));
const binDst = path.join(root, 'dist/node_modules/onnxruntime-node/bin');
const nativeDir = (p, a) => path.join('bin/napi-v6', p, a);
/** dist/ gets the native files of one platform (the build copies this machine's). */
function useNative(p, a) {
  fs.rmSync(binDst, { recursive: true, force: true });
  fs.cpSync(path.join(ortSrc, nativeDir(p, a)), path.join(root, 'dist/node_modules/onnxruntime-node', nativeDir(p, a)), { recursive: true });
}

let list;
try {
  if (target !== host) useNative(platform, arch);
  execFileSync(vsce, ['package', '--no-dependencies', '--target', target, '-o', out], { cwd: root, stdio: 'inherit' });
  list = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
} finally {
  if (target !== host && TARGETS.includes(host)) useNative(process.platform, process.arch);
}

const native = `dist/node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/`;
const allowed = [/^dist\/(extension|server|cli|bench-worker|quantize-worker|index-worker)\.js$/, /^dist\/wasm\/[\w-]+\.wasm$/,
  /^dist\/node_modules\/onnxruntime-node\/(package\.json|dist\/)/, /^dist\/node_modules\/onnxruntime-common\//,
  /^syntaxes\//, /^media\/walkthrough\/[\w-]+\.md$/, /^schemas\/inference-lens\.schema\.json$/, /^language-configuration[\w-]*\.json$/, /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/];
const unexpected = list.filter((f) => !f.startsWith(native) && !allowed.some((re) => re.test(f)));
// What the extension cannot run without: a missing worker breaks benchmarks or quantization only at use.
const required = ['dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/bench-worker.js', 'dist/quantize-worker.js', 'dist/index-worker.js',
  'dist/wasm/web-tree-sitter.wasm', 'dist/wasm/tree-sitter-python.wasm', 'dist/node_modules/onnxruntime-node/package.json',
  `${native}onnxruntime_binding.node`, 'schemas/inference-lens.schema.json'];
const missing = required.filter((f) => !list.includes(f));
if (missing.length) {
  console.error(`missing from the package:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`${path.basename(out)}: ${list.length} files (native: ${list.filter((f) => f.startsWith(native)).map((f) => path.basename(f)).join(', ')})`);
if (unexpected.length) {
  console.error(`unexpected files in the package:\n  ${unexpected.join('\n  ')}`);
  process.exit(1);
}
