/** `bench --generate`: the greedy decode loop in the benchmark child, on the tiny in-repo decoder. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runBenchmark } from '../../server/src/bench/runner';
import { argmaxLast, promptRows } from '../../server/src/bench/generate';
import { BenchError } from '../../server/src/bench/types';
import { readModelFile } from '../../server/src/onnx/reader';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { floatToHalf } from '../../server/src/quantize/tensorData';
import { tempDir } from '../helpers/models';
import { TINY, tinyDecoder, tinyMacs, tinyMergedDecoder } from '../helpers/tinyDecoder';
import { generationFigures, meanPast, resolveGeneration } from '../../server/src/onnx/generation';
import { greedyFromFullForward } from '../helpers/greedy';
import { testModel } from '../helpers/testModels';
import { generateFromFlags } from '../../server/src/cli/bench';
import { UsageError } from '../../server/src/cli/args';

const quick = { warmupRuns: 0, minRuns: 1, minTimeS: 0, maxTimeS: 5 };

describe('decode loop helpers', () => {
  it('argmax at the last position of each sequence, float32 and float16 logits', () => {
    const dims = [2, 2, 3];
    const data = [9, 0, 0, 0, 1, 5, /* row 1 */ 0, 0, 0, 7, 2, 1];
    assert.deepStrictEqual(argmaxLast(Float32Array.from(data), dims), [2, 0]);
    assert.deepStrictEqual(argmaxLast(Uint16Array.from(data.map(floatToHalf)), dims, true), [2, 0]);
    assert.deepStrictEqual(argmaxLast(Float32Array.from([1, 3, 2]), [1, 3]), [1]);
  });
  it('prompts: the given ids on every row, or seeded ids below the vocabulary, one sequence each', () => {
    assert.deepStrictEqual(promptRows({ promptIds: [4, 5], newTokens: 1 }, 2, 64, 1), [[4, 5], [4, 5]]);
    const rows = promptRows({ promptTokens: 50, newTokens: 1 }, 2, 64, 1);
    assert.strictEqual(rows[0].length, 50);
    assert.ok(rows.flat().every((id) => id >= 1 && id < 64));
    assert.notDeepStrictEqual(rows[0], rows[1]);
    assert.deepStrictEqual(promptRows({ promptTokens: 50, newTokens: 1 }, 2, 64, 1), rows);
  });
});

describe('bench --generate flags', () => {
  const flags = (o: Record<string, string | true>) => new Map(Object.entries(o));
  it('take the generation settings for what they leave out', () => {
    assert.deepStrictEqual(generateFromFlags(flags({ generate: true }), { promptTokens: 64, outputTokens: 16 }), { promptTokens: 64, newTokens: 16 });
    assert.deepStrictEqual(generateFromFlags(flags({ generate: true, 'prompt-ids': '1, 2,3', 'new-tokens': '4' }), {}), { promptTokens: undefined, promptIds: [1, 2, 3], newTokens: 4 });
    assert.strictEqual(generateFromFlags(flags({}), { promptTokens: 64 }), undefined);
  });
  it('refuse contradictions and bad ids as usage errors', () => {
    assert.throws(() => generateFromFlags(flags({ 'new-tokens': '4' }), {}), (e: unknown) => e instanceof UsageError && /needs --generate/.test(e.message));
    assert.throws(() => generateFromFlags(flags({ generate: true, 'prompt-ids': '1', 'prompt-tokens': '3' }), {}), UsageError);
    assert.throws(() => generateFromFlags(flags({ generate: true, 'prompt-ids': '1,x' }), {}), UsageError);
  });
});

