import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';
import { dimExpression } from '../../onnx/dims';

function check(ctx: ModelContext): Finding[] {
  const { model, config, cost } = ctx;
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const input of model.graph.inputs) {
    if (inits.has(input.name)) continue;
    (input.shape ?? []).forEach((d, axis) => {
      // Unnamed dynamic dims (`?`) are keyed `input[axis]`, as shapes.ts and bench read them.
      const named = typeof d === 'string';
      if (!named && typeof d === 'number' && d >= 0) return;
      const key = named ? d : `${input.name}[${axis}]`;
      if (seen.has(key) || config.dims[key] !== undefined) return;
      seen.add(key);
      const used = cost?.dimsUsed[key];
      const what = named ? `dim '${key}' of input '${input.name}'` : `dim ${axis} of input '${input.name}' (dynamic, unnamed)`;
      const src = cost?.dimSources?.[key];
      const value = used === undefined ? 'a default' : `${used}${src?.startsWith('metadata_props') ? ` (from the model's ${src})` : ''}`;
      const note = cost?.dimNotes[key] ? ` ${capitalise(cost.dimNotes[key])}.` : '';
      const pin = named
        ? ` if production uses one value, pin it in ONNX Runtime too (SessionOptions.add_free_dimension_override_by_name("${key}", …)) so it can plan memory statically.`
        : ' an unnamed dim cannot be pinned by name in ONNX Runtime: name it in the export (dynamic_axes) to pin it.';
      out.push(modelFinding(UNSET_SYMBOLIC_DIMS.id,
        `${what} has no value: cost and memory figures use ${value}.${note} Set it in inference-lens.json ("dims": {"${key}": …});${pin}`,
        { kind: 'tensor', name: input.name }));
    });
  }
  // Shapes that make no sense at the dims used: say where, and which dims feed them.
  const used = Object.keys(cost?.dimsUsed ?? {});
  const free = used.filter((k) => config.dims[k] === undefined && !dimExpression(k)).map((k) => `"${k}"`); // expressions follow their terms
  const set = used.filter((k) => config.dims[k] !== undefined).map((k) => `"${k}"`);
  const fix = [set.length ? `check the dims you set (${set.join(', ')})` : '', free.length ? `set ${free.join(' or ')}` : '']
    .filter(Boolean).join(', or ');
  for (const bad of (cost?.degenerate ?? []).slice(0, 3)) {
    out.push(modelFinding(UNSET_SYMBOLIC_DIMS.id,
      `degenerate shape at the dims used (${Object.entries(cost!.dimsUsed).map(([k, v]) => `${k}=${v}`).join(', ')}): ${bad.message}. ` +
      `The runtime would refuse these inputs and figures after this node do not hold; ${fix || 'set the input dims'} in inference-lens.json ("dims") to the sizes the model is served with.`,
      { kind: 'node', node: bad.node }));
  }
  return out;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const UNSET_SYMBOLIC_DIMS: ModelRule = {
  id: 'ONNX011',
  name: 'unset-symbolic-dims',
  target: 'model',
  defaultSeverity: 'hint',
  docs: {
    summary: 'A dynamic input dimension (batch, seq…, named or not) with no value in the configuration, or dims at which shapes degenerate.',
    whatItDoes:
      'Flags each symbolic dim name of the graph inputs, once, on the first input that uses it, when neither `inference-lens.json` ' +
      'nor the `inferenceLens.dims` setting gives it a value; an unnamed dynamic dim (`?`) is flagged as `input[axis]`, the key ' +
      'that sets it. The message gives the value the figures use, and why when a default was replaced because it did not fit ' +
      'the model (an audio window shorter than the first convolution kernel). When shapes still degenerate at the dims used ' +
      '(a zero or negative dim, a kernel larger than its input, elementwise inputs whose dims must be equal but are not, as a ' +
      'KV-cache mask against past + new tokens), it flags the node and names the dims to set or check.',
    whyItCosts:
      'Without a value, per-node cost, activation memory and $ estimates rest on defaults, and ONNX Runtime cannot plan ' +
      'buffers statically: it allocates per call for every shape it has not seen. When production uses a fixed batch ' +
      'or sequence length, pinning it makes both the estimates and the runtime exact.',
    example: 'main_graph (\n   int64[batch,seq] input_ids\n)',
    useInstead: '// inference-lens.json\n{"dims": {"batch": 1, "seq": 128}}',
    fix: '`inference-lens optimize model.onnx --only ONNX011 --dims batch=1,seq=128` (or the quick fix, which names the dims it pins) writes a copy with those dims fixed, as add_free_dimension_override_by_name would at load; the copy accepts only those sizes.',
  },
  check,
};
