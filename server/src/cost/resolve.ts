/**
 * The I/O edge of the cost model: from a model file (or a path written in code) to the plain
 * figures cost/report.ts takes, through the server's or CLI's model cache.
 */
import * as path from 'path';
import type { Config } from '../config';
import type { ModelCache } from '../modelRefs';
import { resolveModelPath } from '../modelRefs';
import { ModelResolver, ResolvedModel, workFigures } from './figures';
import type { Performance } from './model';
import { CostResult, costReport } from './report';

/** Where measurements come from (the benchmark results cache); none yet → estimates only. */
export type MeasuredLookup = (file: string, config: Config) => Performance | undefined;

export function resolveModelFile(file: string, models: ModelCache, config: Config, measured?: MeasuredLookup): ResolvedModel | undefined {
  const report = models.get(file, config);
  if (!report.model || !report.summary) return undefined;
  return { file, work: workFigures(report.summary, report.cost), measured: measured?.(file, config) };
}

export function modelResolver(codeFile: string, roots: string[], models: ModelCache, config: Config, measured?: MeasuredLookup): ModelResolver {
  return (literal) => {
    const file = resolveModelPath(literal, path.dirname(codeFile), roots);
    return file ? resolveModelFile(file, models, config, measured) : undefined;
  };
}

export function costOfFile(file: string, models: ModelCache, config: Config, measured?: MeasuredLookup): CostResult {
  const m = resolveModelFile(file, models, config, measured);
  if (!m) return { error: `${path.basename(file)} could not be read` };
  return costReport(m.work, config, m.measured);
}
