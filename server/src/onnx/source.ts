import * as fs from 'fs';

/**
 * Random access to the bytes of a model without loading it: the reader walks the protobuf
 * structure through a small window, so a multi-GB file costs a few MiB of memory.
 */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes at `offset`. The buffer may be reused by the next call: copy what you keep. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number { return this.buf.length; }
  read(offset: number, length: number): Buffer { return this.buf.subarray(offset, offset + length); }
  close(): void { /* nothing held */ }
}

const WINDOW = 1 << 20;

export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private window = Buffer.allocUnsafe(WINDOW);
  private winStart = 0;
  private winLen = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
    this.size = fs.fstatSync(this.fd).size;
  }

  read(offset: number, length: number): Buffer {
    if (offset >= this.winStart && offset + length <= this.winStart + this.winLen) {
      return this.window.subarray(offset - this.winStart, offset - this.winStart + length);
    }
    if (length > WINDOW) {
      const out = Buffer.allocUnsafe(length);
      readFully(this.fd, out, offset);
      return out;
    }
    this.winStart = offset;
    this.winLen = Math.min(WINDOW, this.size - offset);
    readFully(this.fd, this.window.subarray(0, this.winLen), offset);
    return this.window.subarray(0, length);
  }

  close(): void { fs.closeSync(this.fd); }
}

function readFully(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/** Streams `length` bytes at `offset` of a file in chunks, never holding more than one chunk. */
export function* streamRange(path: string, offset: number, length: number, chunk = 4 << 20): Generator<Buffer> {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(length, 1)));
    let done = 0;
    while (done < length) {
      const want = Math.min(buf.length, length - done);
      const n = fs.readSync(fd, buf, 0, want, offset + done);
      if (n === 0) throw new Error(`unexpected end of file at byte ${offset + done} of ${path}`);
      yield buf.subarray(0, n);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}
