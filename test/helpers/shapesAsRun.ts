/** A model benchmarked with profiling and no graph optimisation: its static shapes against the trace's. */
import * as assert from 'assert';
import * as path from 'path';
import { runBenchmark } from '../../server/src/bench/runner';
import { checkShapesAsRun, dimsOfRun } from '../../server/src/bench/shapesAsRun';
import type { BenchResult } from '../../server/src/bench/types';
import { readModelFile } from '../../server/src/onnx/reader';
import { inferShapes } from '../../server/src/onnx/shapes';

const quick = { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 10, profile: true, session: { graphOptimizationLevel: 'disabled' as const } };

/** Runs `file` with inputs synthesized at no dims (as `bench` does) and checks every profiled node's output shapes. */
export async function shapesAgainstRun(file: string): Promise<{ agreed: number; skipped: number; result: BenchResult }> {
  const r = await runBenchmark(file, quick);
  const model = readModelFile(file);
  const check = checkShapesAsRun(model, inferShapes(model, dimsOfRun(model, r.inputs)), r.profile!.nodes);
  assert.deepStrictEqual(check.mismatches, [], `${path.basename(file)}: static shapes that differ from the run`);
  assert.ok(check.agreed > 0, `${path.basename(file)}: nothing compared`);
  return { agreed: check.agreed, skipped: check.skipped.length, result: r };
}
