/**
 * "Save as ONNX Runtime-optimized": the graph onnxruntime builds at the `extended` level (constant
 * folding, redundant-node removal, its CPU fusions: Gelu/BiasGelu, FusedMatMul, FusedGemm,
 * LayerNormalization...) saved once, so deployments can load it with optimizations off and skip that
 * work at every session start. Written to a temp file beside the target and renamed into place.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readModelFile } from '../onnx/reader';
import { modelFiles, modelSize } from '../quantize/convert';
import type { OptimizeSummary } from './optimize';

export type OrtSaver = (input: string, out: string, level: 'basic' | 'extended') => Promise<void>;

/** What carries over to another machine and what does not (shown with every saved model). */
export const ORT_PORTABILITY = [
  "portable: to another machine with the same onnxruntime version (or newer) running the CPU execution provider; load it with graphOptimizationLevel 'disabled' (or 'basic') to skip the work at session start",
  "not portable: to other runtimes (it holds com.microsoft ops only onnxruntime runs), reliably to other execution providers (CUDA, TensorRT, ...: fusions were chosen for the CPU one), or to older onnxruntime versions; the 'all' level is not offered because its NCHWc layout depends on this CPU's vector width",
];

export function defaultOrtPath(input: string): string {
  const p = path.parse(input);
  return path.join(p.dir, `${p.name}.ort.onnx`);
}

function opCounts(file: string): { nodes: number; ops: Record<string, number> } {
  const m = readModelFile(file);
  const ops: Record<string, number> = {};
  for (const n of m.graph.nodes) { const k = `${n.domain ? n.domain + '.' : ''}${n.opType}`; ops[k] = (ops[k] ?? 0) + 1; }
  return { nodes: m.graph.nodes.length, ops };
}

export async function saveOrtOptimized(input: string, outFile: string | undefined, save: OrtSaver): Promise<OptimizeSummary> {
  const t0 = performance.now();
  const src = readModelFile(input);
  if (src.problems.length) throw new Error(`${path.basename(input)} cannot be optimized: ${src.problems[0].message}`);
  const out = path.resolve(outFile ?? defaultOrtPath(input));
  const originals = new Set(modelFiles(src).map((f) => path.resolve(f)));
  if (originals.has(out)) throw new Error(`refusing to write ${out}: it is the original model; choose another --out`);
  // The temp name keeps the .onnx extension: onnxruntime picks the format (ONNX vs ORT) from it.
  const tmp = path.join(path.dirname(out), `${path.basename(out)}.tmp-${process.pid}-${Date.now()}.onnx`);
  try {
    await save(path.resolve(input), tmp, 'extended');
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const before = opCounts(input), after = opCounts(out);
  return {
    input: path.resolve(input), output: out,
    passes: [{ rule: 'ORT', title: "ONNX Runtime's 'extended' graph optimizations, saved", changed: before.nodes - after.nodes, notes: [...ORT_PORTABILITY] }],
    nodesBefore: before.nodes, nodesAfter: after.nodes, opsBefore: before.ops, opsAfter: after.ops,
    bytesBefore: modelSize(src), bytesAfter: fs.statSync(out).size, seconds: (performance.now() - t0) / 1000,
  };
}
