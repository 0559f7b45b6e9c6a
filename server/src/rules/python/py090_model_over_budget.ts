import type { Finding, PythonContext, PythonRule } from '../types';
import { modelSites } from '../../code/modelSites';
import { checkBudgets, costReport } from '../../cost/report';

function check(ctx: PythonContext): Finding[] {
  const b = ctx.config.cost.budgets;
  if (!ctx.models || !b || !Object.keys(b).length) return [];
  const out: Finding[] = [];
  for (const site of modelSites(ctx.tree, ctx.module.unit.node)) {
    const m = ctx.models(site.literal);
    if (!m) continue;
    const res = costReport(m.work, ctx.config, m.measured);
    if ('error' in res) continue;
    for (const v of checkBudgets(res.report)) out.push({ rule: PY090.id, range: site.callRange, message: `${site.literal}: ${v.message}` });
  }
  return out;
}

export const PY090: PythonRule = {
  id: 'PY090',
  name: 'model-load-over-budget',
  target: 'python',
  readsModels: true,
  defaultSeverity: 'warning',
  docs: {
    summary: 'Code loads a model that exceeds a budget: p95 latency, $ per 1k inferences, $ per month, or weight bytes.',
    whatItDoes:
      'At every call that loads an `.onnx` file named by a string literal (`ort.InferenceSession("m.onnx")`, ' +
      '`onnx.load("m.onnx")`), resolves the file (relative to the code, then the workspace roots), prices the model ' +
      'on the configured `instance` at the configured `traffic`, from the latest benchmark or the roofline estimate ' +
      '(the message says which), and reports each budget in `budgets` it exceeds and by how much.',
    whyItCosts:
      'Swapping a model in serving code changes latency and the bill; with a budget in the repository the change is ' +
      'flagged where the model is loaded, before review.',
    example:
      '```python\nsession = ort.InferenceSession("models/encoder.onnx")  # p95 33 ms (estimate) > p95Ms budget 10 ms\n```',
    useInstead:
      'Load a quantized or smaller model, serve it on the instance the diagnostic names, or raise the budget in ' +
      '`inference-lens.json` on purpose.',
  },
  check,
};
