// Builds the bundles in dist/ (extension, server, CLI, benchmark, quantize and index workers) and, with --tests,
// transpiles server + tests to out/ for mocha. Runtime assets (tree-sitter wasm, onnxruntime-node's
// native files for this platform) are copied beside the bundles so dist/ runs on its own.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning',
  // onnxruntime-node is a native addon: shipped as files in dist/node_modules, never bundled.
  external: ['vscode', 'onnxruntime-node'],
  // TS `import` would pick web-tree-sitter's ESM build, which needs import.meta: use its CJS build.
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
};

const entries = [
  { in: 'client/src/extension.ts', out: 'dist/extension.js' },
  { in: 'server/src/server.ts', out: 'dist/server.js' },
  { in: 'server/src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'server/src/bench/worker.ts', out: 'dist/bench-worker.js' },
  { in: 'server/src/quantize/worker.ts', out: 'dist/quantize-worker.js' },
  { in: 'server/src/lsp/indexWorker.ts', out: 'dist/index-worker.js' },
].filter((e) => fs.existsSync(path.join(root, e.in)));

fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await Promise.all(entries.map((e) => esbuild.build({
  ...common, entryPoints: [path.join(root, e.in)], outfile: path.join(root, e.out),
  banner: e.banner ? { js: e.banner } : undefined,
})));
fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);

copyRuntimeAssets(path.join(root, 'dist'));

if (args.has('--tests')) {
  // Plain transpile (no bundling) keeps module boundaries, so tests import server modules directly.
  const files = [];
  for (const dir of ['server/src', 'test', 'scripts', 'examples', 'bench']) walk(path.join(root, dir), files);
  fs.rmSync(path.join(root, 'out'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: files, outdir: path.join(root, 'out'), outbase: root, bundle: false,
    platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning',
  });
  // Data files imported by server modules (e.g. cost/instances.json) sit beside the transpiled code.
  const data = [];
  walk(path.join(root, 'server/src'), data, '.json');
  for (const f of data) fs.copyFileSync(f, path.join(root, 'out', path.relative(root, f)));
  // server/src/version.ts imports ../../package.json, which the bundles inline: the transpiled copy needs it beside out/server.
  fs.copyFileSync(path.join(root, 'package.json'), path.join(root, 'out', 'package.json'));
}

function walk(dir, files, ext = '.ts') {
  if (!fs.existsSync(dir)) return;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) { if (ent.name !== 'fixtures' && ent.name !== 'node_modules') walk(p, files, ext); }
    else if (ent.name.endsWith(ext) && !ent.name.endsWith('.d.ts')) files.push(p);
  }
}

function copyRuntimeAssets(dist) {
  const wasmDir = path.join(dist, 'wasm');
  fs.mkdirSync(wasmDir, { recursive: true });
  for (const spec of [
    'web-tree-sitter/web-tree-sitter.wasm',
    'tree-sitter-python/tree-sitter-python.wasm',
    'tree-sitter-javascript/tree-sitter-javascript.wasm',
    'tree-sitter-typescript/tree-sitter-typescript.wasm',
    'tree-sitter-typescript/tree-sitter-tsx.wasm',
  ]) fs.copyFileSync(require.resolve(spec), path.join(wasmDir, path.basename(spec)));

  // onnxruntime-node + onnxruntime-common, with the native binaries of this platform only.
  const ortSrc = path.dirname(require.resolve('onnxruntime-node/package.json'));
  // onnxruntime-common's exports hide package.json: find its folder from its entry point.
  const commonEntry = require.resolve('onnxruntime-common', { paths: [ortSrc] });
  const commonSrc = commonEntry.slice(0, commonEntry.lastIndexOf(`${path.sep}dist${path.sep}`));
  const ortDst = path.join(dist, 'node_modules/onnxruntime-node');
  const commonDst = path.join(dist, 'node_modules/onnxruntime-common');
  const noMaps = (src) => !src.endsWith('.map') && !src.endsWith('.d.ts');
  fs.cpSync(path.join(ortSrc, 'dist'), path.join(ortDst, 'dist'), { recursive: true, filter: noMaps });
  fs.copyFileSync(path.join(ortSrc, 'package.json'), path.join(ortDst, 'package.json'));

  const native = path.join('bin/napi-v6', process.platform, process.arch);
  fs.cpSync(path.join(ortSrc, native), path.join(ortDst, native), { recursive: true });
  fs.cpSync(path.join(commonSrc, 'dist/cjs'), path.join(commonDst, 'dist/cjs'), { recursive: true, filter: noMaps });
  fs.copyFileSync(path.join(commonSrc, 'package.json'), path.join(commonDst, 'package.json'));
}
