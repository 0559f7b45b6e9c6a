import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DIST, REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';
import { tempDir } from '../helpers/benchModels';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI bench', function () {
  this.timeout(60000);
  const mlp = testModel('mlp_mnist_like.onnx');
  let cache: string;
  before(() => { cache = tempDir(); });
  after(() => fs.rmSync(cache, { recursive: true, force: true }));
  const quick = ['--warmup', '2', '--min-runs', '5', '--min-time', '0', '--max-time', '5', '--cache-dir'];

  it('prints every documented figure as JSON', () => {
    const r = cli('bench', mlp, ...quick, cache, '--batch', '2', '--profile', '--threads', '1', '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepStrictEqual(Object.keys(j.latencyMs).sort(), ['cv', 'max', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p999', 'stdev'].sort());
    assert.deepStrictEqual(Object.keys(j.throughput).sort(), ['inferencesPerSec', 'itemsPerSec']);
    for (const k of ['sessionCreateMs', 'peakRssBytes', 'runs', 'ep', 'options', 'machine', 'warnings']) assert.ok(k in j, k);
    assert.strictEqual(j.options.session.intraOpNumThreads, 1);
    assert.strictEqual(j.batch, 2);
    assert.ok(typeof j.machine.isa.avx2 === 'boolean' && j.machine.cores > 0 && j.machine.cpuModel);
    assert.ok(j.profile.topOps.length > 0 && j.profile.nodes.length === 3);
    for (const k of ['opType', 'count', 'totalMs', 'share']) assert.ok(k in j.profile.topOps[0], k);
    for (const k of ['name', 'opType', 'ms', 'share']) assert.ok(k in j.profile.nodes[0], k);
    // Each profiled node sits on its line of the model text view (0-based, as `text-view` prints it).
    const view = cli('text-view', mlp).stdout.split('\n');
    for (const n of j.profile.nodes) assert.match(view[n.line], /= Gemm /, `${n.name} → line ${n.line}`);
    // The run was cached: --cached answers from it and says how old it is.
    const again = cli('bench', mlp, ...quick, cache, '--batch', '2', '--profile', '--threads', '1', '--format', 'json', '--cached');
    assert.strictEqual(again.code, 0, again.stderr);
    const c = JSON.parse(again.stdout);
    assert.strictEqual(c.measuredAt, j.measuredAt);
    assert.ok(c.cachedAgeS >= 0);
  });

  it('appends each run to the history and exits 1 on a regression against a baseline, 0 otherwise', () => {
    const dir = fs.mkdtempSync(path.join(tempDir(), 'history-'));
    const model = path.join(dir, 'model.onnx');
    fs.copyFileSync(mlp, model);
    const runs = ['--warmup', '2', '--min-runs', '40', '--min-time', '0', '--max-time', '5', '--cache-dir', cache];
    // Baselines no real run can match: every latency 100 ns (this run is slower), or 10 s (it is faster).
    const saved = JSON.parse(cli('bench', model, ...runs, '--format', 'json').stdout);
    const baseline = (ms: number): string => {
      const f = path.join(dir, `baseline-${ms}.json`);
      fs.writeFileSync(f, JSON.stringify({ ...saved, trace: { warmupMs: [], samplesMs: Array.from({ length: 40 }, (_, i) => ms * (1 + i / 1000)), stride: 1 } }));
      return f;
    };
    const slower = cli('bench', model, ...runs, '--baseline', baseline(0.0001), '--format', 'json');
    assert.strictEqual(slower.code, 1, slower.stderr);
    assert.strictEqual(JSON.parse(slower.stdout).baseline.verdict, 'regression');
    const faster = cli('bench', model, ...runs, '--baseline', baseline(10000));
    assert.strictEqual(faster.code, 0, faster.stderr);
    assert.match(faster.stdout, /^baseline {2}improvement: faster past the 10 % threshold/m);
    // auto finds the previous run of the same model; two real runs may differ for real on a loaded machine,
    // so the exit code follows the verdict rather than being fixed.
    const auto = cli('bench', model, ...runs, '--baseline', 'auto', '--format', 'json');
    const verdict = JSON.parse(auto.stdout).baseline;
    assert.match(verdict.against, /^the run of /);
    assert.strictEqual(auto.code, verdict.verdict === 'regression' ? 1 : 0, auto.stderr);
    const history = fs.readFileSync(path.join(dir, '.inference-lens', 'history.jsonl'), 'utf8').trim().split('\n');
    assert.strictEqual(history.length, 4);
    const trend = cli('trend', model);
    assert.strictEqual(trend.code, 0, trend.stderr);
    assert.strictEqual(trend.stdout.trim().split('\n').length, 5); // the header and four runs
    assert.strictEqual(cli('bench', model, '--baseline', path.join(dir, 'none.json')).code, 2);
  });

  it('prints a readable table', () => {
    const r = cli('bench', mlp, ...quick, cache, '--sweep', 'batch', '--dims', 'batch=1');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /latency ms\s+min\s+p50\s+p90\s+p95\s+p99\s+p99\.9\s+max/);
    assert.match(r.stdout, /throughput\s+[\d.]+ inferences\/s/);
    assert.match(r.stdout, /batch sweep/);
  });

  it('exits 2 on usage errors, 1 when the benchmark fails', () => {
    assert.strictEqual(cli('bench').code, 2);
    assert.strictEqual(cli('bench', mlp, '--ep', 'tpu').code, 2);
    assert.strictEqual(cli('bench', mlp, '--min-runs', 'x').code, 2);
    assert.strictEqual(cli('bench', mlp, '--sweep', 'memory').code, 2);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'bad.onnx'), 'nope');
    const bad = cli('bench', path.join(dir, 'bad.onnx'), ...quick, cache);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.stderr, /session creation failed/);
    const ep = cli('bench', mlp, '--ep', 'coreml', ...quick, cache);
    assert.strictEqual(ep.code, 1);
    assert.match(ep.stderr, /no coreml execution provider/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
