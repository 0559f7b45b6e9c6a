/** Connecting code to models: the `.onnx` path a string, variable or session call names, and a cache of model reports. */
import * as fs from 'fs';
import * as path from 'path';
import type { Tree, Node } from 'web-tree-sitter';
import { analyzeModelFile, ModelReport } from './engine';
import type { Config } from './config';
import type { MeasuredLookup } from './cost/resolve';
import type { Position, Range } from './rules/types';
import { nodeRange } from './rules/helpers';
import { pathOf, sessionCallArgument } from './code/modelPathExpr';
import { isWithin, realInside } from './confine';
import { Lru } from './lru';

/**
 * The `.onnx` file named under `pos` (relative to the code or a workspace root), if it exists: a
 * string literal, a variable holding a path, or an `InferenceSession.create(...)`/`InferenceSession(...)` callee.
 * `refused` says why it must not be read (outside the workspace, not a regular file): show it, do not open it.
 */
export function modelPathAt(tree: Tree, pos: Position, codeDir: string, roots: string[]): { file: string; range: Range; refused?: string } | undefined {
  const at: Node | null = tree.rootNode.descendantForPosition({ row: pos.line, column: pos.character });
  if (!at) return undefined;
  let node: Node | null = at;
  while (node && node.type !== 'string' && node.type !== 'template_string') node = node.parent;
  let literal: string | undefined;
  if (node) {
    // A part of `path.join(__dirname, 'models', 'm.onnx')` or `Path(__file__).parent / "m.onnx"`: the whole path.
    literal = pathOf(node);
    for (let p = node.parent; p && /^(arguments|argument_list|binary_operator|call_expression|call|new_expression)$/.test(p.type); p = p.parent) {
      const whole = /arguments|argument_list/.test(p.type) ? undefined : pathOf(p);
      if (whole) literal = whole;
    }
  }
  else if (at.type === 'identifier' || at.type === 'property_identifier') {
    const call = sessionCallArgument(at);
    node = call ? call.callee : at;
    literal = pathOf(call ? call.arg : at);
  }
  if (!node || !literal) return undefined;
  const ref = resolveModelRef(literal, codeDir, roots);
  return ref ? { ...ref, range: nodeRange(node) } : undefined;
}

/**
 * An `.onnx` path as written in code → the file it names (relative to the code, then each root).
 * Code is workspace content, so the file must lie inside the workspace (the code's folder when no root
 * is open), links followed: one that escapes it comes back with `refused` and is never stat'ed beyond
 * that decision, let alone read.
 */
export function resolveModelRef(literal: string, codeDir: string, roots: string[]): { file: string; refused?: string } | undefined {
  if (!/\.onnx$/i.test(literal)) return undefined;
  const inside = roots.length ? roots.map((r) => path.resolve(r)) : [path.resolve(codeDir)];
  let outside: string | undefined;
  for (const base of [codeDir, ...roots]) {
    const file = path.resolve(base, literal);
    if (!inside.some((r) => isWithin(r, file))) { outside ??= file; continue; }
    const v = realInside(inside, file);
    if (v.ok) return { file };
    if (!v.missing) return { file, refused: `${file} ${v.why}: not read` };
  }
  return outside ? { file: outside, refused: `${outside} is outside the workspace: not read` } : undefined;
}

/** The readable model file a path in code names, if any (see resolveModelRef). */
export function resolveModelPath(literal: string, codeDir: string, roots: string[]): string | undefined {
  const ref = resolveModelRef(literal, codeDir, roots);
  return ref && !ref.refused ? ref.file : undefined;
}

/** Model reports the server keeps (least recently used go first): each holds a model's structure and text view. */
export const MAX_CACHED_MODELS = 64;

/** Model reports keyed by path, reused while the file's size and mtime are unchanged; at most `capacity`. */
export class ModelCache {
  private readonly entries: Lru<string, { stamp: string; report: ModelReport }>;

  /** `measured`: the latest benchmark of a file (budget rules prefer it to the estimate). */
  constructor(private readonly measured?: MeasuredLookup, capacity = MAX_CACHED_MODELS) {
    this.entries = new Lru(capacity);
  }

  get size(): number {
    return this.entries.size;
  }

  get(file: string, config: Config): ModelReport {
    let stamp = 'missing';
    try {
      const st = fs.statSync(file);
      stamp = `${st.size}:${st.mtimeMs}:${JSON.stringify([config.dims, config.rules, config.cost, config.generation])}`;
    } catch { /* analyzeModelFile reports it */ }
    const measured = stamp === 'missing' ? undefined : this.measured?.(file, config);
    if (measured) stamp += `:${measured.p95Ms}:${measured.inferencesPerSec}`;
    const hit = this.entries.get(file);
    if (hit && hit.stamp === stamp) return hit.report;
    const report = analyzeModelFile(file, config, measured);
    this.entries.set(file, { stamp, report });
    return report;
  }

  forget(file: string): void {
    this.entries.delete(file);
  }
}

