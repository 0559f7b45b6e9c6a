/** Debian's python3-onnx as an independent oracle: `onnx.checker.check_model(full_check=True)`. */
import { spawnSync } from 'child_process';

let python: string | null | undefined;

/** A python3 that can `import onnx`, or null (tests then skip). */
export function onnxPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) { python = exe; break; }
  }
  return python;
}

/** Runs the full checker (with shape inference); returns null when valid, else the checker's message. */
export function checkModel(file: string): string | null {
  const exe = onnxPython();
  if (!exe) throw new Error('python3-onnx is not installed');
  const r = spawnSync(exe, ['-c', 'import onnx, sys\nonnx.checker.check_model(sys.argv[1], full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr.trim().split('\n').pop() ?? 'check failed');
}
