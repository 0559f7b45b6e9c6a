/**
 * A decoder's A/B is judged on its generated tokens: greedy generations from several prompts in the
 * benchmark child (the decode loop of `bench --generate`), token agreement, first divergence per
 * prompt, logits cosine over the steps both models took on the same tokens. On the in-repo tiny
 * decoder (npm test); the shared decoders are in test/models/quantizeDecoder.test.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runGreedy } from '../../server/src/bench/runner';
import { readModelFile } from '../../server/src/onnx/reader';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { compareModels } from '../../server/src/quantize/ab';
import { runConversion } from '../../server/src/bench/runner';
import { abPrompts, compareGenerations, idAgreement } from '../../server/src/quantize/greedyAgreement';
import { renderAb } from '../../server/src/cli/quantize';
import { tempDir } from '../helpers/models';
import { TINY, tinyDecoder } from '../helpers/tinyDecoder';
import { greedyFromFullForward } from '../helpers/greedy';

const row = (...xs: number[]): Float32Array => Float32Array.from(xs);

describe('greedy token agreement (pure)', () => {
  it('agreement position by position and the first divergence', () => {
    assert.deepStrictEqual(idAgreement([1, 2, 3, 4], [1, 2, 3, 4]), { same: 1, firstDivergence: null });
    assert.deepStrictEqual(idAgreement([1, 2, 3, 4], [1, 5, 3, 6]), { same: 0.5, firstDivergence: 1 });
    assert.deepStrictEqual(idAgreement([7, 2], [1, 2]), { same: 0.5, firstDivergence: 0 });
  });

  it('compares the logits only up to the first divergence: after it the two models read different tokens', () => {
    const a = [{ ids: [0, 1, 0], logits: [row(1, 0), row(0, 1), row(1, 0)] }, { ids: [1, 1, 1], logits: [row(0, 1), row(0, 1), row(0, 1)] }];
    // Prompt 0 flips at step 1 (cosine of [0,1] and [1,0.5]), then its step 2 reads another token: left out.
    const b = [{ ids: [0, 0, 1], logits: [row(1, 0), row(1, 0.5), row(-1, 0)] }, { ids: [1, 1, 1], logits: [row(0, 2), row(0, 1), row(0, 3)] }];
    const g = compareGenerations([[5, 6], [7]], a, b);
    assert.strictEqual(g.tokenAgreement, 4 / 6);
    assert.deepStrictEqual(g.firstDivergence, [1, null]);
    assert.strictEqual(g.newTokens, 2);
    const flip = 0.5 / Math.sqrt(1.25);
    assert.ok(Math.abs(g.minStepCosine - flip) < 1e-12);
    assert.ok(Math.abs(g.perPrompt[0].logitsCosine - (1 + flip) / 2) < 1e-12);
    assert.ok(Math.abs(g.perPrompt[1].logitsCosine - 1) < 1e-12, 'a scaled logit row points the same way');
    assert.ok(Math.abs(g.logitsCosine - (1 + flip + 3) / 5) < 1e-12, 'the mean over the five calls compared');
    assert.deepStrictEqual(g.perPrompt.map((p) => [p.promptTokens, p.agreement]), [[2, 1 / 3], [1, 1]]);
    assert.throws(() => compareGenerations([[1]], a, b), /expected 1 generations/);
  });

  it('seeded prompts of 8 to 64 ids below the vocabulary, shortened to leave room in the context', () => {
    const p = abPrompts(64);
    assert.deepStrictEqual(p.map((x) => x.length), [8, 16, 32, 64]);
    assert.ok(p.flat().every((id) => id >= 1 && id < 64));
    assert.deepStrictEqual(abPrompts(64), p);
    assert.deepStrictEqual(abPrompts(64, 20).map((x) => x.length), [8, 16, 20, 20]);
  });
});

describe('decoder A/B on the tiny decoder (child processes)', function () {
  this.timeout(60000);
  let dir: string, file: string;
  before(() => {
    dir = tempDir();
    file = path.join(dir, 'tiny_decoder.onnx');
    fs.writeFileSync(file, tinyDecoder());
  });

  it('the tokens job generates what one full forward chooses, with the logits each id came from', async () => {
    const prompts = [[3, 14, 15, 9, 26, 5], [42]];
    const runs = await runGreedy(file, prompts, 6);
    const g = recognizeGenerative(readModelFile(file))!;
    for (const [i, r] of runs.entries()) {
      assert.strictEqual(r.ids.length, 7);
      assert.strictEqual(r.logits.length, 7);
      assert.deepStrictEqual(r.ids, (await greedyFromFullForward(file, g, prompts[i], r.ids)).ids);
      r.logits.forEach((l, k) => {
        assert.strictEqual(l.length, TINY.vocab);
        assert.strictEqual(l.indexOf(Math.max(...l)), r.ids[k], `prompt ${i} step ${k}: the id is the argmax of its logits`);
      });
    }
  });

  it('int8: the A/B carries token agreement over the generations, and the verdict follows it', async () => {
    const out = path.join(dir, 'tiny_decoder.int8.onnx');
    // The tiny weights are below the default size floor: convert them all.
    const summary = await runConversion(file, { method: 'int8-dynamic', out, minWeightElements: 0 });
    assert.ok(summary.nodesConverted >= 10, `converted ${summary.nodesConverted}`);
    const ab = await compareModels(file, out, { bench: false, count: 1, generation: { newTokens: 8 }, context: { method: 'int8-dynamic' } });
    const g = ab.generation!;
    assert.ok(g, 'a decoder A/B compares generations');
    assert.deepStrictEqual([g.prompts, g.newTokens, g.firstDivergence.length], [4, 8, 4]);
    // The same figures from the two models' own generations.
    const prompts = abPrompts(TINY.vocab);
    const [ra, rb] = [await runGreedy(file, prompts, 8), await runGreedy(out, prompts, 8)];
    const same = ra.reduce((s, r, i) => s + idAgreement(r.ids, rb[i].ids).same, 0) / prompts.length;
    assert.ok(Math.abs(g.tokenAgreement - same) < 1e-12);
    assert.deepStrictEqual(g.firstDivergence, ra.map((r, i) => idAgreement(r.ids, rb[i].ids).firstDivergence));
    assert.ok(g.logitsCosine > 0.9 && g.logitsCosine < 1, `int8 changes the logits a little: cosine ${g.logitsCosine}`);
    assert.strictEqual(ab.accurate, g.tokenAgreement >= ab.thresholds.minTokenAgreement);
    assert.match(ab.explanation.join('\n'), /Greedy generation from 4 prompt\(s\) \(8, 16, 32, 64 ids\), 8 step\(s\) each/);
    assert.match(renderAb(ab), /generated tokens: \d+\.\d% agree over 4 prompt\(s\) × 9 ids/);
  });

  it('a decoder whose tokens differ is less accurate; one that generates the same tokens agrees fully', async () => {
    const other = path.join(dir, 'tiny_decoder_other.onnx');
    fs.writeFileSync(other, tinyDecoder({ seed: 500 }));
    const ab = await compareModels(file, other, { bench: false, count: 1, generation: { newTokens: 4 } });
    assert.ok(ab.generation!.tokenAgreement < 0.9, `agreement ${ab.generation!.tokenAgreement}`);
    assert.strictEqual(ab.verdict, 'less accurate: keep the original');
    const self = await compareModels(file, file, { bench: false, count: 1, generation: { newTokens: 4 } });
    assert.deepStrictEqual([self.generation!.tokenAgreement, self.generation!.logitsCosine, self.generation!.firstDivergence], [1, 1, [null, null, null, null]]);
    assert.strictEqual(self.verdict, 'accurate (speed not measured)');
  });

  it('timed by decode tokens/s when benchmarked: the speed-up is the decode ratio, the prefill its own', async () => {
    const ab = await compareModels(file, file, { benchSeconds: 0.2, count: 1, generation: { newTokens: 4, promptTokens: 8 } });
    const [a, b] = [ab.perfA!.decode!, ab.perfB!.decode!];
    assert.deepStrictEqual([a.promptTokens, a.newTokens], [8, 4]);
    assert.ok(Math.abs(ab.speedup! - b.tokensPerSec / a.tokensPerSec) < 1e-12);
    assert.ok(Math.abs(ab.prefillSpeedup! - a.ttftMsP50 / b.ttftMsP50) < 1e-12);
    assert.match(ab.explanation.join('\n'), /Decode [\d.]+ → [\d.]+ tokens\/s/);
  });
});
