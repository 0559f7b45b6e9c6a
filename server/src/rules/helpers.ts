import type { Node } from 'web-tree-sitter';
import type { Range } from './types';

export function nodeRange(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** Whole lines first..last, as a range from column 0 of `first` to column 0 of the line after `last`. */
export function lineRange(first: number, last: number): Range {
  return { start: { line: first, character: 0 }, end: { line: last + 1, character: 0 } };
}

/** An empty range at the start of `line`: where an edit inserts whole lines. */
export function insertionAt(line: number): Range {
  return { start: { line, character: 0 }, end: { line, character: 0 } };
}

/** The text of `node`'s lines, dedented so that its first line starts at column 0. */
export function dedentedStatement(text: string, node: Node): string {
  const lines = linesOf(text).slice(node.startPosition.row, node.endPosition.row + 1);
  const indent = node.startPosition.column;
  lines[0] = lines[0].slice(indent);
  for (let i = 1; i < lines.length; i++) {
    const lead = lines[i].length - lines[i].trimStart().length;
    lines[i] = lines[i].slice(Math.min(lead, indent));
  }
  return lines.join('\n').replace(/\s+$/, '');
}

/** Lines of the last text asked for: fixes on a large file must not split it once per finding. */
let linesCache: { text: string; lines: string[] } | undefined;
export function linesOf(text: string): string[] {
  if (linesCache?.text !== text) linesCache = { text, lines: text.split('\n') };
  return linesCache.lines;
}
