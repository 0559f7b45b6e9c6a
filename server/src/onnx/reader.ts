/**
 * Lazy ONNX reader: walks the protobuf wire format of a ModelProto (field numbers from onnx.proto,
 * the schema onnx-proto is generated from) and records where each tensor's bytes are instead of
 * reading them. Memory stays proportional to the graph's structure, not to the weights.
 *
 * Every length is checked against its enclosing message, and every tensor against its file, so a
 * truncated or corrupt file ends in an OnnxReadError naming the byte offset (and tensor) at fault.
 */
import * as path from 'path';
import { ByteSource, BufferSource, FileSource } from './source';
import { confinedFile, regularFile } from '../confine';
import {
  AttributeValue, bitsPerElement, DataType, Dim, FunctionInfo, GraphInfo, ModelInfo, NodeInfo,
  ReadProblem, TensorInfo, TensorLocation, ValueInfo,
} from './model';

export class OnnxReadError extends Error {
  constructor(message: string, readonly offset?: number, readonly tensor?: string) {
    super(message);
    this.name = 'OnnxReadError';
  }
}

/** Tensors up to this size are read into memory (shape constants, scales, zero points). */
export const INLINE_LIMIT = 64 * 1024;
/** Names, op types and attribute strings longer than this mean a corrupt file, not a real model. */
const MAX_STRING = 16 << 20;

const WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5;

class Cursor {
  pos = 0;
  // A view of the source for byte-at-a-time decoding; dropped whenever another read may move
  // the source's window under it.
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  constructor(readonly src: ByteSource, readonly file: string) {}

  byte(): number {
    const i = this.pos - this.chunkStart;
    if (i >= 0 && i < this.chunk.length) { this.pos++; return this.chunk[i]; }
    if (this.pos >= this.src.size) throw new OnnxReadError(`unexpected end of file at byte ${this.pos}`, this.pos);
    this.chunkStart = this.pos;
    this.chunk = this.src.read(this.pos, Math.min(64 * 1024, this.src.size - this.pos));
    this.pos++;
    return this.chunk[0];
  }

  /** Bytes at an offset (checked against the source's size); invalidates the decoding view. */
  bytes(offset: number, length: number): Buffer {
    if (offset + length > this.src.size) throw new OnnxReadError(`unexpected end of file: ${length} bytes at byte ${offset} run past the end (${this.src.size})`, offset);
    this.chunk = Buffer.alloc(0);
    return this.src.read(offset, length);
  }

  /** Varint as a JS number (int64 values beyond 2^53 lose precision; no ONNX dim or attribute needs them). */
  varint(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // Negative int64s are 10-byte two's complement: decode those exactly (a float sum rounds -1 to 0).
        return i === 9 || result >= 2 ** 63 ? this.signedVarint(start) : result;
      }
      mul *= 128;
    }
    throw new OnnxReadError(`malformed varint at byte ${start}`, start);
  }

  /** Re-decodes the varint at `start` as a two's-complement int64. */
  private signedVarint(start: number): number {
    this.pos = start;
    let v = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) break;
    }
    return Number(BigInt.asIntN(64, v));
  }

  /** Length-delimited field: returns the end offset, checked against the enclosing message. */
  len(end: number): number {
    const at = this.pos;
    const n = this.varint();
    const stop = this.pos + n;
    if (n < 0 || stop > end) {
      throw new OnnxReadError(`field at byte ${at} claims ${n} bytes but only ${end - this.pos} remain: the file is truncated or corrupt`, at);
    }
    return stop;
  }

  string(end: number): string {
    const stop = this.len(end);
    if (stop - this.pos > MAX_STRING) throw new OnnxReadError(`string of ${stop - this.pos} bytes at byte ${this.pos}: corrupt file`, this.pos);
    const s = this.bytes(this.pos, stop - this.pos).toString('utf8');
    this.pos = stop;
    return s;
  }

  float(): number {
    const v = this.bytes(this.pos, 4).readFloatLE(0);
    this.pos += 4;
    return v;
  }

  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WT_VARINT: this.varint(); break;
      case WT_I64: this.pos += 8; break;
      case WT_LEN: this.pos = this.len(end); break;
      case WT_I32: this.pos += 4; break;
      default: throw new OnnxReadError(`invalid wire type ${wireType} at byte ${this.pos}: not an ONNX protobuf`, this.pos);
    }
    if (this.pos > end) throw new OnnxReadError(`field runs past its message end at byte ${end}`, end);
  }

  /** Repeated int64 (packed or not) appended to `into`. */
  int64s(wireType: number, end: number, into: number[]): void {
    if (wireType === WT_LEN) {
      const stop = this.len(end);
      while (this.pos < stop) into.push(this.varint());
    } else into.push(this.varint());
  }

  floats(wireType: number, end: number, into: number[]): void {
    if (wireType === WT_LEN) {
      const stop = this.len(end);
      while (this.pos + 4 <= stop) into.push(this.float());
      this.pos = stop;
    } else into.push(this.float());
  }
}