describe('bench --generate on the tiny decoder (child process)', function () {
  this.timeout(60000);
  let file: string;
  before(() => {
    file = path.join(tempDir(), 'tiny_decoder_gen.onnx');
    fs.writeFileSync(file, tinyDecoder());
  });

  it('generates the ids one full forward chooses greedily, with TTFT, inter-token latency and the KV cache', async () => {
    const prompt = [3, 14, 15, 9, 26, 5];
    const steps = 10;
    const r = await runBenchmark(file, { ...quick, generate: { promptIds: prompt, newTokens: steps } });
    const g = r.generation!;
    assert.strictEqual(g.generatedIds.length, steps + 1);
    assert.deepStrictEqual([g.promptTokens, g.newTokens, g.batch], [prompt.length, steps, 1]);
    const ref = await greedyFromFullForward(file, recognizeGenerative(readModelFile(file))!, prompt, g.generatedIds);
    assert.deepStrictEqual(g.generatedIds, ref.ids);
    assert.ok(new Set(g.generatedIds).size > 1, 'the ids change along the generation, so a stale cache would show');
    assert.strictEqual(g.kvCacheBytes, 2 * TINY.layers * TINY.heads * TINY.headDim * 4 * (prompt.length + steps));
    assert.ok(g.ttftMs.p50 > 0 && g.interTokenMs.p50 > 0 && g.interTokenMs.p99 >= g.interTokenMs.p50);
    assert.ok(g.tokensPerSec > 0 && g.generations >= 1 && g.peakRssBytes > 0);
    assert.strictEqual(r.runs, g.generations * steps);
  });

  it('decodes a batch of seeded prompts, one per sequence: the cache holds them all', async () => {
    const r = await runBenchmark(file, { ...quick, batch: 3, generate: { promptTokens: 5, newTokens: 4 } });
    const g = r.generation!;
    assert.strictEqual(g.batch, 3);
    assert.strictEqual(g.kvCacheBytes, 3 * 2 * TINY.layers * TINY.heads * TINY.headDim * 4 * 9);
    assert.deepStrictEqual(r.inputs[0].dims, [3, 5]);
  });

  it('profiles each phase apart: hot ops per prefill call and per decode step', async () => {
    const r = await runBenchmark(file, { ...quick, profile: true, generate: { promptTokens: 12, newTokens: 3 } });
    const p = r.generation!.profile!;
    assert.strictEqual(p.prefill.runs, 2);
    assert.strictEqual(p.decode.runs, 2 * 3);
    for (const phase of [p.prefill, p.decode]) assert.ok(phase.topOps.some((op) => op.opType === 'MatMul' || op.opType === 'FusedMatMul'), JSON.stringify(phase.topOps));
    assert.ok(p.prefill.nodeTotalMs > 0 && p.decode.nodeTotalMs > 0);
  });

  it('refuses a model that is not a decoder with a cache, and ids outside the vocabulary, with clear errors', async () => {
    await assert.rejects(runBenchmark(testModel('mlp_mnist_like.onnx'), { ...quick, generate: { newTokens: 2 } }),
      (e: unknown) => e instanceof BenchError && e.kind === 'inputs' && /not a decoder with a KV cache/.test(e.message));
    await assert.rejects(runBenchmark(file, { ...quick, generate: { promptIds: [1, 999], newTokens: 2 } }),
      (e: unknown) => e instanceof BenchError && e.kind === 'inputs' && /999 is outside the vocabulary \[0, 64\)/.test(e.message));
  });
});

describe('a merged decoder (Optimum decoder_model_merged.onnx: If on use_cache_branch)', function () {
  this.timeout(60000);
  let merged: string, plain: string;
  before(() => {
    const dir = tempDir();
    merged = path.join(dir, 'decoder_model_merged.onnx');
    plain = path.join(dir, 'tiny_decoder_plain.onnx');
    fs.writeFileSync(merged, tinyMergedDecoder());
    fs.writeFileSync(plain, tinyDecoder());
  });

  it('is recognised, heads read inside the branches; each phase counts the branch that runs', () => {
    const m = readModelFile(merged);
    const g = recognizeGenerative(m)!;
    assert.deepStrictEqual([g.useCacheBranch, g.layers, g.heads, g.headsFrom, g.kvHeads, g.headDim, g.vocab], ['use_cache_branch', TINY.layers, TINY.heads, 'scores', TINY.heads, TINY.headDim, TINY.vocab]);
    const settings = { promptTokens: 10, outputTokens: 4 };
    const f = generationFigures(m, g, settings);
    assert.strictEqual(f.prefill.macs, tinyMacs(10, 0), 'the prefill runs the branch without a cache');
    assert.strictEqual(f.decode.macsPerToken, tinyMacs(1, meanPast(resolveGeneration(settings))), 'a decode step runs the with-cache branch');
  });

  it('bench --generate feeds use_cache_branch and generates what the unmerged decoder and one full forward choose', async () => {
    const prompt = [3, 14, 15, 9, 26, 5];
    const run = async (f: string) => (await runBenchmark(f, { ...quick, generate: { promptIds: prompt, newTokens: 8 } })).generation!;
    const [gm, gp] = [await run(merged), await run(plain)];
    assert.deepStrictEqual(gm.generatedIds, gp.generatedIds);
    assert.deepStrictEqual(gm.generatedIds, (await greedyFromFullForward(plain, recognizeGenerative(readModelFile(plain))!, prompt, gm.generatedIds)).ids);
    assert.strictEqual(gm.kvCacheBytes, gp.kvCacheBytes);
  });
});
