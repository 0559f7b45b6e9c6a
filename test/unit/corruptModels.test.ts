/**
 * Corrupt-file suite: truncations and seeded byte flips of the real models must end in an
 * OnnxReadError or a model with problems, never in another exception, a hang, or a read beyond the file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OnnxReadError, readModelSource, INLINE_LIMIT } from '../../server/src/onnx/reader';
import { BufferSource } from '../../server/src/onnx/source';
import { CheckedSource } from '../helpers/fuzzModels';
import { allGraphs, ModelInfo } from '../../server/src/onnx/model';
import { summarize, weightTensors } from '../../server/src/onnx/summary';
import { modelCost } from '../../server/src/onnx/cost';
import { analyzeModelFile } from '../../server/src/engine';
import { defaultConfig } from '../../server/src/config';
import { SHARED_MODELS } from '../helpers/paths';
import { MODELS_SUITE, testModel } from '../helpers/testModels';

/** 32-bit LCG: the same flips on every machine. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

type Outcome = 'error' | 'problems' | 'clean';

/** Reads and analyses a (possibly corrupt) buffer; throws only on a failure of the contract. */
function attempt(buf: Buffer, label: string): Outcome {
  const src = new CheckedSource(buf);
  let m: ModelInfo;
  try {
    m = readModelSource(src, path.join(os.tmpdir(), 'corrupt.onnx'));
  } catch (e) {
    if (e instanceof OnnxReadError) { assert.ok(e.message.length > 10, label); return 'error'; }
    throw new Error(`${label}: ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
  }
  assert.ok(src.maxRead <= buf.length, label);
  for (const { tensor } of weightTensors(m)) {
    if (tensor.inline) assert.ok(tensor.inline.length <= INLINE_LIMIT, label);
    const loc = tensor.location;
    if (loc && !loc.external) assert.ok(loc.offset >= 0 && loc.offset + loc.length <= buf.length, `${label}: ${tensor.name}`);
  }
  try {
    summarize(m);
    const c = modelCost(m, {});
    assert.ok(Number.isFinite(c.macs) && Number.isFinite(c.flops) && Number.isFinite(c.peakActivationBytes), `${label}: non-finite cost`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    throw new Error(`${label}: analysis threw ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
  }
  let nodes = 0;
  for (const g of allGraphs(m.graph)) nodes += g.nodes.length;
  void nodes;
  return m.problems.length ? 'problems' : 'clean';
}

// `npm test` corrupts the in-repository models; `npm run test:models` runs this file again on the larger shared ones.
const MODELS: Record<string, string> = MODELS_SUITE
  ? Object.fromEntries(['squeezenet1_1.onnx', 'lstm_classifier.onnx', 'mobilenet_v2.onnx'].map((n) => [n, path.join(SHARED_MODELS, n)]))
  : Object.fromEntries(['silero_vad.onnx', 'ppocr_v4_det.onnx', 'mlp_mnist_like_external.onnx'].map((n) => [n, testModel(n)]));

/** Byte ranges holding weight data: flips there change numbers, not structure, so most flips go elsewhere. */
function structuralPositions(buf: Buffer, file: string): number[] {
  const m = readModelSource(new BufferSource(buf), file);
  const weight = new Uint8Array(buf.length);
  for (const { tensor } of weightTensors(m)) {
    const l = tensor.location;
    if (l && !l.external) weight.fill(1, l.offset, l.offset + l.length);
  }
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) if (!weight[i]) out.push(i);
  return out;
}

describe('corrupt models', function () {
  this.timeout(120000);

  for (const [name, file] of Object.entries(MODELS)) {
    it(`${name}: truncated anywhere → OnnxReadError or problems, every read inside the file`, () => {
      const buf = fs.readFileSync(file);
      const next = rng(name.length * 7919);
      const cuts = [1, 2, 3, 7, 16, 64, buf.length - 1, buf.length - 2, buf.length - 9];
      for (let i = 0; i < 40; i++) cuts.push(1 + Math.floor(next() * (buf.length - 1)));
      const outcomes: Record<Outcome, number> = { error: 0, problems: 0, clean: 0 };
      for (const cut of cuts) outcomes[attempt(buf.subarray(0, cut), `${name} cut at ${cut}`)]++;
      assert.ok(outcomes.error > cuts.length / 2, JSON.stringify(outcomes));
    });

    it(`${name}: seeded byte flips → OnnxReadError, problems or a model, never another exception`, () => {
      const clean = fs.readFileSync(file);
      const positions = structuralPositions(clean, file);
      const next = rng(0xC0FFEE ^ clean.length);
      const outcomes: Record<Outcome, number> = { error: 0, problems: 0, clean: 0 };
      const buf = Buffer.from(clean);
      for (let trial = 0; trial < 100; trial++) {
        const flips: number[] = [];
        const k = 1 + Math.floor(next() * 4);
        for (let j = 0; j < k; j++) {
          const at = next() < 0.85 ? positions[Math.floor(next() * positions.length)] : Math.floor(next() * clean.length);
          flips.push(at);
          buf[at] ^= 1 + Math.floor(next() * 255);
        }
        outcomes[attempt(buf, `${name} trial ${trial} flips at ${flips.join(',')}`)]++;
        for (const at of flips) buf[at] = clean[at];
      }
      assert.ok(outcomes.error + outcomes.problems > 0, JSON.stringify(outcomes));
    });
  }

  it('non-ONNX bytes end in OnnxReadError', () => {
    const next = rng(42);
    const samples = [
      Buffer.from('{"not": "onnx"}'), Buffer.alloc(1000), Buffer.from('\x89PNG\r\n\x1a\n'), Buffer.from('PK\x03\x04zipzip'),
      Buffer.from(Array.from({ length: 4096 }, () => Math.floor(next() * 256))), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    ];
    for (const b of samples) assert.strictEqual(attempt(b, `sample ${b.subarray(0, 8).toString('hex')}`), 'error');
  });

  it('the engine turns a corrupt model file into an ONNX000 finding and keeps going', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-corrupt-'));
    try {
      const buf = fs.readFileSync(testModel('mlp_mnist_like.onnx'));
      const file = path.join(tmp, 'cut.onnx');
      fs.writeFileSync(file, buf.subarray(0, 1234));
      const r = analyzeModelFile(file, defaultConfig());
      assert.deepStrictEqual(r.findings.map((f) => f.rule), ['ONNX000']);
      assert.match(r.findings[0].message, /byte \d+/);
      fs.writeFileSync(file, buf);
      assert.ok(analyzeModelFile(file, defaultConfig()).cost!.macs > 0);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });
});