interface ReadOptions {
  /** Directory external-data locations are relative to (the model's folder). */
  baseDir: string;
  problems: ReadProblem[];
  /** Subgraph nesting depth: a corrupt file must not recurse until the stack overflows. */
  depth: number;
}

/** If/Loop bodies nest a few levels in real models; far deeper means a corrupt file. */
const MAX_GRAPH_DEPTH = 64;

export function readModelFile(file: string): ModelInfo {
  const abs = path.resolve(file);
  let src: FileSource;
  // A FIFO or device would block or stream forever: decide from one stat before opening.
  const reg = regularFile(abs);
  if (!reg.ok && !reg.missing) throw new OnnxReadError(`cannot read ${file}: it ${reg.why}`);
  try {
    src = new FileSource(abs);
  } catch (e) {
    throw new OnnxReadError(`cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return readModel(src, abs);
  } finally {
    src.close();
  }
}

export function readModelBuffer(buf: Buffer, file = '<memory>'): ModelInfo {
  return readModel(new BufferSource(buf), file);
}

/** Reads from any byte source (tests wrap one to check that every read stays inside the file). */
export function readModelSource(src: ByteSource, file: string): ModelInfo {
  return readModel(src, file);
}

function readModel(src: ByteSource, file: string): ModelInfo {
  if (src.size === 0) throw new OnnxReadError(`${path.basename(file)} is empty: not an ONNX model`, 0);
  const cur = new Cursor(src, file);
  const opts: ReadOptions = { baseDir: path.dirname(file), problems: [], depth: 0 };
  const model: ModelInfo = {
    path: file, fileSize: src.size, irVersion: 0, producerName: '', producerVersion: '', opsets: {},
    graph: emptyGraph(), functions: [], metadata: {}, problems: opts.problems,
  };
  let sawGraph = false;
  const end = src.size;
  while (cur.pos < end) {
    const at = cur.pos;
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 0) throw new OnnxReadError(`invalid field number 0 at byte ${at}: not an ONNX model`, at);
    switch (field) {
      case 1: expect(wt, WT_VARINT, at, 'ir_version'); model.irVersion = cur.varint(); break;
      case 2: expect(wt, WT_LEN, at, 'producer_name'); model.producerName = cur.string(end); break;
      case 3: expect(wt, WT_LEN, at, 'producer_version'); model.producerVersion = cur.string(end); break;
      case 7: expect(wt, WT_LEN, at, 'graph'); { const stop = cur.len(end); model.graph = readGraph(cur, stop, opts); sawGraph = true; } break;
      case 8: expect(wt, WT_LEN, at, 'opset_import'); { const stop = cur.len(end); const [d, v] = readOpset(cur, stop); model.opsets[d] = v; } break;
      case 14: expect(wt, WT_LEN, at, 'metadata_props'); { const stop = cur.len(end); const [k, v] = readStringPair(cur, stop); model.metadata[k] = v; } break;
      case 25: expect(wt, WT_LEN, at, 'functions'); { const stop = cur.len(end); model.functions.push(readFunction(cur, stop, opts)); } break;
      default: cur.skip(wt, end);
    }
  }
  if (!sawGraph) throw new OnnxReadError(`${path.basename(file)} has no graph: not an ONNX model (or an empty one)`, 0);
  if (model.irVersion === 0) opts.problems.push({ message: 'ir_version is missing' });
  if (model.irVersion >= 3 && Object.keys(model.opsets).length === 0) opts.problems.push({ message: 'no opset_import: the default opset cannot be known' });
  return model;
}

function expect(wt: number, want: number, at: number, field: string): void {
  if (wt !== want) throw new OnnxReadError(`field ${field} at byte ${at} has wire type ${wt}, expected ${want}: not an ONNX model or corrupt`, at);
}

function emptyGraph(): GraphInfo {
  return { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
}

function readOpset(cur: Cursor, end: number): [string, number] {
  let domain = '', version = 0;
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === WT_LEN) domain = cur.string(end);
    else if (field === 2 && wt === WT_VARINT) version = cur.varint();
    else cur.skip(wt, end);
  }
  return [domain === 'ai.onnx' ? '' : domain, version];
}

function readStringPair(cur: Cursor, end: number): [string, string] {
  let key = '', value = '';
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === WT_LEN) key = cur.string(end);
    else if (field === 2 && wt === WT_LEN) value = cur.string(end);
    else cur.skip(wt, end);
  }
  return [key, value];
}

function readGraph(cur: Cursor, end: number, opts: ReadOptions): GraphInfo {
  if (++opts.depth > MAX_GRAPH_DEPTH) throw new OnnxReadError(`subgraphs nested over ${MAX_GRAPH_DEPTH} deep at byte ${cur.pos}: corrupt file`, cur.pos);
  try {
    return readGraphBody(cur, end, opts);
  } finally {
    opts.depth--;
  }
}

function readGraphBody(cur: Cursor, end: number, opts: ReadOptions): GraphInfo {
  const g = emptyGraph();
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (wt !== WT_LEN) { cur.skip(wt, end); continue; }
    switch (field) {
      case 1: { const at = cur.pos; const stop = cur.len(end); g.nodes.push(readNode(cur, stop, opts, at)); break; }
      case 2: g.name = cur.string(end); break;
      case 5: { const at = cur.pos; const stop = cur.len(end); g.initializers.push(readTensor(cur, stop, opts, at)); break; }
      case 11: { const stop = cur.len(end); g.inputs.push(readValueInfo(cur, stop)); break; }
      case 12: { const stop = cur.len(end); g.outputs.push(readValueInfo(cur, stop)); break; }
      case 13: { const stop = cur.len(end); g.valueInfo.push(readValueInfo(cur, stop)); break; }
      case 15: { const stop = cur.len(end); const t = readSparseValues(cur, stop, opts); if (t) g.initializers.push(t); break; }
      default: cur.skip(wt, end);
    }
  }
  return g;
}

function readNode(cur: Cursor, end: number, opts: ReadOptions, at: number): NodeInfo {
  const n: NodeInfo = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map(), fileOffset: at };
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (wt !== WT_LEN) { cur.skip(wt, end); continue; }
    switch (field) {
      case 1: n.inputs.push(cur.string(end)); break;
      case 2: n.outputs.push(cur.string(end)); break;
      case 3: n.name = cur.string(end); break;
      case 4: n.opType = cur.string(end); break;
      case 7: n.domain = cur.string(end); break;
      case 5: { const stop = cur.len(end); const [name, v] = readAttribute(cur, stop, opts); n.attributes.set(name, v); break; }
      default: cur.skip(wt, end);
    }
  }
  if (n.domain === 'ai.onnx') n.domain = '';
  if (!n.opType) throw new OnnxReadError(`node at byte ${at} has no op_type: corrupt file`, at);
  return n;
}

function readAttribute(cur: Cursor, end: number, opts: ReadOptions): [string, AttributeValue] {
  let name = '', type = 0, ref = '';
  let f: number | undefined, i: number | undefined, s: string | undefined;
  let t: TensorInfo | undefined, g: GraphInfo | undefined;
  const floats: number[] = [], ints: number[] = [], strings: string[] = [];
  const tensors: TensorInfo[] = [], graphs: GraphInfo[] = [];
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    switch (field) {
      case 1: name = cur.string(end); break;
      case 20: type = cur.varint(); break;
      case 21: ref = cur.string(end); break;
      case 2: f = cur.float(); break;
      case 3: i = cur.varint(); break;
      case 4: s = cur.string(end); break;
      case 5: { const at = cur.pos; const stop = cur.len(end); t = readTensor(cur, stop, opts, at); break; }
      case 6: { const stop = cur.len(end); g = readGraph(cur, stop, opts); break; }
      case 7: cur.floats(wt, end, floats); break;
      case 8: cur.int64s(wt, end, ints); break;
      case 9: strings.push(cur.string(end)); break;
      case 10: { const at = cur.pos; const stop = cur.len(end); tensors.push(readTensor(cur, stop, opts, at)); break; }
      case 11: { const stop = cur.len(end); graphs.push(readGraph(cur, stop, opts)); break; }
      default: cur.skip(wt, end);
    }
  }
  // Old writers omit `type`: infer it from which field is set.
  if (ref) return [name, { kind: 'ref', value: ref }];
  const v: AttributeValue =
    type === 1 || (type === 0 && f !== undefined) ? { kind: 'float', value: f ?? 0 } :
    type === 2 || (type === 0 && i !== undefined) ? { kind: 'int', value: i ?? 0 } :
    type === 3 || (type === 0 && s !== undefined) ? { kind: 'string', value: s ?? '' } :
    (type === 4 || type === 0) && t ? { kind: 'tensor', value: t } :
    (type === 5 || type === 0) && g ? { kind: 'graph', value: g } :
    type === 6 || (type === 0 && floats.length) ? { kind: 'floats', value: floats } :
    type === 7 || (type === 0 && ints.length) ? { kind: 'ints', value: ints } :
    type === 8 || (type === 0 && strings.length) ? { kind: 'strings', value: strings } :
    type === 9 || (type === 0 && tensors.length) ? { kind: 'tensors', value: tensors } :
    type === 10 || (type === 0 && graphs.length) ? { kind: 'graphs', value: graphs } :
    { kind: 'other', value: null };
  return [name, v];
}

const TYPED_FIELDS: Record<number, TensorLocation['encoding']> = {
  4: 'float_data', 5: 'int32_data', 7: 'int64_data', 10: 'double_data', 11: 'uint64_data',
};

function readTensor(cur: Cursor, end: number, opts: ReadOptions, at: number): TensorInfo {
  const t: TensorInfo = { name: '', dataType: 0, dims: [], elements: 1, byteLength: 0, storedElements: 0, fileOffset: at };
  let external = false;
  const ext: Record<string, string> = {};
  while (cur.pos < end) {
    const tagAt = cur.pos;
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    switch (field) {
      case 1: cur.int64s(wt, end, t.dims); break;
      case 2: t.dataType = cur.varint(); break;
      case 8: t.name = cur.string(end); break;
      case 9: { // raw_data: remember where, do not read
        expect(wt, WT_LEN, tagAt, 'raw_data');
        const stop = cur.len(end);
        t.location = { file: cur.file, offset: cur.pos, length: stop - cur.pos, encoding: 'raw', external: false };
        cur.pos = stop;
        break;
      }
      case 6: cur.skip(wt, end); t.storedElements++; break; // string_data
      case 13: { const stop = cur.len(end); const [k, v] = readStringPair(cur, stop); ext[k] = v; break; }
      case 14: external = cur.varint() === 1; break;
      default:
        if (TYPED_FIELDS[field] && wt === WT_LEN) {
          const stop = cur.len(end);
          t.location = { file: cur.file, offset: cur.pos, length: stop - cur.pos, encoding: TYPED_FIELDS[field], external: false };
          t.storedElements += countPacked(cur, field, stop);
          cur.pos = stop;
        } else if (TYPED_FIELDS[field]) {
          cur.skip(wt, end); t.storedElements++;
        } else cur.skip(wt, end);
    }
  }
  settleTensor(t, external ? ext : undefined, cur, opts);
  return t;
}

/** Number of values in a packed repeated field, without decoding them into memory. */
function countPacked(cur: Cursor, field: number, stop: number): number {
  const bytes = stop - cur.pos;
  if (field === 4) return Math.floor(bytes / 4);
  if (field === 10) return Math.floor(bytes / 8);
  // int32/int64/uint64 are varint-packed: count bytes without the continuation bit.
  let count = 0;
  for (let p = cur.pos; p < stop;) {
    const n = Math.min(1 << 20, stop - p);
    const buf = cur.bytes(p, n);
    for (let i = 0; i < n; i++) if ((buf[i] & 0x80) === 0) count++;
    p += n;
  }
  return count;
}

function settleTensor(t: TensorInfo, ext: Record<string, string> | undefined, cur: Cursor, opts: ReadOptions): void {
  let elements = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) { elements = NaN; break; }
    elements *= d;
  }
  if (!Number.isSafeInteger(elements)) {
    opts.problems.push({ message: `tensor '${t.name}' has dims [${t.dims.join(', ')}] whose product is not a valid size`, offset: t.fileOffset, tensor: t.name });
    elements = NaN;
  }
  t.elements = elements;
  const bits = bitsPerElement(t.dataType);
  if (bits === 0 && t.dataType !== DataType.STRING) {
    opts.problems.push({ message: `tensor '${t.name}' has unknown data type ${t.dataType}`, offset: t.fileOffset, tensor: t.name });
  }
  t.byteLength = Number.isNaN(elements) ? 0 : Math.ceil((elements * bits) / 8);

  if (ext) {
    const loc = ext.location;
    if (!loc) {
      opts.problems.push({ message: `tensor '${t.name}' is marked EXTERNAL but has no location`, offset: t.fileOffset, tensor: t.name });
      return;
    }
    // Confined to the model's folder before anything is stat'ed: a crafted location must not read /etc/passwd.
    const v = confinedFile(opts.baseDir, loc, "the model's folder");
    if (!v.ok) {
      opts.problems.push({
        message: v.missing
          ? `external data file '${loc}' of tensor '${t.name}' is missing (looked in ${opts.baseDir})`
          : `external data of tensor '${t.name}' refused: location '${loc}' ${v.why}; external data must be a file beside the model or below its folder`,
        offset: t.fileOffset, tensor: t.name,
      });
      return;
    }
    const { file, size } = v;
    const offset = ext.offset ? Number(ext.offset) : 0;
    const length = ext.length ? Number(ext.length) : size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      opts.problems.push({ message: `tensor '${t.name}' reads bytes ${offset}..${offset + length} of '${loc}', which has ${size}`, offset: t.fileOffset, tensor: t.name });
      return;
    }
    t.location = { file, offset, length, encoding: 'raw', external: true };
  }

  const loc = t.location;
  if (loc && loc.encoding === 'raw' && t.byteLength && loc.length !== t.byteLength) {
    opts.problems.push({ message: `tensor '${t.name}' should hold ${t.byteLength} bytes (${t.dims.join('×') || 'scalar'}) but stores ${loc.length}`, offset: t.fileOffset, tensor: t.name });
  }
  if (loc && loc.encoding !== 'raw' && !Number.isNaN(elements) && t.storedElements !== elements && t.dataType !== DataType.FLOAT16 && t.dataType !== DataType.BFLOAT16) {
    opts.problems.push({ message: `tensor '${t.name}' has ${elements} elements by its dims but stores ${t.storedElements}`, offset: t.fileOffset, tensor: t.name });
  }
  if (loc && !loc.external && loc.length <= INLINE_LIMIT) t.inline = Buffer.from(cur.bytes(loc.offset, loc.length));
}

/** Sparse initializers count as their stored values (what the file holds). */
function readSparseValues(cur: Cursor, end: number, opts: ReadOptions): TensorInfo | undefined {
  let values: TensorInfo | undefined;
  const dims: number[] = [];
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === WT_LEN) { const at = cur.pos; const stop = cur.len(end); values = readTensor(cur, stop, opts, at); }
    else if (field === 3) cur.int64s(wt, end, dims);
    else cur.skip(wt, end);
  }
  return values;
}

function readValueInfo(cur: Cursor, end: number): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, shape: null };
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === WT_LEN) v.name = cur.string(end);
    else if (field === 2 && wt === WT_LEN) { const stop = cur.len(end); readType(cur, stop, v); }
    else cur.skip(wt, end);
  }
  return v;
}

/** TypeProto: only tensor (and sparse tensor) types carry an element type and shape we use. */
function readType(cur: Cursor, end: number, v: ValueInfo): void {
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if ((field === 1 || field === 8) && wt === WT_LEN) {
      const stop = cur.len(end);
      while (cur.pos < stop) {
        const t2 = cur.varint();
        const f2 = t2 >>> 3, w2 = t2 & 7;
        if (f2 === 1 && w2 === WT_VARINT) v.elemType = cur.varint();
        else if (f2 === 2 && w2 === WT_LEN) { const s = cur.len(stop); v.shape = readShape(cur, s); }
        else cur.skip(w2, stop);
      }
    } else cur.skip(wt, end);
  }
}

function readShape(cur: Cursor, end: number): Dim[] {
  const dims: Dim[] = [];
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === WT_LEN) {
      const stop = cur.len(end);
      let d: Dim = null;
      while (cur.pos < stop) {
        const t2 = cur.varint();
        const f2 = t2 >>> 3, w2 = t2 & 7;
        if (f2 === 1 && w2 === WT_VARINT) d = cur.varint();
        else if (f2 === 2 && w2 === WT_LEN) d = cur.string(stop) || null;
        else cur.skip(w2, stop);
      }
      dims.push(d);
    } else cur.skip(wt, end);
  }
  return dims;
}

function readFunction(cur: Cursor, end: number, opts: ReadOptions): FunctionInfo {
  const fn: FunctionInfo = { name: '', domain: '', inputs: [], outputs: [], nodes: [], opsets: {} };
  while (cur.pos < end) {
    const tag = cur.varint();
    const field = tag >>> 3, wt = tag & 7;
    if (wt !== WT_LEN) { cur.skip(wt, end); continue; }
    switch (field) {
      case 1: fn.name = cur.string(end); break;
      case 4: fn.inputs.push(cur.string(end)); break;
      case 5: fn.outputs.push(cur.string(end)); break;
      case 7: { const at = cur.pos; const stop = cur.len(end); fn.nodes.push(readNode(cur, stop, opts, at)); break; }
      case 9: { const stop = cur.len(end); const [d, v] = readOpset(cur, stop); fn.opsets[d] = v; break; }
      case 10: fn.domain = cur.string(end); break;
      default: cur.skip(wt, end);
    }
  }
  return fn;
}
