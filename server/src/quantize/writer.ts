/**
 * Writes a WModel to disk without holding its weights: the protobuf structure (nodes, value
 * infos) is encoded with onnx-proto, and each initializer is appended as its own field, its bytes
 * streamed from the original file or computed one tensor at a time. Protobuf merges repeated fields
 * in any order, so graph = encode(graph without initializers) ++ initializer fields.
 *
 * The output is written to a temp file beside the target and renamed into place, so the target is
 * either the complete new model or untouched. Large outputs use external data (required above 2 GB).
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { cannotWrite, closeWritten, openForWrite, writeAll } from '../diskWrite';
import { streamRange } from '../onnx/source';
import { initBytes, WInit, WModel } from './graph';
import { tensorBytes } from './tensorData';

/** Protobuf messages cannot exceed 2 GiB; stay well below for the single-file form. */
const SINGLE_FILE_LIMIT = 1.8 * 2 ** 30;
/** Tensors at least this big go to the external data file (as onnx.save does). */
const EXTERNAL_MIN_BYTES = 1024;
const ALIGN = 4096;

export interface WriteOptions {
  /** true: weights in `<out>.data`; false: one file; 'auto' (default): external when the input had it or the output would pass 1.8 GB. */
  externalData?: boolean | 'auto';
  /** For 'auto': did the source model keep its weights outside? */
  sourceHadExternal?: boolean;
  signal?: AbortSignal;
}

export interface WriteResult {
  file: string;
  dataFile?: string;
  bytes: number;
}

export async function writeModel(m: WModel, outFile: string, opts: WriteOptions = {}): Promise<WriteResult> {
  const total = m.graph.inits.reduce((a, i) => a + initBytes(i), 0);
  const ext = opts.externalData === true || (opts.externalData !== false &&
    (total > SINGLE_FILE_LIMIT || !!opts.sourceHadExternal));
  const out = path.resolve(outFile);
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  const dataName = `${path.basename(out)}.data`;
  const dataFile = path.join(path.dirname(out), dataName);
  const dataTmp = `${dataFile}.tmp-${process.pid}-${Date.now()}`;
  let dataPlaced = false;
  // A data file renamed into place before the model's rename failed is half an output: it goes too.
  const cleanup = (): void => { for (const f of [tmp, dataTmp, ...(dataPlaced ? [dataFile] : [])]) fs.rmSync(f, { force: true }); };
  try {
    let bytes: number;
    if (ext) {
      const headers = await writeExternalData(m.graph.inits, dataTmp, dataName, opts.signal);
      bytes = await writeFileStructure(m, tmp, headers.map((h) => ({ header: h })), opts.signal);
      bytes += fs.statSync(dataTmp).size;
      fs.renameSync(dataTmp, dataFile);
      dataPlaced = true;
    } else {
      bytes = await writeFileStructure(m, tmp, m.graph.inits.map((i) => ({ header: headerOf(i), init: i })), opts.signal);
    }
    fs.renameSync(tmp, out);
    return { file: out, dataFile: ext ? dataFile : undefined, bytes };
  } catch (e) {
    cleanup();
    throw cannotWrite(e, out);
  }
}

interface Piece { header: Uint8Array; init?: WInit }

function headerOf(i: WInit): Uint8Array {
  return onnx.TensorProto.encode({ name: i.name, dataType: i.dataType, dims: i.dims }).finish();
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
  return Buffer.from(out);
}

const RAW_DATA_TAG = (9 << 3) | 2;
const INITIALIZER_TAG = (5 << 3) | 2;
const GRAPH_TAG = (7 << 3) | 2;

async function writeFileStructure(m: WModel, file: string, pieces: Piece[], signal?: AbortSignal): Promise<number> {
  const g = m.graph;
  const graphHead = onnx.GraphProto.encode({ name: g.name, node: g.nodes, input: g.inputs, output: g.outputs, valueInfo: g.valueInfo }).finish();
  const sizes = pieces.map((p) => {
    const n = p.init ? initBytes(p.init) : 0;
    return p.header.length + (p.init ? 1 + varint(n).length + n : 0);
  });
  const graphLen = graphHead.length + sizes.reduce((a, s) => a + varint(s).length + 1 + s, 0);
  const modelHead = onnx.ModelProto.encode({
    irVersion: m.irVersion, producerName: m.producerName || 'inference-lens', producerVersion: m.producerVersion,
    opsetImport: Object.entries(m.opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
    functions: m.functions,
  }).finish();

  const fd = openForWrite(file);
  let written = 0;
  const put = (b: Uint8Array): void => { writeAll(fd, b); written += b.length; };
  try {
    put(modelHead);
    put(Buffer.from([GRAPH_TAG])); put(varint(graphLen));
    put(graphHead);
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k];
      await tick();
      signal?.throwIfAborted();
      put(Buffer.from([INITIALIZER_TAG])); put(varint(sizes[k]));
      put(p.header);
      if (!p.init) continue;
      const n = initBytes(p.init);
      put(Buffer.from([RAW_DATA_TAG])); put(varint(n));
      const before = written;
      for (const chunk of initData(p.init)) put(chunk);
      if (written - before !== n) throw new Error(`initializer '${p.init.name}' produced ${written - before} bytes, expected ${n}`);
    }
  } finally {
    closeWritten(fd);
  }
  return written;
}

/** An initializer's bytes, in chunks: streamed straight from the source file when it is raw data there. */
function* initData(i: WInit): Generator<Uint8Array> {
  if (i.produce) { yield i.produce(); return; }
  const t = i.source;
  if (!t) throw new Error(`initializer '${i.name}' has no data`);
  const loc = t.location;
  if (loc && loc.encoding === 'raw' && !t.inline) { yield* streamRange(loc.file, loc.offset, loc.length); return; }
  yield tensorBytes(t);
}

async function writeExternalData(inits: WInit[], dataTmp: string, dataName: string, signal?: AbortSignal): Promise<Uint8Array[]> {
  const fd = openForWrite(dataTmp);
  let offset = 0;
  const headers: Uint8Array[] = [];
  try {
    for (const i of inits) {
      await tick();
      signal?.throwIfAborted();
      const n = initBytes(i);
      if (n < EXTERNAL_MIN_BYTES) {
        // Small tensors stay inside the model: a header with raw_data inline.
        const data = Buffer.concat([...initData(i)]);
        headers.push(onnx.TensorProto.encode({ name: i.name, dataType: i.dataType, dims: i.dims, rawData: data }).finish());
        continue;
      }
      const start = Math.ceil(offset / ALIGN) * ALIGN;
      if (start > offset) writeAll(fd, Buffer.alloc(start - offset), offset);
      let at = start;
      for (const chunk of initData(i)) { writeAll(fd, chunk, at); at += chunk.length; }
      if (at - start !== n) throw new Error(`initializer '${i.name}' produced ${at - start} bytes, expected ${n}`);
      offset = at;
      headers.push(onnx.TensorProto.encode({
        name: i.name, dataType: i.dataType, dims: i.dims, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [{ key: 'location', value: dataName }, { key: 'offset', value: String(start) }, { key: 'length', value: String(n) }],
      }).finish());
    }
  } finally {
    closeWritten(fd);
  }
  return headers;
}

/** Lets the event loop run between tensors (cancellation, LSP traffic). */
function tick(): Promise<void> { return new Promise((r) => setImmediate(r)); }
