/**
 * The Evaluator constant folding needs, over an onnxruntime-node module the caller loaded: only the
 * benchmark worker (a child process) and tests load the runtime, never the language server.
 */
import type { Tensor } from 'onnxruntime-node';
import { DataType } from '../onnx/model';
import type { ConstantValue, Evaluator } from './pass';

type Ort = typeof import('onnxruntime-node');

const TYPES: Record<string, number> = {
  float32: DataType.FLOAT, float64: DataType.DOUBLE, float16: DataType.FLOAT16, int64: DataType.INT64, int32: DataType.INT32,
  int16: DataType.INT16, int8: DataType.INT8, uint8: DataType.UINT8, uint16: DataType.UINT16, uint32: DataType.UINT32,
  uint64: DataType.UINT64, bool: DataType.BOOL,
};

export function ortEvaluator(ort: Ort): Evaluator {
  return async (file) => {
    // Without graph optimizations: the runtime computes each node as written, nothing is rewritten first.
    const sess = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'] });
    try {
      const res = await sess.run({});
      const out: Record<string, ConstantValue> = {};
      for (const name of sess.outputNames) {
        const t = res[name] as Tensor;
        const dataType = TYPES[t.type];
        if (dataType === undefined) continue; // strings stay computed
        const d = t.data as ArrayBufferView;
        out[name] = { dataType, dims: [...t.dims], data: Buffer.from(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)) };
      }
      return out;
    } finally {
      await sess.release();
    }
  };
}

/** Writes the graph onnxruntime produces at `level` (its own fusions, constant folding) to `out`. */
export function ortSaver(ort: Ort): (input: string, out: string, level: 'basic' | 'extended') => Promise<void> {
  return async (input, out, level) => {
    const sess = await ort.InferenceSession.create(input, { graphOptimizationLevel: level, executionProviders: ['cpu'], optimizedModelFilePath: out });
    await sess.release();
  };
}
