/** A model file's cost estimate as `analyze` makes it (default configuration), with its MACs by precision. */
import { readModelFile } from '../../server/src/onnx/reader';
import { modelCost } from '../../server/src/onnx/cost';
import { summarize } from '../../server/src/onnx/summary';
import { workFigures } from '../../server/src/cost/figures';
import { costReport, CostReport } from '../../server/src/cost/report';
import { defaultConfig } from '../../server/src/config';

export function estimateOf(file: string, dims: Record<string, number> = {}): { report: CostReport; macs: number; byPrecision: Record<string, number> } {
  const model = readModelFile(file);
  const cost = modelCost(model, dims);
  const res = costReport(workFigures(summarize(model), cost), defaultConfig());
  if ('error' in res) throw new Error(res.error);
  return { report: res.report, macs: cost.macs, byPrecision: cost.macsByPrecision };
}
