/** Puts model findings on the text view: a finding's target (node, tensor, graph) becomes its line. */
import { lineOf, TextView } from '../../onnx/textView';
import type { Finding } from '../types';

export function placeOnView(findings: Finding[], view: TextView): Finding[] {
  const lines = view.text.split('\n', view.lineCount);
  return findings.map((f) => {
    if (!f.target) return f;
    const line = lineOf(view, f.target);
    const text = lines[line] ?? '';
    const start = text.length - text.trimStart().length;
    return { ...f, range: { start: { line, character: start }, end: { line, character: text.length } } };
  });
}
