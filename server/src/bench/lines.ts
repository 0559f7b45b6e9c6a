/**
 * Puts each profiled node on its line of the model text view (onnx/textView.ts), so reports and
 * hovers can point at where the time goes. Reads the model structure lazily (no weights).
 */
import { readModelFile } from '../onnx/reader';
import { renderTextView } from '../onnx/textView';
import { attachLines } from './profile';
import type { BenchResult } from './types';

/** The result with `profile.nodes[].line` (0-based) filled where the node is in the text view. */
export function withTextViewLines(result: BenchResult): BenchResult {
  if (!result.profile) return result;
  let byName: Map<string, number>;
  try {
    const view = renderTextView(readModelFile(result.model.path));
    byName = new Map();
    for (const [node, line] of view.nodeLines) if (node.name && !byName.has(node.name)) byName.set(node.name, line);
  } catch {
    return result; // a model ORT runs but our reader cannot: figures without lines
  }
  return { ...result, profile: attachLines(result.profile, (name) => byName.get(name)) };
}
