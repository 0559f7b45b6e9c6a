/** Edit builders the Python rules share: import insertion, wrapping a statement, inserting after a statement. */
import type { Node } from 'web-tree-sitter';
import { cached, PythonModule } from '../../code/python/semantics';
import type { TextEdit } from '../types';
import { insertionAt, linesOf } from '../helpers';

/** The local name under which `pkg` is imported whole (`torch`, `ort` for onnxruntime), if any. */
export function localModuleName(mod: PythonModule, pkg: string): string | undefined {
  for (const [local, q] of mod.imports) if (q === pkg) return local;
  return undefined;
}


/** The name to write for `pkg` and, when the file does not import it, the edit that does (memoised per module). */
export function ensureImport(mod: PythonModule, pkg: string, alias?: string): { name: string; edits: TextEdit[] } {
  const byPkg = cached(mod, 'imports', () => new Map<string, { name: string; edits: TextEdit[] }>());
  const key = `${pkg} ${alias ?? ''}`;
  let hit = byPkg.get(key);
  if (!hit) byPkg.set(key, hit = computeImport(mod, pkg, alias));
  return hit;
}


function computeImport(mod: PythonModule, pkg: string, alias?: string): { name: string; edits: TextEdit[] } {
  const local = localModuleName(mod, pkg);
  if (local) return { name: local, edits: [] };
  const line = mod.context.importLine;
  return { name: alias ?? pkg, edits: [{ range: insertionAt(line), newText: alias ? `import ${pkg} as ${alias}\n` : `import ${pkg}\n` }] };
}

export function indentOf(text: string, row: number): string {
  const line = linesOf(text)[row] ?? '';
  return line.slice(0, line.length - line.trimStart().length);
}

/** The statement holding `node` if it stands on its own lines (not after `if x:` on the same line). */
export function ownLineStatement(text: string, node: Node): Node | undefined {
  for (let p: Node | null = node; p; p = p.parent) {
    if (p.parent && (p.parent.type === 'block' || p.parent.type === 'module')) {
      const before = (linesOf(text)[p.startPosition.row] ?? '').slice(0, p.startPosition.column);
      return before.trim() === '' ? p : undefined;
    }
  }
  return undefined;
}

/** Replaces `stmt`'s lines with `<header>` followed by the statement indented one level. */
export function wrapStatement(text: string, stmt: Node, header: string): TextEdit {
  const lines = linesOf(text).slice(stmt.startPosition.row, stmt.endPosition.row + 1);
  const indent = indentOf(text, stmt.startPosition.row);
  const body = lines.map((l) => (l.trim() ? `    ${l}` : l)).join('\n');
  return {
    range: { start: { line: stmt.startPosition.row, character: 0 }, end: { line: stmt.endPosition.row + 1, character: 0 } },
    newText: `${indent}${header}\n${body}\n`,
  };
}

/** Inserts whole lines (at the statement's indentation) after `stmt`. */
export function insertAfter(text: string, stmt: Node, ...lines: string[]): TextEdit {
  const indent = indentOf(text, stmt.startPosition.row);
  return { range: insertionAt(stmt.endPosition.row + 1), newText: lines.map((l) => `${indent}${l}\n`).join('') };
}

/** Inserts keyword arguments just before a call's closing parenthesis. */
export function appendArguments(call: Node, args: string): TextEdit | undefined {
  const list = call.childForFieldName('arguments');
  const close = list?.lastChild;
  if (!list || list.type !== 'argument_list' || close?.type !== ')') return undefined;
  const named = list.namedChildren.filter((c) => c && c.type !== 'comment');
  const trailingComma = list.children.filter((c) => c?.type === ',').length >= named.length && named.length > 0;
  const sep = named.length === 0 ? '' : trailingComma ? ' ' : ', ';
  const at = { line: close.startPosition.row, character: close.startPosition.column };
  return { range: { start: at, end: at }, newText: `${sep}${args}` };
}
