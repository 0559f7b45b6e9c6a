/** The shared decoders' prefill and decode figures against the architecture's analytic count (their README). */
import * as assert from 'assert';
import * as path from 'path';
import { readModelFile } from '../../server/src/onnx/reader';
import { recognizeGenerative } from '../../server/src/onnx/generative';
import { generationFigures } from '../../server/src/onnx/generation';
import { decoderWithoutCache } from '../../server/src/onnx/generative';
import { SHARED_MODELS } from '../helpers/paths';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';

interface Arch { file: string; kind: 'gpt2' | 'llama'; L: number; d: number; H: number; Hkv: number; hd: number; F: number; V: number }
const ARCH: Arch[] = [
  { file: 'decoder_gpt2_tiny.onnx', kind: 'gpt2', L: 4, d: 256, H: 4, Hkv: 4, hd: 64, F: 1024, V: 8192 },
  { file: 'decoder_llama_tiny.onnx', kind: 'llama', L: 4, d: 256, H: 8, Hkv: 2, hd: 32, F: 688, V: 8192 },
];

/** MACs of one call (batch 1) with s new tokens after P past ones: the formulas of the models' README. */
function analyticMacs(a: Arch, s: number, P: number): number {
  const T = P + s;
  const layer = a.kind === 'gpt2'
    ? 3 * s * a.d * a.d + s * a.d * a.d + 2 * s * T * a.H * a.hd + 2 * s * a.d * a.F
    : 2 * s * a.d * a.H * a.hd + 2 * s * a.d * a.Hkv * a.hd + 2 * s * T * a.H * a.hd + 3 * s * a.d * a.F;
  return a.L * layer + s * a.d * a.V;
}

describe('shared decoders: generative structure and two-phase figures', () => {
  for (const a of ARCH) {
    it(`${a.file}: architecture read from the graph; KV bytes exact, decode MACs/token within 1 %`, () => {
      const m = readModelFile(path.join(SHARED_MODELS, a.file));
      const g = recognizeGenerative(m)!;
      assert.deepStrictEqual([g.layers, g.heads, g.kvHeads, g.headDim, g.vocab], [a.L, a.H, a.Hkv, a.hd, a.V]);
      assert.strictEqual(decoderWithoutCache(m), undefined);
      // Decode at past 127 is the README's figure; past = prompt + half the output tokens.
      for (const [prompt, output, P] of [[127, 1, 127], [128, 1, 128], [16, 48, 40]]) {
        const f = generationFigures(m, g, { promptTokens: prompt, outputTokens: output });
        assert.strictEqual(f.kvCacheBytesPerToken, 2 * a.L * a.Hkv * a.hd * 4);
        assert.strictEqual(f.decode.pastTokens, P);
        const want = analyticMacs(a, 1, P);
        assert.ok(Math.abs(f.decode.macsPerToken - want) / want < 0.01, `decode at past ${P}: ${f.decode.macsPerToken} vs ${want}`);
        const pre = analyticMacs(a, prompt, 0);
        assert.ok(Math.abs(f.prefill.macs - pre) / pre < 0.01, `prefill of ${prompt}: ${f.prefill.macs} vs ${pre}`);
      }
    });
  }
});

describe('quantization advice for the shared decoders (ONNX001)', () => {
  it('says where weight-only quantization pays for a decoder and how to judge it', () => {
    const r = analyzeModelFile(path.join(SHARED_MODELS, 'decoder_llama_tiny.onnx'), mergeConfig());
    const f = r.findings.find((x) => x.rule === 'ONNX001')!;
    assert.match(f.message, /decoder with a KV cache: weight-only quantization pays at decode, which is memory-bound/);
    assert.match(f.message, /bench --generate/);
  });
});
