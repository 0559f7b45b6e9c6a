/** A benchmark result priced on the configured instance: the `cost` of `inference-lens bench` JSON. */
import type { BenchResult } from '../bench/types';
import type { Config } from '../config';
import { analyzeModelFile } from '../engine';
import { workFigures } from './figures';
import { performanceFromBench } from './measured';
import { CostJson, costJson, costReport } from './report';

export function benchCost(modelFile: string, result: BenchResult, config: Config): { cost: CostJson } | { error: string } {
  const perf = performanceFromBench(result);
  const report = analyzeModelFile(modelFile, config, perf);
  if (!report.summary) return { error: report.findings.map((f) => f.message).join('; ') || 'the model could not be read' };
  const res = costReport(workFigures(report.summary, report.cost), config, perf, result.generation);
  return 'error' in res ? res : { cost: costJson(res.report) };
}
