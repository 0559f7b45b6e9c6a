/**
 * Every file we write (converted models, benchmark cache entries, reports, the summary cache) goes
 * through here: open, write, close, and `writeFileAtomic` (temp file beside the target, then rename;
 * the temp file is removed on any failure, so a full or read-only disk leaves nothing partial).
 *
 * Tests simulate a full disk or a read-only folder where no real one can be made (CI without mount
 * rights) with INFERENCE_LENS_TEST_DISK, which only tests set: `ENOSPC:<bytes>` lets each file grow to
 * that many bytes and fails the write that passes it, as the kernel does (the first part is written);
 * `EROFS` / `EACCES` fail every open for writing; `SIGSEGV:<bytes>` kills the process once a file has
 * that many bytes (a crash mid-write, temp file on disk). The fault is raised where the real one would
 * be, so everything above this module runs its real error path.
 */
import * as fs from 'fs';

type Fault = { code: 'ENOSPC' | 'SIGSEGV'; bytes: number } | { code: 'EROFS' | 'EACCES' };

/** Read at each open (not cached): an in-process test sets and clears it around one case. */
function fault(): Fault | undefined {
  const spec = process.env.INFERENCE_LENS_TEST_DISK;
  if (!spec) return undefined;
  const m = /^(ENOSPC|SIGSEGV):(\d+)$/.exec(spec);
  if (m) return { code: m[1] as 'ENOSPC' | 'SIGSEGV', bytes: Number(m[2]) };
  if (spec === 'EROFS' || spec === 'EACCES') return { code: spec };
  return undefined;
}

const MESSAGES = { ENOSPC: 'no space left on device', EROFS: 'read-only file system', EACCES: 'permission denied' };
const ERRNO = { ENOSPC: -28, EROFS: -30, EACCES: -13 };

function errnoError(code: keyof typeof MESSAGES, syscall: string, file?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${MESSAGES[code]}, ${syscall}${file ? ` '${file}'` : ''}`), { code, errno: ERRNO[code], syscall, path: file });
}

/** Bytes each open descriptor may still take under a simulated fault, and what happens then. */
const budgets = new Map<number, { left: number; then: 'ENOSPC' | 'SIGSEGV' }>();

/** Opens a file for writing: created or truncated ('w'), or appended to ('a'). */
export function openForWrite(file: string, flags: 'w' | 'a' = 'w'): number {
  const f = fault();
  if (f && 'bytes' in f) { const fd = fs.openSync(file, flags); budgets.set(fd, { left: f.bytes, then: f.code }); return fd; }
  if (f) throw errnoError(f.code, 'open', file);
  return fs.openSync(file, flags);
}

/** Writes all of `data` at `position` (or the current offset). */
export function writeAll(fd: number, data: Uint8Array, position?: number): void {
  const b = budgets.get(fd);
  if (b && data.length > b.left) {
    if (b.left > 0) fs.writeSync(fd, data, 0, b.left, position);
    if (b.then === 'SIGSEGV') process.kill(process.pid, 'SIGSEGV');
    b.left = 0;
    throw errnoError('ENOSPC', 'write');
  }
  if (b) b.left -= data.length;
  for (let off = 0; off < data.length;) {
    off += fs.writeSync(fd, data, off, data.length - off, position === undefined ? undefined : position + off);
  }
}

export function closeWritten(fd: number): void {
  budgets.delete(fd);
  fs.closeSync(fd);
}

/** `file` gets `data` whole or not at all: temp file in the same folder, then rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = openForWrite(tmp);
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    } finally {
      closeWritten(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Appends `text` whole or not at all: a write that fails midway (a full disk) is cut back, so a line-based
 * file never keeps half a line that the next append would run into.
 */
export function appendWhole(file: string, text: string): void {
  const fd = openForWrite(file, 'a');
  const before = fs.fstatSync(fd).size;
  try {
    writeAll(fd, Buffer.from(text));
  } catch (e) {
    try { fs.ftruncateSync(fd, before); } catch { /* the write failed already; this is best effort */ }
    throw e;
  } finally {
    closeWritten(fd);
  }
}

/** An OS error while writing, naming the output the user asked for (not our temp file); its code stays for hints. */
export function cannotWrite(e: unknown, out: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code || !(e instanceof Error)) return e;
  const reason = code === 'ENOENT' ? 'its folder does not exist' : code === 'ENOSPC' ? 'the disk is full' : code === 'EROFS' ? 'the folder is read-only' : (e as NodeJS.ErrnoException).syscall ? `${code} on ${(e as NodeJS.ErrnoException).syscall}` : code;
  return Object.assign(new Error(`cannot write ${out}: ${reason}; nothing was written`), { code });
}
