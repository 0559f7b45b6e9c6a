import { allGraphs } from '../../onnx/model';
import { duplicateGroups } from '../../onnx/duplicates';
import { formatBytes } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';

/**
 * Duplicates smaller than this are not worth a finding: scalars, shapes, and the per-channel scales and
 * zero points a QDQ quantizer writes beside each weight (1 KiB for 1024 int8 channels), which cost
 * nothing next to the weights and which our own `quantize` emits.
 */
export const MIN_DUPLICATE_BYTES = 4096;

function check(ctx: ModelContext): Finding[] {
  const initializers = [...allGraphs(ctx.model.graph)].flatMap((g) => g.initializers);
  const out: Finding[] = [];
  for (const [first, ...copies] of duplicateGroups(initializers, MIN_DUPLICATE_BYTES)) {
    for (const t of copies) {
      out.push(modelFinding(DUPLICATE_INITIALIZERS.id,
        `initializer '${t.name}' holds the same ${formatBytes(t.byteLength)} as '${first.name}': store it once and point both readers at one name.`,
        { kind: 'tensor', name: t.name }));
    }
  }
  return out;
}

export const DUPLICATE_INITIALIZERS: ModelRule = {
  id: 'ONNX006',
  name: 'duplicate-initializers',
  target: 'model',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Initializers whose bytes are identical to another initializer\'s (tied weights stored twice).',
    whatItDoes:
      'Groups initializers of at least 4 KiB (smaller copies, such as a QDQ model\'s per-channel zero points, stay silent) by type, shape and stored length, then hashes only those groups, streaming ' +
      'the bytes from disk tensor by tensor. Each copy after the first is flagged with the name it duplicates.',
    whyItCosts:
      'Exporters often unroll tied weights (an embedding shared with the LM head, an encoder shared across steps) into ' +
      'separate copies: the file, the download and the session\'s memory grow by every copy, for no change in output.',
    example: '<float[30522,256] embeddings.word_embeddings.weight, float[30522,256] lm_head.weight>   # same bytes',
    useInstead: 'Keep one initializer and rename the second one\'s readers to it (onnx-simplifier or a short onnx.helper script does this).',
    fix: '`inference-lens optimize model.onnx --only ONNX006` (or the quick fix) writes a copy that keeps the first of each group of identical initializers and points the readers of the others at it. "Optimize model" includes it.',
  },
  check,
};
