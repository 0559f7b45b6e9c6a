/**
 * Paths that untrusted content names: a model's external_data `location`, a sample file named after a
 * model input, a model path written in workspace code. A crafted model must not make us read any file
 * the user can read (ONNX's own CVE-2022-25882), nor block on a FIFO or a device.
 *
 * Deciding touches the file system as little as it can: the lexical check is pure; then `realpath`
 * (symlinks out of the folder) and one `stat` (regular file or not). Nothing is opened here.
 */
import * as fs from 'fs';
import * as path from 'path';

export type Verdict =
  | { ok: true; file: string; size: number }
  /** `missing`: the path is allowed but nothing is there (callers word that differently). */
  | { ok: false; why: string; missing?: boolean };

/** `file` is `dir` or below it (both absolute, normalised). */
export function isWithin(dir: string, file: string): boolean {
  const r = path.relative(dir, file);
  return r === '' || (r !== '..' && !r.startsWith(`..${path.sep}`) && !path.isAbsolute(r));
}

/**
 * Pure: `rel` as written in a file, resolved against `base`, or why it may not be: absolute (POSIX or
 * Windows form, so a model behaves the same on every OS), a NUL byte, or `..` segments leaving `base`.
 */
export function lexicallyConfined(base: string, rel: string, folder = 'its folder'): { ok: true; file: string } | { ok: false; why: string } {
  if (rel.includes('\0')) return { ok: false, why: 'contains a NUL byte' };
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel)) return { ok: false, why: 'is an absolute path' };
  const file = path.resolve(base, rel);
  if (!isWithin(path.resolve(base), file)) return { ok: false, why: `leaves ${folder} through '..'` };
  return { ok: true, file };
}

/** One stat: the size of a regular file, or why `file` is not one (devices, FIFOs, sockets, folders). */
export function regularFile(file: string): Verdict {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { ok: false, why: 'does not exist', missing: true } : { ok: false, why: `cannot be read (${code ?? (e as Error).message})` };
  }
  if (!st.isFile()) return { ok: false, why: `is not a regular file (${kindOf(st)})` };
  return { ok: true, file, size: st.size };
}

/**
 * `rel` (relative to `base`, as a model or workspace wrote it) → a regular file whose real path is still
 * inside `base`, or why not. `folder` words `base` in the reason ("the model's folder").
 */
export function confinedFile(base: string, rel: string, folder = 'its folder'): Verdict {
  const lex = lexicallyConfined(base, rel, folder);
  if (!lex.ok) return lex;
  return realInside([base], lex.file, folder);
}

/** An absolute `file` whose real path (symlinks followed) is inside one of `roots`, and a regular file. */
export function realInside(roots: string[], file: string, folder = 'the workspace'): Verdict {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { ok: false, why: 'does not exist', missing: true } : { ok: false, why: `cannot be read (${code ?? (e as Error).message})` };
  }
  const realRoots = roots.map((r) => { try { return fs.realpathSync(r); } catch { return path.resolve(r); } });
  if (!realRoots.some((r) => isWithin(r, real))) return { ok: false, why: `is a link to ${real}, outside ${folder}` };
  const reg = regularFile(real);
  return reg.ok ? { ok: true, file: real, size: reg.size } : reg;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}
