// `npm run test:pack`: the npm package as a user gets it. Packs the project, installs the tarball into an
// empty folder (dependencies from the registry, nothing from this checkout), and runs its `inference-lens`
// bin there on a model: analyze, bench, quantize, compare, and `dist/server.js --stdio` answering
// `initialize`. Everything happens in a temporary folder, removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-pack-'));
const t0 = Date.now();
const lap = (s) => console.log(`[pack ${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });

function check(ok, what) {
  if (!ok) throw new Error(`pack test: ${what}`);
  lap(`ok: ${what}`);
}

try {
  const model = path.join(root, 'examples/models/intent_classifier.onnx');
  if (!fs.existsSync(model)) run(process.execPath, [path.join(root, 'scripts/run-ts.mjs'), path.join(root, 'examples/build-model.ts')], { cwd: root });
  const [packed] = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: root }));
  const tarball = path.join(tmp, packed.filename);
  lap(`packed ${packed.filename}: ${(packed.size / 2 ** 20).toFixed(1)} MiB, ${packed.files.length} files`);
  const stray = packed.files.map((f) => f.path).filter((p) => /^(test|server|client|bench|scripts|\.corpus|examples)\//.test(p));
  check(!stray.length, `the package holds only what runs (no ${stray.slice(0, 3).join(', ') || 'sources or tests'})`);

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name": "pack-test", "version": "1.0.0", "private": true}\n');
  // onnxruntime-node's install step downloads CUDA libraries, which an offline machine cannot: skip it, as the README says.
  run(npm, ['install', '--no-audit', '--no-fund', tarball], { cwd: app, env: { ...process.env, npm_config_onnxruntime_node_install: 'skip' } });
  lap('installed the tarball into an empty folder');
  const bin = path.join(app, 'node_modules/.bin/inference-lens');
  fs.copyFileSync(model, path.join(app, 'model.onnx'));
  const cli = (...args) => run(bin, args, { cwd: app });

  check(/^\d+\.\d+\.\d+/.test(cli('--version').trim()), '--version');
  const analyzed = JSON.parse(cli('analyze', 'model.onnx', '--format', 'json'));
  check(JSON.stringify(analyzed).includes('ONNX001'), 'analyze finds ONNX001 on the model');
  const bench = JSON.parse(cli('bench', 'model.onnx', '--format', 'json', '--min-runs', '10', '--min-time', '0.2', '--warmup', '2', '--no-history'));
  check(bench.runs >= 10 && bench.latencyMs.p50 > 0, `bench measures (p50 ${bench.latencyMs.p50.toFixed(3)} ms over ${bench.runs} runs)`);
  const q = JSON.parse(cli('quantize', 'model.onnx', '--method', 'int8-dynamic', '--format', 'json'));
  const written = q.conversion.output;
  check(path.dirname(written) === app && fs.existsSync(written) && q.ab.outputs.length > 0, `quantize writes ${path.basename(written)} beside the model and A/Bs it (verdict: ${q.ab.verdict})`);
  const cmp = JSON.parse(cli('compare', 'model.onnx', path.basename(written), '--format', 'json'));
  check(cmp.ab.outputs.length > 0 && cmp.ab.outputs.every((o) => o.cosine > 0.9), `compare reports output agreement (cosine ${cmp.ab.outputs.map((o) => o.cosine.toFixed(4)).join(', ')})`);

  // The language server of the package, over stdio, for editors other than VS Code.
  const server = spawn(process.execPath, [path.join(app, 'node_modules/inference-lens/dist/server.js'), '--stdio'], { cwd: app });
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const reply = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not answer initialize within 60 s')), 60000);
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"capabilities"')) { clearTimeout(timer); resolve(out); }
    });
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}) before answering`)); });
  });
  server.kill();
  check(/"hoverProvider"/.test(reply), 'dist/server.js --stdio answers initialize');
  lap('the packed package works from an empty folder');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
