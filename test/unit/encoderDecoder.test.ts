/**
 * Encoder-decoder pairs: the files of an Optimum / transformers.js seq2seq export recognised by name,
 * the decoder's cross-attention cache in its generation figures, ONNX014 silent on a first-step decoder
 * whose with-past sibling exists. On a tiny pair built by code (test/helpers/tinySeq2Seq.ts), checked
 * in onnxruntime: the with-past decoder continues what the first step started.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cachedSibling, pairFromNames } from '../../server/src/onnx/encoderDecoder';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { generationFigures, meanPast, resolveGeneration } from '../../server/src/onnx/generation';
import { readModelFile } from '../../server/src/onnx/reader';
import { summaryMarkdown } from '../../server/src/onnx/summary';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { runBenchmark, runModel } from '../../server/src/bench/runner';
import type { InputTensor } from '../../server/src/bench/inputs';
import { runCli } from '../helpers/cli';
import { TINY } from '../helpers/tinyDecoder';
import { tinySeq2SeqDecoderMacs, tinySeq2SeqFiles } from '../helpers/tinySeq2Seq';

describe('encoder-decoder pairs by file name (pure)', () => {
  const optimum = ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx', 'config.json'];
  it('Optimum\'s three files: each knows its role, its form and the others, first step first', () => {
    assert.deepStrictEqual(pairFromNames('decoder_with_past_model.onnx', optimum), {
      role: 'decoder', form: 'with-past', encoder: 'encoder_model.onnx',
      decoders: [{ file: 'decoder_model.onnx', form: 'first-step' }, { file: 'decoder_with_past_model.onnx', form: 'with-past' }],
    });
    assert.strictEqual(pairFromNames('encoder_model.onnx', optimum)?.role, 'encoder');
    assert.strictEqual(cachedSibling('decoder_model.onnx', optimum), 'decoder_with_past_model.onnx');
    assert.strictEqual(cachedSibling('decoder_with_past_model.onnx', optimum), undefined, 'only a first step has a cached sibling');
  });
  it('transformers.js variants pair with the same suffix only; a merged decoder counts as cached', () => {
    const names = ['encoder_model_quantized.onnx', 'decoder_model_merged_quantized.onnx', 'encoder_model.onnx', 'decoder_model.onnx'];
    assert.deepStrictEqual(pairFromNames('decoder_model_merged_quantized.onnx', names), {
      role: 'decoder', form: 'merged', encoder: 'encoder_model_quantized.onnx', decoders: [{ file: 'decoder_model_merged_quantized.onnx', form: 'merged' }],
    });
    assert.strictEqual(cachedSibling('decoder_model.onnx', names), undefined, 'the plain decoder_model has no cached sibling of its variant');
    assert.strictEqual(cachedSibling('decoder_model_quantized.onnx', [...names, 'decoder_model_quantized.onnx']), 'decoder_model_merged_quantized.onnx');
  });
  it('no pair without both halves, nor for other names; a decoder-only export still has its cached sibling', () => {
    assert.strictEqual(pairFromNames('decoder_model.onnx', ['decoder_model.onnx', 'decoder_with_past_model.onnx']), undefined);
    assert.strictEqual(cachedSibling('decoder_model.onnx', ['decoder_model.onnx', 'decoder_with_past_model.onnx']), 'decoder_with_past_model.onnx');
    assert.strictEqual(pairFromNames('encoder_model.onnx', ['encoder_model.onnx', 'model.onnx']), undefined);
    assert.strictEqual(pairFromNames('model.onnx', optimum), undefined);
  });
});

describe('a tiny encoder-decoder export (built by code)', function () {
  this.timeout(60000);
  let dir: string;
  const file = (name: string): string => path.join(dir, name);
  // A folder of its own: the pair is read from the names beside each file.
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-seq2seq-'));
    for (const [name, bytes] of Object.entries(tinySeq2SeqFiles())) fs.writeFileSync(file(name), bytes);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the with-past decoder: its self cache per token, its cross-attention cache per encoder token, the encoder length dim', () => {
    const g = recognizeGenerative(readModelFile(file('decoder_with_past_model.onnx')))!;
    assert.deepStrictEqual([g.layers, g.heads, g.kvHeads, g.headDim, g.vocab, g.headsFrom], [TINY.layers, TINY.heads, TINY.heads, TINY.headDim, TINY.vocab, 'scores']);
    assert.deepStrictEqual(g.past.map((p) => p.key), ['past_key_values.0.decoder.key', 'past_key_values.1.decoder.key']);
    assert.strictEqual(g.dims.encoder, 'encoder_sequence_length');
    assert.strictEqual(g.attentionMask, undefined, 'the encoder\'s mask is not the decoder\'s');
    const perToken = 2 * TINY.layers * TINY.heads * TINY.headDim * 4;
    assert.strictEqual(g.kvCacheBytesPerToken, perToken);
    assert.strictEqual(g.cross!.bytesPerEncoderToken, perToken);
    assert.deepStrictEqual(g.cross!.past.map((p) => p.value), ['past_key_values.0.encoder.value', 'past_key_values.1.encoder.value']);
    assert.strictEqual(recognizeGenerative(readModelFile(file('encoder_model.onnx'))), undefined);
  });

  it('generation figures: decode MACs with cross-attention exact, the cross cache in the KV cache and in every step\'s bytes', () => {
    const m = readModelFile(file('decoder_with_past_model.onnx'));
    const g = recognizeGenerative(m)!;
    const settings = { promptTokens: 12, outputTokens: 6 };
    const f = generationFigures(m, g, settings);
    const past = meanPast(resolveGeneration(settings));
    assert.strictEqual(f.decode.macsPerToken, tinySeq2SeqDecoderMacs(1, past, 12));
    assert.strictEqual(f.prefill.macs, tinySeq2SeqDecoderMacs(12, 0, 12));
    const cross = g.cross!.bytesPerEncoderToken * 12;
    assert.deepStrictEqual(f.cross, { encoderTokens: 12, kvBytesPerEncoderToken: g.cross!.bytesPerEncoderToken, kvCacheBytes: cross });
    assert.strictEqual(f.kvCacheBytes, g.kvCacheBytesPerToken * 18 + cross);
    const without = generationFigures(m, { ...g, cross: undefined }, settings);
    assert.strictEqual(f.decode.bytesPerToken - without.decode.bytesPerToken, cross);
  });

  it('analyze: each file names its pair (summary, hover, CLI JSON); ONNX014 only on a first-step decoder left alone', () => {
    const config = mergeConfig({});
    const dec = analyzeModelFile(file('decoder_with_past_model.onnx'), config);
    assert.deepStrictEqual([dec.summary!.encoderDecoder?.role, dec.summary!.encoderDecoder?.form, dec.summary!.encoderDecoder?.encoder], ['decoder', 'with-past', 'encoder_model.onnx']);
    const md = summaryMarkdown('decoder_with_past_model.onnx', dec.summary!);
    assert.match(md, /Decoder of an encoder-decoder pair \(later steps, with the cache\): encoder encoder_model\.onnx; decoders decoder_model\.onnx \(first step\), decoder_with_past_model\.onnx/);
    assert.match(md, /Cross-attention cache: 256 B\/encoder token, 32\.0 KiB at 128 encoder tokens × batch 1/);
    assert.strictEqual(analyzeModelFile(file('encoder_model.onnx'), config).summary!.encoderDecoder?.role, 'encoder');
    const first = analyzeModelFile(file('decoder_model.onnx'), config);
    assert.ok(!first.findings.some((x) => x.rule === 'ONNX014'), 'its with-past sibling holds the cache');
    const alone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'il-alone-')), 'decoder_model.onnx');
    fs.copyFileSync(file('decoder_model.onnx'), alone);
    try {
      assert.match(analyzeModelFile(alone, config).findings.find((x) => x.rule === 'ONNX014')!.message, /returns the KV cache \(present\.0\.decoder\.key.*text2text-generation-with-past/);
    } finally {
      fs.rmSync(path.dirname(alone), { recursive: true, force: true });
    }
    const r = runCli('analyze', dir, '--format', 'json');
    const models = (JSON.parse(r.stdout) as { files: Array<{ path: string; model?: { encoderDecoder?: { role: string } } }> }).files;
    assert.deepStrictEqual(models.map((x) => [path.basename(x.path), x.model?.encoderDecoder?.role]).sort(),
      [['decoder_model.onnx', 'decoder'], ['decoder_with_past_model.onnx', 'decoder'], ['encoder_model.onnx', 'encoder']]);
  });

  it('in onnxruntime the with-past decoder continues the first step: the pair computes one function', async () => {
    const ints = (name: string, values: number[]): InputTensor => ({ name, type: 'int64', dims: [1, values.length], data: BigInt64Array.from(values, BigInt), fill: 'given' });
    const source = [7, 3, 12, 40, 5];
    const enc = await runModel(file('encoder_model.onnx'), {}, [ints('input_ids', source), ints('attention_mask', source.map(() => 1))]);
    const hidden = enc.outputs.find((o) => o.name === 'last_hidden_state')!;
    const mask = ints('encoder_attention_mask', source.map(() => 1));
    const step0 = (ids: number[]) => runModel(file('decoder_model.onnx'), {}, [ints('input_ids', ids), mask, { ...hidden, name: 'encoder_hidden_states' }]);
    const full = await step0([0, 9, 21]);
    const start = await step0([0, 9]);
    const past = start.outputs.filter((o) => o.name.startsWith('present.')).map((o) => ({ ...o, name: o.name.replace('present.', 'past_key_values.') }));
    const next = await runModel(file('decoder_with_past_model.onnx'), {}, [ints('input_ids', [21]), mask, ...past]);
    const last = (o: InputTensor[]): Float32Array => { const l = o.find((x) => x.name === 'logits')!; return (l.data as Float32Array).slice(-TINY.vocab); };
    const [a, b] = [last(full.outputs), last(next.outputs)];
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-4, `logit ${i}: ${x} vs ${b[i]}`));
    assert.ok(new Set(Array.from(a, (x) => x.toFixed(3))).size > 10, 'the logits are not flat');
  });

  it('bench --generate refuses the pair\'s decoder with one clear line', async () => {
    await assert.rejects(runBenchmark(file('decoder_with_past_model.onnx'), { warmupRuns: 0, minRuns: 1, minTimeS: 0, generate: { promptTokens: 4, newTokens: 2 } }),
      /decoder_with_past_model\.onnx is the decoder of an encoder-decoder pair \(it reads past_key_values\.0\.encoder\.key\): --generate times decoder-only models/);
  });
});
