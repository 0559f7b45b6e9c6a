/** Connecting code to models: the `.onnx` path a string, variable or session call names, and a cache of model reports. */
import * as fs from 'fs';
import * as path from 'path';
import type { Tree, Node } from 'web-tree-sitter';
import { analyzeModelFile, ModelReport } from './engine';
import type { Config } from './config';
import type { Position, Range } from './rules/types';
import { nodeRange } from './rules/helpers';
import { pathOf, sessionCallArgument } from './code/modelPathExpr';

/**
 * The `.onnx` file named under `pos` (relative to the code or a workspace root), if it exists: a
 * string literal, a variable holding a path, or an `InferenceSession.create(...)`/`InferenceSession(...)` callee.
 */
export function modelPathAt(tree: Tree, pos: Position, codeDir: string, roots: string[]): { file: string; range: Range } | undefined {
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
  if (!node || !literal || !/\.onnx$/i.test(literal)) return undefined;
  for (const base of [codeDir, ...roots]) {
    const file = path.resolve(base, literal);
    if (fs.existsSync(file)) return { file, range: nodeRange(node) };
  }
  return undefined;
}

/** Model reports keyed by path, reused while the file's size and mtime are unchanged. */
export class ModelCache {
  private entries = new Map<string, { stamp: string; report: ModelReport }>();

  get(file: string, config: Config): ModelReport {
    let stamp = 'missing';
    try {
      const st = fs.statSync(file);
      stamp = `${st.size}:${st.mtimeMs}:${JSON.stringify(config.dims)}`;
    } catch { /* analyzeModelFile reports it */ }
    const hit = this.entries.get(file);
    if (hit && hit.stamp === stamp) return hit.report;
    const report = analyzeModelFile(file, config);
    this.entries.set(file, { stamp, report });
    return report;
  }

  forget(file: string): void {
    this.entries.delete(file);
  }
}
