/**
 * What a user reads when something fails: one line saying what failed, on which file, and what to do.
 * Stack traces are for us: they appear only with `--debug` (CLI) or trace on (server). Pure.
 */
import * as path from 'path';

/** What to do about an OS error, by its errno code. */
const ERRNO_HINTS: Record<string, string> = {
  ENOSPC: 'free some disk space, then run it again',
  EDQUOT: 'free some disk space (quota exceeded), then run it again',
  EROFS: 'the folder is read-only: choose a writable output (--out)',
  EACCES: "check the file's and folder's permissions",
  EPERM: "check the file's and folder's permissions",
  ENOENT: 'check the path (folders must exist)',
  EISDIR: 'give a file, not a folder',
  EMFILE: 'too many open files: close some, then run it again',
  ENOMEM: 'not enough memory: close other programs or use a smaller model',
};

/** Hints by error class name (set by the modules that define them, so this file imports none). */
const NAME_HINTS: Record<string, string> = {
  OnnxReadError: 're-export or re-download the model; keep its .onnx.data beside it',
};

/** The message of anything thrown, on one line (multi-line messages are joined with "; "). */
export function oneLine(e: unknown): string {
  const raw = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
  return raw.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^at\s/.test(l)).join('; ') || 'unknown error';
}

export function hintFor(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  // An error from a child process carries the errno code or class it had there as `origin`.
  const origin = (e as { origin?: string }).origin;
  const code = (e as NodeJS.ErrnoException).code ?? origin;
  if (code && ERRNO_HINTS[code]) return ERRNO_HINTS[code];
  const name = origin ?? e.name;
  if (NAME_HINTS[name]) return NAME_HINTS[name];
  return undefined;
}

/**
 * "conversion of model.onnx failed: <message> (<hint>)", and the stack after it when `debug`.
 * `file` is named by its base name unless the message already names it.
 */
export function describeFailure(action: string, file: string | undefined, e: unknown, debug = false): string {
  const msg = oneLine(e);
  const name = file ? path.basename(file) : undefined;
  const head = name ? `${action} of ${name} failed` : `${action} failed`;
  const hint = hintFor(e);
  const line = `${head}: ${msg}${hint && !msg.includes(hint) ? ` (${hint})` : ''}`;
  return debug && e instanceof Error && e.stack ? `${line}\n${e.stack}` : line;
}

/** A child process's last stderr lines on one line, without stack frames: what a user may read of a crash. */
export function lastWords(stderr: string, lines = 3): string {
  return stderr.trim().split('\n').filter((l) => l.trim() && !/^\s+at\s/.test(l)).slice(-lines).join('; ');
}

/** A stack trace line as Node prints it: what must not reach a user outside debug mode. */
export const STACK_LINE = /^\s+at\s.+[(:]/m;
