/**
 * ONNX011's fix, in a copy: symbolic input dims given a value (--dims or the configuration) become
 * fixed in the file, as SessionOptions.add_free_dimension_override_by_name would at load, so the
 * runtime can plan memory statically. Opt-in: the copy no longer accepts other sizes.
 */
import type { onnx } from 'onnx-proto';
import type { Pass, PassContext, PassResult } from './pass';

function pin(v: onnx.IValueInfoProto, dims: Record<string, number>): number {
  let n = 0;
  for (const d of v.type?.tensorType?.shape?.dim ?? []) {
    const value = d.dimParam ? dims[d.dimParam] : undefined;
    if (value === undefined) continue;
    delete d.dimParam;
    d.dimValue = value;
    n++;
  }
  return n;
}

function run(ctx: PassContext): PassResult {
  const names = Object.keys(ctx.dims);
  if (!names.length) return { changed: 0, notes: ['no dims to pin: give them with --dims name=value (or "dims" in inference-lens.json)'] };
  const g = ctx.model.graph;
  let changed = 0;
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) changed += pin(v, ctx.dims);
  return { changed, notes: changed ? [`pinned ${names.map((k) => `${k}=${ctx.dims[k]}`).join(', ')} (${changed} dims): this copy accepts only these sizes`] : [] };
}

export const PIN_DIMS: Pass = { rule: 'ONNX011', title: 'Pin symbolic dims', default: false, run };
