/** ONNX006's fix: of identical initializers one is kept and the readers of the others read it. */
import { duplicateGroups } from '../onnx/duplicates';
import type { TensorInfo } from '../onnx/model';
import { MIN_DUPLICATE_BYTES } from '../rules/onnx/onnx006_duplicate_initializers';
import type { Pass, PassContext, PassResult } from './pass';
import { renameValue } from './rewire';

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  // Inputs and outputs are the signature: an initializer that is one keeps its name and its bytes.
  const fixed = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const sources = new Map<TensorInfo, string>();
  for (const i of g.inits) if (i.source && !i.produce && !fixed.has(i.name)) sources.set(i.source, i.name);
  let changed = 0;
  const drop = new Set<string>();
  for (const [keep, ...copies] of duplicateGroups(sources.keys(), MIN_DUPLICATE_BYTES)) {
    for (const c of copies) {
      renameValue(g, c.name, keep.name);
      drop.add(c.name);
      changed++;
    }
  }
  if (!changed) return { changed: 0, notes: [] };
  g.inits = g.inits.filter((i) => !drop.has(i.name));
  return { changed, notes: [`merged ${changed} duplicate initializer${changed > 1 ? 's' : ''} into the first copy`] };
}

export const MERGE_DUPLICATE_INITIALIZERS: Pass = { rule: 'ONNX006', title: 'Keep one copy of identical initializers', default: true, run };
