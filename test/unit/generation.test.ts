/** Generative models: recognising a decoder with a KV cache, and its prefill / decode figures (tiny in-repo decoder). */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { readModelFile } from '../../server/src/onnx/reader';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { generationFigures, parseGenerationSettings, resolveGeneration } from '../../server/src/onnx/generation';
import { mergeConfig, parseConfig } from '../../server/src/config';
import { analyzeModelFile } from '../../server/src/engine';
import { summaryMarkdown } from '../../server/src/onnx/summary';
import { tempDir } from '../helpers/models';
import { synthesizeSamples } from '../../server/src/quantize/samples';
import { TINY, tinyDecoder, tinyMacs } from '../helpers/tinyDecoder';

const tinyFile = (): string => {
  const f = path.join(tempDir(), 'tiny_decoder.onnx');
  if (!fs.existsSync(f)) fs.writeFileSync(f, tinyDecoder());
  return f;
};

describe('recognising a decoder with a KV cache', () => {
  it('reads layers, heads, KV heads, head size, vocabulary and the dims of a decode call (Optimum naming)', () => {
    const g = recognizeGenerative(readModelFile(tinyFile()))!;
    assert.ok(g);
    assert.deepStrictEqual({ layers: g.layers, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim, vocab: g.vocab, from: g.headsFrom },
      { layers: TINY.layers, heads: TINY.heads, kvHeads: TINY.heads, headDim: TINY.headDim, vocab: TINY.vocab, from: 'scores' });
    assert.strictEqual(g.kvCacheBytesPerToken, 2 * TINY.layers * TINY.heads * TINY.headDim * 4);
    assert.deepStrictEqual(g.dims, { batch: 'batch_size', sequence: 'sequence_length', past: 'past_sequence_length', total: 'past_sequence_length + sequence_length' });
    assert.deepStrictEqual([g.inputIds, g.attentionMask, g.positionIds, g.logits], ['input_ids', 'attention_mask', 'position_ids', 'logits']);
    assert.deepStrictEqual(g.past[1], { layer: 1, key: 'past_key_values.1.key', value: 'past_key_values.1.value' });
    assert.deepStrictEqual(g.present[1], { layer: 1, key: 'present.1.key', value: 'present.1.value' });
  });

  it('takes heads from GroupQueryAttention attributes and the cache from genai-style past_key_{i} names', () => {
    const kv = (n: string, len: string) => valueInfo(n, DataType.FLOAT16, ['batch', 2, len, 16]);
    const m = model({
      nodes: [
        node('Gather', ['emb', 'input_ids'], ['h']),
        node('GroupQueryAttention', ['h', 'h', 'h', 'past_key_0', 'past_value_0', 'seqlens_k', 'total_sequence_length'],
          ['attn', 'present_key_0', 'present_value_0'], { num_heads: 8, kv_num_heads: 2 }, { domain: 'com.microsoft' }),
        node('MatMul', ['attn', 'head'], ['logits']),
      ],
      initializers: [floatTensor('emb', [100, 128], seededFloats(12800, 1)), floatTensor('head', [128, 100], seededFloats(12800, 2))],
      inputs: [valueInfo('input_ids', DataType.INT64, ['batch', 'seq']), kv('past_key_0', 'past'), kv('past_value_0', 'past'),
        valueInfo('seqlens_k', DataType.INT32, ['batch']), valueInfo('total_sequence_length', DataType.INT32, [])],
      outputs: [valueInfo('logits', DataType.FLOAT, ['batch', 'seq', 100]), kv('present_key_0', 'total'), kv('present_value_0', 'total')],
      extraOpsets: { 'com.microsoft': 1 },
    });
    const f = path.join(tempDir(), 'gqa.onnx');
    fs.writeFileSync(f, encodeModel(m));
    const g = recognizeGenerative(readModelFile(f))!;
    assert.deepStrictEqual({ layers: g.layers, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim, vocab: g.vocab, from: g.headsFrom, bytes: g.kvCacheBytesPerToken },
      { layers: 1, heads: 8, kvHeads: 2, headDim: 16, vocab: 100, from: 'attribute', bytes: 2 * 2 * 16 * 2 });
  });

  it('does not take an encoder or a decoder without its cache for one', () => {
    const f = path.join(tempDir(), 'nocache.onnx');
    fs.writeFileSync(f, tinyDecoder({ withCache: false }));
    assert.strictEqual(recognizeGenerative(readModelFile(f)), undefined);
  });
});

