import { createHash } from 'crypto';
import { allGraphs, TensorInfo } from '../../onnx/model';
import { streamRange } from '../../onnx/source';
import { formatBytes } from '../../onnx/summary';
import type { Finding, ModelContext, ModelRule } from '../types';
import { modelFinding } from './graph';

/** Duplicates smaller than this (scalars, tiny shapes) are not worth a finding. */
const MIN_BYTES = 1024;

/** A digest of the tensor's stored bytes, streamed from disk; undefined when unreadable. */
export function tensorDigest(t: TensorInfo): string | undefined {
  const h = createHash('sha256');
  if (t.inline) return h.update(t.inline).digest('hex');
  const loc = t.location;
  if (!loc) return undefined;
  try {
    for (const chunk of streamRange(loc.file, loc.offset, loc.length)) h.update(chunk);
  } catch {
    return undefined; // ONNX000 reports unreadable tensors
  }
  return h.update(loc.encoding).digest('hex');
}

function check(ctx: ModelContext): Finding[] {
  // Only tensors that agree in type, shape and stored length can be equal: hash just those.
  const groups = new Map<string, TensorInfo[]>();
  for (const g of allGraphs(ctx.model.graph)) {
    for (const t of g.initializers) {
      if (t.byteLength < MIN_BYTES || !t.location) continue;
      const key = `${t.dataType}|${t.dims.join('x')}|${t.location.encoding}|${t.location.length}`;
      const list = groups.get(key);
      if (list) list.push(t); else groups.set(key, [t]);
    }
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const firstByDigest = new Map<string, TensorInfo>();
    for (const t of list) {
      const d = tensorDigest(t);
      if (!d) continue;
      const first = firstByDigest.get(d);
      if (!first) { firstByDigest.set(d, t); continue; }
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
      'Groups initializers of at least 1 KiB by type, shape and stored length, then hashes only those groups, streaming ' +
      'the bytes from disk tensor by tensor. Each copy after the first is flagged with the name it duplicates.',
    whyItCosts:
      'Exporters often unroll tied weights (an embedding shared with the LM head, an encoder shared across steps) into ' +
      'separate copies: the file, the download and the session\'s memory grow by every copy, for no change in output.',
    example: '<float[30522,256] embeddings.word_embeddings.weight, float[30522,256] lm_head.weight>   # same bytes',
    useInstead: 'Keep one initializer and rename the second one\'s readers to it (onnx-simplifier or a short onnx.helper script does this).',
  },
  check,
};
