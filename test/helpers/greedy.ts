/**
 * The independent check of a decode loop: one full forward over prompt + generated ids (empty cache,
 * run in the benchmark child like any model) and the argmax at each position from the prompt's last on.
 */
import { runModel } from '../../server/src/bench/runner';
import type { InputTensor } from '../../server/src/bench/inputs';
import type { GenerativeModel } from '../../server/src/onnx/generative';

export async function greedyFromFullForward(file: string, g: GenerativeModel, prompt: number[], generated: number[]): Promise<{ ids: number[]; top: number[] }> {
  const tokens = [...prompt, ...generated.slice(0, -1)];
  const n = tokens.length;
  const ints = (name: string, values: number[]): InputTensor => ({ name, type: 'int64', dims: [1, values.length], data: BigInt64Array.from(values, (v) => BigInt(v)), fill: 'given' });
  const inputs: InputTensor[] = [ints(g.inputIds, tokens)];
  if (g.attentionMask) inputs.push(ints(g.attentionMask, tokens.map(() => 1)));
  if (g.positionIds) inputs.push(ints(g.positionIds, tokens.map((_, i) => i)));
  for (const p of g.past) {
    for (const name of new Set([p.key, p.value])) {
      const dims = [1, g.kvHeads, 0, g.headDim];
      inputs.push({ name, type: 'float32', dims, data: new Float32Array(0), fill: 'empty' });
    }
  }
  const { outputs } = await runModel(file, { warmupRuns: 0, minRuns: 1 }, inputs);
  const logits = outputs.find((o) => o.name === g.logits)!;
  const V = logits.dims[2];
  const data = logits.data as Float32Array;
  const ids: number[] = [], top: number[] = [];
  for (let pos = prompt.length - 1; pos < n; pos++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (data[pos * V + v] > data[pos * V + best]) best = v;
    ids.push(best);
    top.push(data[pos * V + best]);
  }
  return { ids, top };
}