describe('prefill and decode figures', () => {
  const m = () => readModelFile(tinyFile());

  it('counts decode MACs per token and prefill MACs as the architecture does, at any batch', () => {
    for (const batch of [1, 3]) {
      const f = generationFigures(m(), recognizeGenerative(m())!, { promptTokens: 9, outputTokens: 4, batch });
      assert.strictEqual(f.decode.pastTokens, 11);
      assert.strictEqual(f.decode.macsPerToken, tinyMacs(1, 11));
      assert.strictEqual(f.prefill.macs, batch * tinyMacs(9, 0));
      assert.strictEqual(f.kvCacheBytes, f.kvCacheBytesPerToken * 13 * batch);
    }
  });

  it('reads every weight once per step but only the gathered rows of the embeddings, plus the KV cache', () => {
    const info = m();
    const batch = 2;
    const f = generationFigures(info, recognizeGenerative(info)!, { promptTokens: 5, outputTokens: 2, batch, contextLength: 64 });
    const all = info.graph.initializers.reduce((s, t) => s + t.byteLength, 0);
    const tables = info.graph.initializers.filter((t) => t.name === 'wte' || t.name === 'wpe').reduce((s, t) => s + t.byteLength, 0);
    const rows = 2 * batch * TINY.d * 4; // one token row and one position row per sequence
    assert.strictEqual(f.weightBytesRead, all - tables + rows);
    assert.strictEqual(f.decode.bytesPerToken, (f.weightBytesRead + (6 + 1) * batch * f.kvCacheBytesPerToken) / batch);
    assert.strictEqual(f.kvCacheBytes, f.kvCacheBytesPerToken * 64 * batch);
    assert.ok(f.decode.flopsPerByte < f.prefill.flopsPerByte, 'decode is the memory-bound phase');
  });

  it('comes with the analysis (JSON summary and hover) at the configured generation settings', () => {
    const report = analyzeModelFile(tinyFile(), mergeConfig({ generation: { promptTokens: 7, outputTokens: 3 } }));
    const g = report.summary!.generation!;
    assert.deepStrictEqual(g.settings, { promptTokens: 7, outputTokens: 3, batch: 1, contextLength: 10 });
    assert.strictEqual(g.prefill.tokens, 7);
    assert.match(summaryMarkdown('tiny', report.summary!), /Decode \(per token at 8 past\)/);
  });
});

describe('generation settings', () => {
  it('defaults the context to prompt + output', () => {
    assert.deepStrictEqual(resolveGeneration({ promptTokens: 100 }), { promptTokens: 100, outputTokens: 128, batch: 1, contextLength: 228 });
  });
  it('reports wrong values and unknown keys, keeps the good ones', () => {
    const problems: string[] = [];
    assert.deepStrictEqual(parseGenerationSettings({ promptTokens: 0, outputTokens: 16, tokens: 3 }, 'f', problems), { outputTokens: 16 });
    assert.strictEqual(problems.length, 2);
    assert.deepStrictEqual(parseConfig({ generation: { batch: 4 } }, 'f').generation, { batch: 4 });
  });
});

describe('A/B samples of a decoder', () => {
  it('take the analysis\' dims: an empty past and a mask over past + sequence, so the shapes agree', () => {
    const [sample] = synthesizeSamples(readModelFile(tinyFile()), 1);
    assert.deepStrictEqual(sample['past_key_values.0.key'].dims, [1, TINY.heads, 0, TINY.headDim]);
    assert.deepStrictEqual(sample.attention_mask.dims, sample.input_ids.dims);
  });
});
