/** $ per 1M input / output tokens of a decoder: the roofline per phase before a run, the measurement after. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { BUILTIN_INSTANCES } from '../../server/src/cost/catalog';
import { rooflineLatencyMs } from '../../server/src/cost/model';
import { instanceMemoryBytes, tokenCost } from '../../server/src/cost/tokens';
import { costJson, costReport } from '../../server/src/cost/report';
import { workFigures } from '../../server/src/cost/figures';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import type { GenerationFigures } from '../../server/src/onnx/generation';
import type { GenerationResult } from '../../server/src/bench/types';
import { tempDir } from '../helpers/models';
import { tinyDecoder } from '../helpers/tinyDecoder';

const inst = (id: string) => BUILTIN_INSTANCES.find((i) => i.id === id)!;

const FIG: GenerationFigures = {
  layers: 32, heads: 32, kvHeads: 8, headDim: 128, vocab: 128256, kvCacheBytesPerToken: 2 * 32 * 8 * 128 * 2, kvCacheBytes: 0,
  settings: { promptTokens: 1000, outputTokens: 200, contextLength: 4096, batch: 4 }, weightBytesRead: 16e9,
  prefill: { tokens: 1000, macs: 4 * 1000 * 8e9, bytes: 16e9, flopsPerByte: 0 },
  decode: { pastTokens: 1100, macsPerToken: 8e9, bytesPerToken: 4.2e9, flopsPerByte: 0 },
};
const WORK = { weightBytes: 16e9, nodes: 2000 };

describe('cost per token', () => {
  it('estimates each phase on its roofline: prefill compute-bound, decode memory-bound, priced per 1M tokens', () => {
    const h100 = inst('p5.48xlarge');
    const t = tokenCost(FIG, WORK, h100, 0.7);
    const pre = rooflineLatencyMs({ macs: FIG.prefill.macs, weightBytes: FIG.prefill.bytes, nodes: 2000 }, h100);
    const dec = rooflineLatencyMs({ macs: 4 * 8e9, weightBytes: 4 * 4.2e9, nodes: 2000 }, h100);
    assert.deepStrictEqual(t.bound, { prefill: 'compute', decode: 'memory' });
    assert.strictEqual(t.prefillMs, pre.latencyMs);
    assert.strictEqual(t.inputTokensPerSec, 4000 / (pre.latencyMs / 1000));
    assert.strictEqual(t.outputTokensPerSec, 4 / (dec.latencyMs / 1000));
    assert.ok(Math.abs(t.per1MOutputTokens - (1e6 / (t.outputTokensPerSec * 0.7)) * 55.04 / 3600) < 1e-12);
    assert.ok(t.per1MOutputTokens > t.per1MInputTokens, 'generated tokens cost more than prompt tokens');
  });

  it('counts the sequences whose KV cache fits beside the weights in the accelerators\' memory', () => {
    const t = tokenCost(FIG, WORK, inst('p5.48xlarge'), 0.7);
    assert.strictEqual(instanceMemoryBytes(inst('p5.48xlarge')), 8 * 80 * 2 ** 30);
    assert.strictEqual(t.sequencesThatFit, Math.floor((8 * 80 * 2 ** 30 - 16e9) / (FIG.kvCacheBytesPerToken * 4096)));
    assert.strictEqual(tokenCost(FIG, { ...WORK, weightBytes: 1e12 }, inst('g6e.xlarge'), 0.7).sequencesThatFit, 0);
  });

  it('prices a measured generation from its TTFT and decode tokens/s', () => {
    const m: GenerationResult = {
      promptTokens: 100, newTokens: 50, batch: 2, ttftMs: { p50: 40, p95: 50 }, interTokenMs: { p50: 10, p95: 12, p99: 15 },
      tokensPerSec: 190, kvCacheBytes: 0, peakRssBytes: 0, generatedIds: [], generations: 3,
    };
    const t = tokenCost(FIG, WORK, inst('c7i.xlarge'), 0.5, m);
    assert.strictEqual(t.basis, 'measured');
    assert.strictEqual(t.inputTokensPerSec, 200 / 0.04);
    assert.strictEqual(t.outputTokensPerSec, 190);
    assert.ok(Math.abs(t.per1MOutputTokens - (1e6 / 95) * 0.1785 / 3600) < 1e-12);
  });

  it('comes with a decoder\'s cost JSON (per1MInputTokens, per1MOutputTokens) and not with other models\'', () => {
    const file = path.join(tempDir(), 'tiny_decoder_cost.onnx');
    fs.writeFileSync(file, tinyDecoder());
    const config = mergeConfig({ cost: { instance: 'g6e.xlarge' }, generation: { promptTokens: 32, outputTokens: 32 } });
    const report = analyzeModelFile(file, config);
    const res = costReport(workFigures(report.summary!, report.cost), config);
    assert.ok(!('error' in res));
    const json = costJson(res.report);
    assert.ok(json.per1MInputTokens! > 0 && json.per1MOutputTokens! > json.per1MInputTokens!);
    assert.strictEqual(json.tokens!.basis, 'estimate');
    const plain = costReport({ ...workFigures(report.summary!, report.cost), generation: undefined }, config);
    assert.ok(!('error' in plain) && costJson(plain.report).per1MInputTokens === undefined);
  });
});
