/**
 * Tensors that store identical bytes under different names. Only tensors that agree in type, shape
 * and stored length can be equal; within such a group a cheap fingerprint (a few sampled blocks)
 * splits tensors that differ, so the full streamed hash runs only on likely duplicates. Random or
 * trained weights almost always differ in their first block: a model of many same-shape layers is
 * not read in full.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import type { TensorInfo } from './model';
import { streamRange } from './source';

const SAMPLE = 4096;
const SAMPLES = 8;

/** Groups (each of two or more, in input order) of tensors with identical stored bytes. */
export function duplicateGroups(tensors: Iterable<TensorInfo>, minBytes = 1024): TensorInfo[][] {
  const byShape = new Map<string, TensorInfo[]>();
  for (const t of tensors) {
    const loc = t.location;
    if (!loc || loc.length < minBytes) continue;
    const key = `${t.dataType}|${t.dims.join('x')}|${loc.encoding}|${loc.length}`;
    const list = byShape.get(key);
    if (list) list.push(t); else byShape.set(key, [t]);
  }
  const out: TensorInfo[][] = [];
  for (const group of byShape.values()) {
    if (group.length < 2) continue;
    for (const candidates of splitBy(group, fingerprint)) {
      if (candidates.length < 2) continue;
      for (const same of splitBy(candidates, digest)) if (same.length > 1) out.push(same);
    }
  }
  return out;
}

function splitBy(tensors: TensorInfo[], key: (t: TensorInfo) => string | undefined): TensorInfo[][] {
  const m = new Map<string, TensorInfo[]>();
  for (const t of tensors) {
    const k = key(t);
    if (k === undefined) continue; // unreadable: ONNX000 reports it
    const list = m.get(k);
    if (list) list.push(t); else m.set(k, [t]);
  }
  return [...m.values()];
}

/** A hash of evenly spaced blocks of the stored bytes (the whole of them for small tensors). */
function fingerprint(t: TensorInfo): string | undefined {
  const loc = t.location!;
  if (t.inline || loc.length <= SAMPLE * SAMPLES) return digest(t);
  const h = createHash('sha256');
  let fd: number | undefined;
  try {
    fd = fs.openSync(loc.file, 'r');
    const buf = Buffer.alloc(SAMPLE);
    const step = Math.floor((loc.length - SAMPLE) / (SAMPLES - 1));
    for (let i = 0; i < SAMPLES; i++) {
      const n = fs.readSync(fd, buf, 0, SAMPLE, loc.offset + i * step);
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A hash of all the stored bytes, streamed from disk. */
function digest(t: TensorInfo): string | undefined {
  const h = createHash('sha256');
  if (t.inline) return h.update(t.inline).digest('hex');
  const loc = t.location!;
  try {
    for (const chunk of streamRange(loc.file, loc.offset, loc.length)) h.update(chunk);
  } catch {
    return undefined;
  }
  return h.digest('hex');
}
