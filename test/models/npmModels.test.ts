/**
 * Pretrained models that npm packages ship (test/helpers/npmModels.ts): what a new user opening them gets
 * must hold up. For each: MACs counted (non-zero, complete) wherever a Conv/MatMul/Gemm/RNN/attention runs;
 * the same network exported twice (another opset, float16, no If) counts the same MACs within 2 %; `bench`
 * runs with inputs synthesized at no dims, at the dims the analysis chose; and every profiled node's output
 * shapes equal the static inference.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { modelCost } from '../../server/src/onnx/cost';
import { allGraphs } from '../../server/src/onnx/model';
import { readModelFile } from '../../server/src/onnx/reader';
import { dimsOfRun } from '../../server/src/bench/shapesAsRun';
import { NPM_MODELS } from '../helpers/npmModels';
import { shapesAgainstRun } from '../helpers/shapesAsRun';

const DENSE = /^(Conv|ConvTranspose|MatMul|Gemm|LSTM|GRU|RNN|Attention|MultiHeadAttention|Einsum)$/;

describe('pretrained models shipped by npm packages', function () {
  this.timeout(120000);

  it('are installed (pinned devDependencies)', () => {
    for (const m of NPM_MODELS) assert.ok(fs.existsSync(m.file), `${m.name}: ${m.file} missing: run npm ci (${m.from})`);
    assert.ok(NPM_MODELS.length >= 10);
  });

  const macs = new Map<string, number>();
  for (const m of NPM_MODELS) {
    it(`${m.name} (${m.from}): MACs counted wherever a dense op runs, complete, without dims`, () => {
      const model = readModelFile(m.file);
      const c = modelCost(model);
      const dense = [...allGraphs(model.graph)].some((g) => g.nodes.some((n) => DENSE.test(n.opType)));
      assert.ok(dense, 'a network with dense ops');
      assert.strictEqual(c.incomplete, undefined, `${m.name}: ${c.incomplete?.reason}`);
      assert.deepStrictEqual(c.degenerate, []);
      assert.ok(c.macs > 0, `${m.name}: 0 MACs`);
      // every dense node that runs is counted: none of them at 0
      const zero = c.nodes.filter((nc) => nc.counted && DENSE.test(nc.node.opType) && nc.macs === 0).map((nc) => nc.node.name);
      assert.deepStrictEqual(zero, [], `${m.name}: dense nodes at 0 MACs`);
      macs.set(m.name, c.macs);
    });

    it(`${m.name}: bench runs without dims, at the dims the analysis chose, and the static shapes are the run's`, async () => {
      const { result } = await shapesAgainstRun(m.file);
      assert.ok(result.runs >= 3 && result.latencyMs.p50 > 0);
      const model = readModelFile(m.file);
      const used = modelCost(model).dimsUsed;
      for (const [k, v] of Object.entries(dimsOfRun(model, result.inputs))) {
        if (used[k] !== undefined) assert.strictEqual(v, used[k], `${m.name}: dim ${k} ran at ${v}, the estimate used ${used[k]}`);
      }
    });
  }

  it('two exports of the same network (opset, float16, without If) count the same MACs within 2 %', () => {
    const groups = new Map<string, string[]>();
    for (const m of NPM_MODELS) groups.set(m.network, [...(groups.get(m.network) ?? []), m.name]);
    let pairs = 0;
    for (const names of groups.values()) {
      if (names.length < 2) continue;
      const [first, ...rest] = names.map((n) => [n, macs.get(n) ?? modelCost(readModelFile(NPM_MODELS.find((m) => m.name === n)!.file)).macs] as const);
      for (const [n, v] of rest) {
        pairs++;
        assert.ok(Math.abs(v - first[1]) <= 0.02 * first[1], `${n}: ${v} MACs vs ${first[0]}: ${first[1]}`);
      }
    }
    assert.ok(pairs >= 4);
  });
});
