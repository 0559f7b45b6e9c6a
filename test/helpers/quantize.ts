/** Quantization test helpers shared by test/unit/quantize.test.ts and test/models/quantize.test.ts. */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { compareModels } from '../../server/src/quantize/ab';
import { quantizeModel, QuantizeOptions } from '../../server/src/quantize/convert';
import { checkModel, pythonWithOnnx } from './pythonOnnx';
import { analyzeModelFile } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';

/** Rules about waste in the file: a conversion of ours must not add a finding of these to a model. */
const WASTE_RULES = ['ONNX000', 'ONNX004', 'ONNX005', 'ONNX006', 'ONNX007', 'ONNX008'];
const wasteFindings = (file: string): Set<string> =>
  new Set(analyzeModelFile(file, mergeConfig()).findings.filter((f) => WASTE_RULES.includes(f.rule)).map((f) => `${f.rule} ${f.message.replace(/'[^']*'/g, '…')}`));

export const hash = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Converts `src` into `dir`, then checks: the original untouched, every output agrees to `minCosine`, the checker passes, no waste finding added. */
export async function convertAndCheck(dir: string, src: string, o: QuantizeOptions, minCosine: number) {
  const model = path.basename(src);
  const before = hash(src);
  const out = path.join(dir, `${path.basename(model, '.onnx')}.${o.method}.onnx`);
  const summary = await quantizeModel(src, { ...o, out });
  assert.strictEqual(hash(src), before, 'the original must be untouched');
  assert.ok(summary.nodesConverted > 0, 'something was converted');
  const ab = await compareModels(src, out, { bench: false, count: 3 });
  for (const x of ab.outputs) assert.ok(x.cosine >= minCosine, `${model} ${o.method} ${x.name}: cosine ${x.cosine} < ${minCosine}`);
  if (pythonWithOnnx()) assert.strictEqual(checkModel(out), null);
  const had = wasteFindings(src);
  const added = [...wasteFindings(out)].filter((f) => !had.has(f));
  assert.deepStrictEqual(added, [], `${model} ${o.method}: findings the conversion caused`);
  return { summary, ab, out };
}

/** A little .npy writer for test samples (float32, C order). */
export function npy(data: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1'); pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
