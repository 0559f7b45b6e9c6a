/** `bench --generate` on the shared decoders: the README's reference ids, and greedy agreement with one full forward. */
import * as assert from 'assert';
import * as path from 'path';
import { runBenchmark } from '../../server/src/bench/runner';
import { readModelFile } from '../../server/src/onnx/reader';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { SHARED_MODELS } from '../helpers/paths';
import { greedyFromFullForward } from '../helpers/greedy';

/** From the models' README: prompt ids 1..16, then 8 greedy steps (9 ids, the first from the prefill), PyTorch without a cache. */
const REFERENCE: Record<string, { ids: number[]; top: number[] }> = {
  'decoder_gpt2_tiny.onnx': { ids: Array(9).fill(487), top: [1.1689, 1.9885, 1.7700, 1.7341, 1.8304, 1.8003, 1.8329, 1.9835, 1.8177] },
  'decoder_llama_tiny.onnx': { ids: [1900, 6904, 6904, 6904, 2698, 6904, 2698, 6904, 2698], top: [1.2653, 1.2889, 1.2291, 1.2195, 1.2187, 1.2530, 1.2156, 1.2161, 1.2102] },
};

describe('bench --generate on the shared decoders', function () {
  this.timeout(120000);
  const prompt = Array.from({ length: 16 }, (_, i) => i + 1);
  for (const [name, ref] of Object.entries(REFERENCE)) {
    it(`${name}: the reference ids, and the ids one full forward chooses`, async () => {
      const file = path.join(SHARED_MODELS, name);
      const r = await runBenchmark(file, { minRuns: 1, minTimeS: 0, maxTimeS: 10, generate: { promptIds: prompt, newTokens: 8 } });
      const g = r.generation!;
      assert.deepStrictEqual(g.generatedIds, ref.ids);
      const full = await greedyFromFullForward(file, recognizeGenerative(readModelFile(file))!, prompt, g.generatedIds);
      assert.deepStrictEqual(full.ids, g.generatedIds);
      // The full forward's top logits are PyTorch's: the cached loop fed the same tokens at the same positions.
      full.top.forEach((t, i) => assert.ok(Math.abs(t - ref.top[i]) < 1e-3, `step ${i}: ${t} vs ${ref.top[i]}`));
      const m = recognizeGenerative(readModelFile(file))!;
      assert.strictEqual(g.kvCacheBytes, m.kvCacheBytesPerToken * (16 + 8));
    });
  }
});
