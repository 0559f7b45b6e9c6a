import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';

function check(ctx: ModelContext): Finding[] {
  const { model, config } = ctx;
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const input of model.graph.inputs) {
    if (inits.has(input.name)) continue;
    for (const d of input.shape ?? []) {
      if (typeof d !== 'string' || seen.has(d) || config.dims[d] !== undefined) continue;
      seen.add(d);
      out.push(modelFinding(UNSET_SYMBOLIC_DIMS.id,
        `dim '${d}' of input '${input.name}' has no value: cost and memory figures use a default. Set it in inference-lens.json ` +
        `("dims": {"${d}": …}); if production uses one value, pin it in ONNX Runtime too ` +
        `(SessionOptions.add_free_dimension_override_by_name("${d}", …)) so it can plan memory statically.`,
        { kind: 'tensor', name: input.name }));
    }
  }
  return out;
}

export const UNSET_SYMBOLIC_DIMS: ModelRule = {
  id: 'ONNX011',
  name: 'unset-symbolic-dims',
  target: 'model',
  defaultSeverity: 'hint',
  docs: {
    summary: 'A symbolic input dimension (batch, seq…) with no value in the configuration.',
    whatItDoes: 'Flags each symbolic dim name of the graph inputs, once, on the first input that uses it, when neither `inference-lens.json` nor the `inferenceLens.dims` setting gives it a value.',
    whyItCosts:
      'Without a value, per-node cost, activation memory and $ estimates rest on defaults, and ONNX Runtime cannot plan ' +
      'buffers statically: it allocates per call for every shape it has not seen. When production uses a fixed batch ' +
      'or sequence length, pinning it makes both the estimates and the runtime exact.',
    example: 'main_graph (\n   int64[batch,seq] input_ids\n)',
    useInstead: '// inference-lens.json\n{"dims": {"batch": 1, "seq": 128}}',
  },
  check,
};
