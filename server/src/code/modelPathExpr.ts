/**
 * "Which `.onnx` path does this expression name?" for hovers, in Python and JS/TS alike: a string
 * literal, a variable bound to one, `path.join(__dirname, 'models', 'm.onnx')`,
 * `os.path.join(BASE, "m.onnx")`, `Path(__file__).parent / "m.onnx"`, `new URL('./m.onnx', import.meta.url)`,
 * and the first argument of `InferenceSession.create(...)` / `InferenceSession(...)`.
 * Directory anchors (`__dirname`, `__file__`, `process.cwd()`) are dropped: the caller resolves
 * the relative rest against the code's folder and the workspace roots.
 */
import type { Node } from 'web-tree-sitter';

const CALLS = new Set(['call_expression', 'call', 'new_expression']);
const JOINERS = /(^|\.)(join|resolve|Path|PurePath|URL|fileURLToPath)$/;
const ANCHORS = /^(__dirname|__filename|__file__|import\.meta\.(url|dirname)|process\.cwd\(\)|os\.getcwd\(\)|Path\.cwd\(\))$|dirname|\.parent$/;

function literal(node: Node): string | undefined {
  if (node.type === 'template_string' && node.descendantsOfType('template_substitution').length) return undefined;
  if (node.type === 'string' || node.type === 'template_string') {
    if (node.descendantsOfType('interpolation').length) return undefined;
    return node.text.replace(/^[rbuRBU]*("""|'''|"|'|`)/, '').replace(/("""|'''|"|'|`)$/, '');
  }
  return undefined;
}

/** The assignment (Python) or declarator (JS) that binds `name`, nearest above `before` (or anywhere). */
function bindingOf(root: Node, name: string, before: number): Node | undefined {
  let best: Node | undefined;
  for (const n of root.descendantsOfType(['variable_declarator', 'assignment'])) {
    if (!n) continue;
    const left = n.childForFieldName(n.type === 'assignment' ? 'left' : 'name');
    if (left?.type !== 'identifier' || left.text !== name) continue;
    const value = n.childForFieldName(n.type === 'assignment' ? 'right' : 'value');
    if (!value) continue;
    if (!best || (n.startIndex < before && n.startIndex > best.startIndex) || best.startIndex >= before) best = value;
  }
  return best;
}

/** The relative path an expression names, or undefined when it is not a (resolvable) path. */
export function pathOf(node: Node | null | undefined, depth = 0): string | undefined {
  if (!node || depth > 8) return undefined;
  const lit = literal(node);
  if (lit !== undefined) return lit;
  switch (node.type) {
    case 'parenthesized_expression': case 'await_expression': return pathOf(node.namedChild(0), depth + 1);
    case 'identifier': {
      const value = bindingOf(node.tree.rootNode, node.text, node.startIndex);
      return value && value.id !== node.id ? pathOf(value, depth + 1) : undefined;
    }
    case 'binary_operator': // Python: Path(__file__).parent / "models" / "m.onnx"
      if (node.childForFieldName('operator')?.text !== '/') return undefined;
      return joinParts([node.childForFieldName('left'), node.childForFieldName('right')], depth);
    default:
      if (!CALLS.has(node.type)) return undefined;
      const callee = node.childForFieldName('function') ?? node.childForFieldName('constructor');
      if (!callee || !JOINERS.test(callee.text)) return undefined;
      const args = node.childForFieldName('arguments')?.namedChildren ?? [];
      return joinParts(args, depth);
  }
}

function joinParts(parts: (Node | null)[], depth: number): string | undefined {
  const out: string[] = [];
  for (const p of parts) {
    if (!p || p.type === 'comment') continue;
    if (ANCHORS.test(p.text.replace(/\s/g, ''))) continue;
    const s = pathOf(p, depth + 1);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out.length ? out.join('/').replace(/\/+/g, '/').replace(/(^|\/)\.\//g, '$1') : undefined;
}

/** On `InferenceSession.create(...)` (JS) or `InferenceSession(...)` (Python): the call's first argument. */
export function sessionCallArgument(node: Node): { arg: Node; callee: Node } | undefined {
  for (let n: Node | null = node; n; n = n.parent) {
    if (!CALLS.has(n.type)) continue;
    const callee = n.childForFieldName('function');
    if (!callee || !/(^|\.)InferenceSession(\.create)?$/.test(callee.text)) continue;
    if (node.startIndex < callee.startIndex || node.endIndex > callee.endIndex) return undefined; // only on the callee
    const arg = n.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment');
    return arg ? { arg, callee } : undefined;
  }
  return undefined;
}
