import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { modelCost } from '../../server/src/onnx/cost';
import { defaultDim, dimExpression, evalDimExpression } from '../../server/src/onnx/dims';
import { inferShapes } from '../../server/src/onnx/shapes';
import { DataType } from '../../server/src/onnx/model';
import { floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { alternativeDims, analysisDims, synthesizeForModel } from '../../server/src/bench/inputs';
import { runBenchmark } from '../../server/src/bench/runner';
import { mergeConfig } from '../../server/src/config';
import { analyzeModelFile } from '../../server/src/engine';
import { audioModel, tempDir, writeModel } from '../helpers/benchModels';
import { analyzeSpec, ruleLines } from '../helpers/models';

const F = DataType.FLOAT;

describe('dims: defaults, expressions, fitting lengths', () => {
  it('parses and evaluates dim expressions; past lengths default to 0', () => {
    assert.deepStrictEqual(dimExpression('past_sequence_length + sequence_length'), ['past_sequence_length', '+', 'sequence_length']);
    assert.strictEqual(dimExpression('p2o.DynamicDimension.0'), undefined);
    assert.strictEqual(dimExpression('batch'), undefined);
    const v: Record<string, number> = { a: 3, b: 5 };
    assert.strictEqual(evalDimExpression(dimExpression('a + 2 * b - 1')!, (k) => v[k]), 12);
    assert.strictEqual(defaultDim('past_sequence_length', 2, 4), 0);
    assert.strictEqual(defaultDim('sequence_length', 1, 2), 128);
  });

  it('keeps a KV-cache attention mask consistent with past + new tokens', () => {
    const m = readModelBuffer(Buffer.from(require('onnx-proto').onnx.ModelProto.encode(model({
      nodes: [node('Identity', ['attention_mask'], ['y']), node('Identity', ['past'], ['p'])],
      inputs: [valueInfo('attention_mask', DataType.INT64, ['batch', 'past_len + seq']), valueInfo('past', F, ['batch', 2, 'past_len', 4]),
        valueInfo('ids', DataType.INT64, ['batch', 'seq'])],
      outputs: [valueInfo('y', DataType.INT64, ['batch', null]), valueInfo('p', F, ['batch', 2, null, 4])],
    })).finish()), 'mem.onnx');
    assert.deepStrictEqual(inferShapes(m).values.get('y')?.shape, [1, 128]);
    const decode = inferShapes(m, { past_len: 127, seq: 1 });
    assert.deepStrictEqual(decode.values.get('y')?.shape, [1, 128]);
    assert.deepStrictEqual(decode.values.get('p')?.shape, [1, 2, 127, 4]);
    assert.strictEqual(decode.dimsUsed['past_len + seq'], 128);
  });

  it('replaces a default audio length that makes a Conv degenerate, says why, and hints unnamed dims', () => {
    const file = writeModel(tempDir(), 'vad.onnx', audioModel());
    const report = analyzeModelFile(file, mergeConfig());
    const c = report.cost!;
    assert.strictEqual(c.dimsUsed['input[1]'], 512);
    assert.strictEqual(c.incomplete, undefined);
    assert.deepStrictEqual(c.degenerate, []);
    assert.match(c.dimNotes['input[1]'], /the default input\[1\]=1 does not fit the model \(Conv 'Conv_f': its kernel \[64\] is larger than its input \[1\]/);
    // (512 - 64) / 32 + 1 = 15 frames × 16 × 64, then 9 frames × 8 × 16 × 7.
    assert.strictEqual(c.macs, 15 * 16 * 64 + 9 * 8 * 16 * 7);
    const hints = ruleLines(report, 'ONNX011').map((x) => x.finding.message);
    assert.ok(hints.some((h) => /^dim 1 of input 'input' \(dynamic, unnamed\) has no value: cost and memory figures use 512\. The default/.test(h)), hints.join('\n'));
    assert.ok(hints.some((h) => /"dims": \{"h\[1\]": …\}/.test(h)));
  });

  it('reports degenerate shapes at dims the user set, and the figures as incomplete', () => {
    const file = writeModel(tempDir(), 'vad.onnx', audioModel());
    const report = analyzeModelFile(file, mergeConfig({ dims: { 'input[1]': 100 } }));
    assert.ok(report.cost!.incomplete);
    assert.match(report.cost!.incomplete!.reason, /degenerate shape at the dims used: Conv 'Conv_g': its kernel \[7\] is larger than its input \[2\]/);
    const [f] = ruleLines(report, 'ONNX011').filter((x) => /degenerate/.test(x.finding.message));
    assert.ok(f.line.includes('g = Conv'));
  });

  it('reports two dims that must be equal but were given different values (a mask against past + seq)', () => {
    const r = analyzeSpec({
      nodes: [node('Add', ['scores', 'mask'], ['y'])],
      inputs: [valueInfo('scores', F, ['batch', 'seq', 'past + seq']), valueInfo('mask', F, ['batch', 1, 'total'])],
      outputs: [valueInfo('y', F, ['batch', 'seq', 'total'])],
    }, mergeConfig({ dims: { past: 4, seq: 8, total: 8 } }));
    const [f] = ruleLines(r, 'ONNX011').filter((x) => /do not broadcast/.test(x.finding.message));
    assert.match(f.finding.message, /Add 'Add_y': inputs \[1, 8, 12\] and \[1, 1, 8\] do not broadcast \(axis 2: 12 vs 8\)/);
    assert.match(f.finding.message, /check the dims you set \("seq", "past", "total"\), or set "batch" in/);
    assert.strictEqual(ruleLines(analyzeSpec({
      nodes: [node('Add', ['scores', 'mask'], ['y'])],
      inputs: [valueInfo('scores', F, ['batch', 'seq', 'past + seq']), valueInfo('mask', F, ['batch', 1, 'past + seq'])],
      outputs: [valueInfo('y', F, ['batch', 'seq', 'past + seq'])],
    }), 'ONNX011').filter((x) => /broadcast/.test(x.finding.message)).length, 0);
  });

  it('does not flag empty tensors that are legitimate (a Slice to nothing, an empty constant)', () => {
    const r = analyzeSpec({
      nodes: [node('Conv', ['x', 'w'], ['y'])],
      initializers: [floatTensor('w', [4, 3, 3], seededFloats(36, 1))],
      inputs: [valueInfo('x', F, [1, 3, 16])], outputs: [valueInfo('y', F, [1, 4, 14])],
    });
    assert.ok(!ruleLines(r, 'ONNX011').length);
  });
});

describe('inputs that run', () => {
  it('synthesises audio, sample rate and recurrent state the way the analysis sizes them', () => {
    const m = readModelBuffer(audioModel(), 'vad.onnx');
    const { dims, notes } = analysisDims(m);
    assert.strictEqual(notes.length, 1);
    const s = synthesizeForModel(m, { dims });
    const byName = Object.fromEntries(s.tensors.map((t) => [t.name, t]));
    assert.deepStrictEqual(byName.input.dims, [1, 512]);
    assert.deepStrictEqual([byName.sr.dims, byName.sr.fill, Number((byName.sr.data as BigInt64Array)[0])], [[], 'value:16000', 16000]);
    assert.deepStrictEqual([byName.h.dims, byName.h.fill], [[2, 1, 8], 'zeros']);
    const at8k = synthesizeForModel(m, { dims: { ...dims, sr: 8000 } });
    assert.strictEqual(Number((at8k.tensors.find((t) => t.name === 'sr')!.data as BigInt64Array)[0]), 8000);
  });

  it('offers a bounded list of alternative lengths for the dims nobody set', () => {
    const m = readModelBuffer(audioModel(), 'vad.onnx');
    const used = analysisDims(m).dims;
    const alts = alternativeDims(m, {}, used);
    assert.ok(alts.length >= 1 && alts.length <= 4);
    for (const a of alts) {
      assert.notStrictEqual(a['input[1]'], 512);
      assert.strictEqual(a.sr, 16000, 'a scalar input is not a length');
      assert.strictEqual(a['input[0]'], 1, 'the batch stays');
    }
    assert.deepStrictEqual(alternativeDims(m, { 'input[1]': 512, 'h[1]': 1 }, used), []);
  });

  it('benchmarks the audio model without dims', async function () {
    this.timeout(60000);
    const file = writeModel(tempDir(), 'vad.onnx', audioModel());
    const r = await runBenchmark(file, { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 5 });
    assert.ok(r.runs >= 3);
    assert.deepStrictEqual(r.inputs.map((i) => [i.name, i.dims, i.fill]), [
      ['input', [1, 512], 'uniform01'], ['sr', [], 'value:16000'], ['h', [2, 1, 8], 'zeros'],
    ]);
    assert.ok(r.warnings.some((w) => /input\[1\]=512 is the first of/.test(w)), r.warnings.join('\n'));
  });
});
