import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { profiledNodeResolver, type GraphNodeRef } from '../../server/src/bench/nodeMap';
import type { BenchResult } from '../../server/src/bench/types';
import { tempDir } from '../helpers/benchModels';
import { DIST, REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';

const n = (name: string, opType: string, inputs: string[], outputs: string[]): GraphNodeRef => ({ name, opType, inputs, outputs });

describe('profiled node → model node (ORT fusions and renames)', () => {
  // conv → bn → relu → pool, as a CNN exports it; ORT fuses Conv+BN+Relu and names it after Relu's output.
  const nodes = [
    n('/b1/conv/Conv', 'Conv', ['x', 'w'], ['/b1/conv/Conv_output_0']),
    n('/b1/bn/BatchNormalization', 'BatchNormalization', ['/b1/conv/Conv_output_0'], ['/b1/bn/BatchNormalization_output_0']),
    n('/b1/act/Relu', 'Relu', ['/b1/bn/BatchNormalization_output_0'], ['/b1/act/Relu_output_0']),
    n('/b1/pool/MaxPool', 'MaxPool', ['/b1/act/Relu_output_0'], ['/b1/pool/MaxPool_output_0']),
    n('/attn/MatMul_1', 'MatMul', ['/b1/pool/MaxPool_output_0', 'k'], ['/attn/MatMul_1_output_0']),
  ];
  const resolve = profiledNodeResolver(nodes);

  it('finds exact and "fused " names', () => {
    assert.strictEqual(resolve('/b1/act/Relu', 'Relu'), nodes[2]);
    assert.strictEqual(resolve('fused /b1/conv/Conv', 'FusedConv'), nodes[0]);
  });

  it('maps an NCHWc node named after a fused output back to the op that heads the fusion', () => {
    assert.strictEqual(resolve('/b1/act/Relu_output_0_nchwc', 'Conv'), nodes[0], 'Conv+BN+Relu: the Conv, two steps up');
    assert.strictEqual(resolve('/b1/pool/MaxPool_output_0_nchwc', 'MaxPool'), nodes[3]);
    assert.strictEqual(resolve('/b1/act/Relu_output_0_nchwc', 'Gemm'), nodes[2], 'no upstream node of that op: the output\'s producer');
  });

  it('maps transformer path segments and leaves nodes ORT invented unmapped', () => {
    assert.strictEqual(resolve('/attn/MatMul_1/MatmulTransposeFusion//MatMulScaleFusion/', 'FusedMatMul'), nodes[4]);
    assert.strictEqual(resolve('fused /attn/MatMul_1/MatMulAddFusion', 'FusedGemm'), nodes[4], 'MatMul + Add fused into a Gemm');
    assert.strictEqual(resolve('ReorderOutput_token_12', 'ReorderOutput'), undefined);
    assert.strictEqual(resolve('BiasGelu', 'BiasGelu'), undefined);
  });

  it('puts the hot nodes of a real optimised CNN profile (PP-OCRv4 det) on text-view lines', function () {
    this.timeout(60000);
    const dir = tempDir('il-nodemap-');
    try {
      const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'bench', testModel('ppocr_v4_det.onnx'), '--warmup', '1', '--min-runs', '1', '--min-time', '0',
        '--profile', '--cache-dir', dir, '--format', 'json'], { cwd: REPO, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const p = (JSON.parse(r.stdout) as BenchResult).profile!;
      // ORT's layout reorders have no model node; every other profiled node must find its line.
      const own = p.nodes.filter((x) => !/^Reorder(Input|Output)/.test(x.name));
      const unmapped = own.filter((x) => x.line === undefined).map((x) => `${x.name} (${x.opType})`);
      assert.deepStrictEqual(unmapped, []);
      assert.ok(own.some((x) => x.name.endsWith('_nchwc')), 'the profile has renamed NCHWc nodes');
      const view = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'text-view', testModel('ppocr_v4_det.onnx')], { cwd: REPO, encoding: 'utf8' }).stdout.split('\n');
      for (const x of own.filter((y) => y.opType === 'Conv').slice(0, 20)) {
        assert.match(view[x.line!], /= Conv /, `${x.name} → ${view[x.line!]}`);
        assert.strictEqual(x.modelOpType, 'Conv');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
