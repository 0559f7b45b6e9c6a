/** Random edits for incremental-analysis tests: a seeded PRNG and LSP changes, from keystrokes to line moves. */
import type { ContentChange } from '../../server/src/code/incremental';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SNIPPETS = [
  '', 'x', '\n', '    ', 'async ', '@app.post("/p")\n', 'def f(:\n', 'model = torch.load("m.pt")\n', 'with torch.no_grad():\n    ',
  'for t in texts:\n    out = encoder.encode(t)\n', ')', '"""', '# expect\n', 'é∂😀', 'session.run(None, {})', 'import torch\n',
];

/** A random change anywhere: mostly syntax-breaking, as typing is between two valid states. */
export function randomChange(text: string, next: () => number): ContentChange {
  const lines = text.split('\n');
  const pos = (): { line: number; character: number } => {
    const line = Math.floor(next() * (lines.length + 1));
    return { line, character: Math.floor(next() * ((lines[line]?.length ?? 0) + 3)) };
  };
  let a = pos(), b = pos();
  if (b.line < a.line || (b.line === a.line && b.character < a.character)) [a, b] = [b, a];
  if (next() < 0.5) b = a; // pure insertion
  else if (b.line - a.line > 3) b = { line: a.line + 1, character: 0 };
  return { range: { start: a, end: b }, text: SNIPPETS[Math.floor(next() * SNIPPETS.length)] };
}

/** Lines a serving file gains while someone works on it (indented to the line they land before). */
const STATEMENTS = [
  'model.eval()', 'x = model(batch)', 'y = encoder.encode(texts)', 'torch.set_grad_enabled(False)', 'tokenizer = AutoTokenizer.from_pretrained(NAME)',
  'result = session.run(None, {"x": x})', 'app.add_api_route("/r", handler)', 'helper(model)', 'pass', 'value = value.item()', 'logits = logits.cpu()',
  'self.model = torch.load("m.pt")', 'import numpy as np', 'out = pipe(text, padding="max_length")', 'x = torch.tensor([1.0, 2.0], device="cuda")',
];

/** A whole-line edit: a statement typed in, a line deleted, duplicated, or a word renamed. */
export function lineChange(text: string, next: () => number): ContentChange {
  const lines = text.split('\n');
  const line = Math.floor(next() * lines.length);
  const current = lines[line] ?? '';
  const indent = current.slice(0, current.length - current.trimStart().length);
  const r = next();
  if (r < 0.35) {
    const stmt = STATEMENTS[Math.floor(next() * STATEMENTS.length)];
    return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: `${indent}${stmt}\n` };
  }
  if (r < 0.5) return { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' };
  if (r < 0.6) return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: `${current}\n` };
  const words = [...current.matchAll(/[A-Za-z_]\w*/g)];
  if (!words.length) return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '\n' };
  const w = words[Math.floor(next() * words.length)];
  const other = [...text.matchAll(/[A-Za-z_]\w*/g)];
  const replacement = next() < 0.5 ? `${w[0]}_2` : other[Math.floor(next() * other.length)][0];
  return { range: { start: { line, character: w.index! }, end: { line, character: w.index! + w[0].length } }, text: replacement };
}
