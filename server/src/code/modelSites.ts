/**
 * Model load sites in code: calls with an `.onnx` string literal among their arguments
 * (`ort.InferenceSession("m.onnx")`, `onnx.load('m.onnx')`, `InferenceSession.create("m.onnx")`).
 * The callee must read like a loader (session, load, create, from_pretrained...). Python and JS/TS alike; the CodeLens and the budget rule sit on these.
 */
import type { Node, Tree } from 'web-tree-sitter';
import type { Range } from '../rules/types';
import { nodeRange } from '../rules/helpers';

export interface ModelSite {
  /** the path as written, quotes removed */
  literal: string;
  literalRange: Range;
  /** the whole call (or `new` expression) */
  callRange: Range;
}

const STRING = new Set(['string', 'template_string']);
const ARGS = new Set(['argument_list', 'arguments']);
const CALLS = new Set(['call', 'call_expression', 'new_expression']);
/** Callees that load a model or create a session (last name of `a.b.c`); `print("m.onnx")` is no load. */
const LOADER = /(session|load|create|from_pretrained|model|pipeline|compile|read|open)/i;

function calleeName(call: Node): string {
  const f = call.childForFieldName('function') ?? call.childForFieldName('constructor');
  const text = f?.text ?? '';
  return text.slice(text.lastIndexOf('.') + 1);
}

export function stringLiteralValue(node: Node): string | undefined {
  if (node.type === 'template_string' && node.namedChildren.some((c) => c?.type === 'template_substitution')) return undefined;
  if (node.type === 'string' && node.namedChildren.some((c) => c?.type === 'interpolation')) return undefined;
  return node.text.replace(/^[rbuf]*("""|'''|"|'|`)/i, '').replace(/("""|'''|"|'|`)$/, '');
}

export function modelSites(tree: Tree, root: Node = tree.rootNode): ModelSite[] {
  const out: ModelSite[] = [];
  const visit = (node: Node): void => {
    if (STRING.has(node.type)) {
      const literal = stringLiteralValue(node);
      if (literal && /\.onnx$/i.test(literal)) {
        // the literal itself, or a keyword argument `path="m.onnx"` / `model_path="m.onnx"`
        let args = node.parent;
        if (args && args.type === 'keyword_argument') args = args.parent;
        const call = args && ARGS.has(args.type) ? args.parent : null;
        if (call && CALLS.has(call.type) && LOADER.test(calleeName(call))) out.push({ literal, literalRange: nodeRange(node), callRange: nodeRange(call) });
      }
      return;
    }
    for (const c of node.namedChildren) if (c) visit(c);
  };
  visit(root);
  return out;
}

/** The site whose call contains `pos`. */
export function siteAt(sites: readonly ModelSite[], pos: { line: number; character: number }): ModelSite | undefined {
  const before = (a: { line: number; character: number }, b: { line: number; character: number }): boolean =>
    a.line < b.line || (a.line === b.line && a.character <= b.character);
  return sites.find((s) => before(s.callRange.start, pos) && before(pos, s.callRange.end));
}
