/**
 * One tree-sitter tree per open document, kept in step with the editor: LSP content changes become
 * `Tree.edit` calls as they arrive, and the next analysis re-parses with the edited tree, so only the
 * changed region is parsed again. A tree that may have drifted from the text is dropped, never trusted.
 */
import { Edit, Point, Tree } from 'web-tree-sitter';
import { CodeLanguage, parse } from './treeSitter';

/** An LSP content change: a range replacement, or the whole text when `range` is absent. */
export interface ContentChange {
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

interface Entry {
  lang: CodeLanguage;
  tree: Tree;
  /** the text `tree` describes once re-parsed (edits applied) */
  text: string;
  /** edits applied since the last parse */
  pending: boolean;
}

/** Offset (UTF-16 units) of an LSP position in `text`, clamped like TextDocument does. */
export function offsetAt(text: string, line: number, character: number, lineStarts = lineStartsOf(text)): number {
  if (line >= lineStarts.length) return text.length;
  if (line < 0) return 0;
  const start = lineStarts[line];
  const next = line + 1 < lineStarts.length ? lineStarts[line + 1] : text.length;
  // Like TextDocument.offsetAt: a character past the end of a line stops before its line break.
  let offset = Math.max(start, Math.min(start + character, next));
  while (offset > start && (text.charCodeAt(offset - 1) === 10 || text.charCodeAt(offset - 1) === 13)) offset--;
  return offset;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function pointAt(text: string, offset: number, lineStarts: number[]): Point {
  let lo = 0, hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return { row: lo, column: offset - lineStarts[lo] };
}

/** The point after inserting `inserted` at `start`. */
function advance(start: Point, inserted: string): Point {
  const lastNl = inserted.lastIndexOf('\n');
  if (lastNl < 0) return { row: start.row, column: start.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf('\n'); i >= 0; i = inserted.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: inserted.length - lastNl - 1 };
}

/**
 * Applies LSP changes to `text`, describing each to `tree` (when given) with `Tree.edit`; returns the new
 * text, or undefined for a full-text change (the tree cannot be reused).
 */
export function applyChanges(text: string, changes: readonly ContentChange[], tree?: Tree): string | undefined {
  let current = text;
  for (const change of changes) {
    if (!change.range) return undefined;
    const starts = lineStartsOf(current);
    const a = offsetAt(current, change.range.start.line, change.range.start.character, starts);
    const b = offsetAt(current, change.range.end.line, change.range.end.character, starts);
    const startIndex = Math.min(a, b), oldEndIndex = Math.max(a, b); // a reversed range counts as well-formed
    const startPosition = pointAt(current, startIndex, starts);
    const oldEndPosition = pointAt(current, oldEndIndex, starts);
    tree?.edit(new Edit({
      startIndex, oldEndIndex, newEndIndex: startIndex + change.text.length,
      startPosition, oldEndPosition, newEndPosition: advance(startPosition, change.text),
    }));
    current = current.slice(0, startIndex) + change.text + current.slice(oldEndIndex);
  }
  return current;
}

export class DocumentTrees {
  private entries = new Map<string, Entry>();

  /** Records an edit as it arrives: `oldText` is the document before `changes`. */
  change(uri: string, oldText: string, changes: readonly ContentChange[]): void {
    const e = this.entries.get(uri);
    if (!e) return;
    const next = e.text === oldText ? applyChanges(oldText, changes, e.tree) : undefined;
    if (next === undefined) { this.close(uri); return; }
    e.text = next;
    e.pending = true;
  }

  /** The tree of `text`: re-parsed incrementally from the edited tree when it matches, else parsed in full. */
  treeFor(uri: string, lang: CodeLanguage, text: string): Tree {
    const e = this.entries.get(uri);
    if (e && e.lang === lang && e.text === text) {
      if (e.pending) {
        const tree = parse(lang, text, e.tree);
        e.tree.delete();
        e.tree = tree;
        e.pending = false;
      }
      return e.tree;
    }
    if (e) this.close(uri);
    const tree = parse(lang, text);
    this.entries.set(uri, { lang, tree, text, pending: false });
    return tree;
  }

  close(uri: string): void {
    this.entries.get(uri)?.tree.delete();
    this.entries.delete(uri);
  }

  get size(): number {
    return this.entries.size;
  }
}
