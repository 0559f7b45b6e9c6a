/**
 * Puts each profiled node on its line of the model text view (onnx/textView.ts), so reports and
 * hovers can point at where the time goes. Reads the model structure lazily (no weights).
 */
import { readModelFile } from '../onnx/reader';
import { renderTextView } from '../onnx/textView';
import { profiledNodeResolver } from './nodeMap';
import type { BenchResult } from './types';

/**
 * The result with `profile.nodes[].line` (0-based) filled where the node is in the text view; nodes
 * ORT fused or renamed are traced back to the model's node (nodeMap.ts).
 */
export function withTextViewLines(result: BenchResult): BenchResult {
  if (!result.profile) return result;
  let view: ReturnType<typeof renderTextView>;
  try {
    view = renderTextView(readModelFile(result.model.path));
  } catch {
    return result; // a model ORT runs but our reader cannot: figures without lines
  }
  const resolve = profiledNodeResolver([...view.nodeLines.keys()]);
  const nodes = result.profile.nodes.map((n) => {
    const node = resolve(n.name, n.opType);
    const line = node && view.nodeLines.get(node);
    return node && line !== undefined ? { ...n, line, modelOpType: node.opType } : n;
  });
  return { ...result, profile: { ...result.profile, nodes } };
}
