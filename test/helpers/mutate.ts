/**
 * A seeded, deterministic mutator of protobuf files (ONNX models) for fuzzing the reader and what
 * follows it. Byte-level: truncate, bit-flip, splice (a range of another model). Structure-level, on a
 * generic wire-format tree re-encoded with consistent enclosing lengths: duplicate a field, drop one,
 * set an integer to an edge value (-1, 2^31, 2^53, 2^63...), and inflate a length prefix (the one lie left in the file: it claims more bytes than there are).
 * The same seed gives the same bytes on every machine.
 */

/** 32-bit LCG: deterministic everywhere. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const int = (next: () => number, n: number): number => Math.floor(next() * n);

interface Field {
  /** tag varint bytes, as in the file */
  tag: Buffer;
  wireType: number;
  /** a non-length field's value bytes, or a length field's payload when it does not parse as a message */
  raw?: Buffer;
  children?: Field[];
  /** set by `inflate`: the length prefix to write instead of the true one */
  claimedLength?: number;
}

function readVarint(b: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0, mul = 1;
  for (let i = 0; i < 10 && pos + i < b.length; i++) {
    const x = b[pos + i];
    value += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return { value, next: pos + i + 1 };
    mul *= 128;
  }
  return undefined;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
  return Buffer.from(out);
}

/** Parses `b` as a message; undefined when it is not one (weights, strings). Nested up to `depth`. */
function parseMessage(b: Buffer, depth: number): Field[] | undefined {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const t = readVarint(b, pos);
    if (!t || t.value === 0 || t.value >>> 3 === 0 || t.value >= 2 ** 32) return undefined;
    const wireType = t.value & 7;
    const tag = b.subarray(pos, t.next);
    pos = t.next;
    if (wireType === 0) {
      const v = readVarint(b, pos);
      if (!v) return undefined;
      fields.push({ tag, wireType, raw: b.subarray(pos, v.next) });
      pos = v.next;
    } else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4;
      if (pos + n > b.length) return undefined;
      fields.push({ tag, wireType, raw: b.subarray(pos, pos + n) });
      pos += n;
    } else if (wireType === 2) {
      const l = readVarint(b, pos);
      if (!l || l.next + l.value > b.length) return undefined;
      const payload = b.subarray(l.next, l.next + l.value);
      // Big payloads are weights, never structure: keep them whole.
      const children = depth > 0 && payload.length < (1 << 16) && payload.length > 0 ? parseMessage(payload, depth - 1) : undefined;
      fields.push(children ? { tag, wireType, children } : { tag, wireType, raw: payload });
      pos = l.next + l.value;
    } else return undefined;
  }
  return fields;
}

function encode(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(f.tag);
    if (f.wireType !== 2) { parts.push(f.raw!); continue; }
    const payload = f.children ? encode(f.children) : f.raw!;
    parts.push(varint(f.claimedLength ?? payload.length), payload);
  }
  return Buffer.concat(parts);
}

/** Every field list in the tree (the top level and each parsed sub-message). */
function lists(fields: Field[], out: Field[][] = []): Field[][] {
  out.push(fields);
  for (const f of fields) if (f.children) lists(f.children, out);
  return out;
}

/** Top-level graph field (7) parsed to a few levels, its big children (weights) kept raw. */
function parseModel(b: Buffer): Field[] | undefined {
  return parseMessage(b, 6);
}

export type MutationKind = 'truncate' | 'flip' | 'splice' | 'duplicate' | 'drop' | 'inflate' | 'value';
export const MUTATIONS: readonly MutationKind[] = ['truncate', 'flip', 'splice', 'duplicate', 'drop', 'inflate', 'value'];

/** Integers that break naive code: zero, -1 (ten-byte two's complement), int32/int53/int64 edges. */
const EDGE_VALUES: readonly Buffer[] = [
  varint(0), varint(1), varint(2 ** 31 - 1), varint(2 ** 32), varint(2 ** 53 + 1), varint(2 ** 62),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // -1
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // -2^63
];

/** Lengths that break naive readers: past the end, around 2^31/2^32, at 2^53 and beyond. */
const LIES = [1, 7, 1 << 20, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53, 2 ** 62];

/**
 * One mutation of `buf` chosen by `next` (`donors` feed splices). Returns the new bytes and what was
 * done, for the record. Structure mutations fall back to a bit flip when `buf` does not parse.
 */
export function mutate(buf: Buffer, next: () => number, donors: readonly Buffer[]): { bytes: Buffer; kind: MutationKind } {
  const kind = MUTATIONS[int(next, MUTATIONS.length)];
  if (buf.length === 0) return { bytes: buf, kind };
  switch (kind) {
    case 'truncate': return { bytes: buf.subarray(0, int(next, buf.length)), kind };
    case 'splice': {
      const d = donors[int(next, donors.length)] ?? buf;
      const at = int(next, buf.length), len = 1 + int(next, Math.min(256, buf.length - at));
      const from = int(next, d.length), take = 1 + int(next, Math.min(256, d.length - from));
      return { bytes: Buffer.concat([buf.subarray(0, at), d.subarray(from, from + take), buf.subarray(at + len)]), kind };
    }
    case 'duplicate': case 'drop': case 'inflate': case 'value': {
      const tree = parseModel(buf);
      if (!tree) break;
      const all = lists(tree).filter((l) => l.length > 0);
      const list = all[int(next, all.length)];
      const i = int(next, list.length);
      if (kind === 'value') {
        // A varint (dims, data types, attribute ints, ir_version...) set to an edge value.
        const ints = lists(tree).flat().filter((f) => f.wireType === 0);
        if (!ints.length) break;
        ints[int(next, ints.length)].raw = EDGE_VALUES[int(next, EDGE_VALUES.length)];
      } else if (kind === 'duplicate') list.splice(i, 0, structuredCloneField(list[i]));
      else if (kind === 'drop') list.splice(i, 1);
      else {
        const lenFields = lists(tree).flat().filter((f) => f.wireType === 2);
        if (!lenFields.length) break;
        lenFields[int(next, lenFields.length)].claimedLength = LIES[int(next, LIES.length)];
      }
      return { bytes: encode(tree), kind };
    }
    case 'flip': break;
  }
  const out = Buffer.from(buf);
  const flips = 1 + int(next, 8);
  for (let k = 0; k < flips; k++) out[int(next, out.length)] ^= 1 << int(next, 8);
  return { bytes: out, kind: kind === 'flip' ? kind : 'flip' };
}

/** Fields share payload buffers (read-only); the copy needs only its own field objects. */
function structuredCloneField(f: Field): Field {
  return { ...f, children: f.children?.map(structuredCloneField) };
}
