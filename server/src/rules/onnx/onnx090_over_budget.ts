import type { Finding, ModelContext, ModelRule } from '../types';
import { FILE_RANGE } from './onnx000_unreadable_model';
import { workFigures } from '../../cost/figures';
import { checkBudgets, costReport } from '../../cost/report';
import { summarize } from '../../onnx/summary';

function check(ctx: ModelContext): Finding[] {
  const b = ctx.config.cost.budgets;
  if (!b || !Object.keys(b).length) return [];
  const work = workFigures(summarize(ctx.model), ctx.cost);
  const res = costReport(work, ctx.config, ctx.measured);
  if ('error' in res) {
    // Only the size budget can be checked without performance figures.
    if (b.modelBytes !== undefined && work.weightBytes > b.modelBytes) {
      return [{ rule: ONNX090.id, range: FILE_RANGE, message: `weights ${work.weightBytes} bytes exceed the modelBytes budget of ${b.modelBytes} bytes` }];
    }
    return [];
  }
  return checkBudgets(res.report).map((v) => ({ rule: ONNX090.id, range: FILE_RANGE, message: v.message }));
}

export const ONNX090: ModelRule = {
  id: 'ONNX090',
  name: 'model-over-budget',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'The model exceeds a budget set in inference-lens.json or settings: p95 latency, $ per 1k inferences, $ per month, or weight bytes.',
    whatItDoes:
      'Prices the model on the configured `instance` at the configured `traffic` and `utilization`, from the latest ' +
      'benchmark when there is one and from the roofline estimate otherwise (the message says which), and reports each ' +
      'budget in `budgets` (`p95Ms`, `costPer1k`, `monthlyCost`, `modelBytes`) it exceeds, by how much, and the cheapest ' +
      'catalog instance that would meet the p95 budget.',
    whyItCosts:
      'A model that is too slow or too expensive for its traffic is found in the bill or the latency dashboard after ' +
      'release; a budget in the repository makes it a diagnostic at the moment the model changes.',
    example:
      '```json\n{ "instance": "c7i.xlarge", "traffic": { "requestsPerSec": 50 },\n  "budgets": { "p95Ms": 10, "costPer1k": 0.001 } }\n```\n' +
      'with a 436 M-MAC encoder: `p95 latency 33 ms (estimate) on c7i.xlarge exceeds the p95Ms budget of 10 ms by 23 ms (+230%)`.',
    useInstead:
      'Quantize the model (int8 roughly halves CPU latency), choose the instance the diagnostic names, shorten the ' +
      'input, or raise the budget on purpose in `inference-lens.json`.',
  },
  check,
};
