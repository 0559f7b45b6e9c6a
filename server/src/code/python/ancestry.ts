/**
 * What encloses a node (function, class, lambda, loop, `with`), memoised per tree by node id. Rules
 * ask this for thousands of calls; each `node.parent` crosses into WASM, so the chain of a statement
 * is walked once and shared by everything inside it.
 */
import type { Node, Tree } from 'web-tree-sitter';

export interface Ancestry {
  parent: Node | null;
  /** innermost enclosing function_definition */
  fn?: Node;
  /** innermost enclosing function_definition or lambda */
  scope?: Node;
  cls?: Node;
  /** innermost loop whose body (or comprehension element) holds the node, within the same function */
  loop?: Node;
  /** innermost enclosing with_statement */
  withStmt?: Node;
}

const memo = new WeakMap<Tree, Map<number, Ancestry>>();

export function ancestry(node: Node): Ancestry {
  let byId = memo.get(node.tree);
  if (!byId) memo.set(node.tree, byId = new Map());
  const hit = byId.get(node.id);
  if (hit) return hit;
  // Climb to the first ancestor already known (or the root), then fill the chain back down.
  const chain: Node[] = [];
  let above: Ancestry | undefined;
  let parentNode: Node | null = null;
  for (let n: Node | null = node; n; n = n.parent) {
    const known = byId.get(n.id);
    if (known) { above = known; parentNode = n; break; }
    chain.push(n);
  }
  if (!above) {
    const root = chain.pop()!;
    above = { parent: null };
    byId.set(root.id, above);
    parentNode = root;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i];
    const p = parentNode!;
    const a: Ancestry = { parent: p, fn: above!.fn, scope: above!.scope, cls: above!.cls, loop: above!.loop, withStmt: above!.withStmt };
    switch (p.type) {
      case 'function_definition': a.fn = p; a.scope = p; a.loop = undefined; break;
      case 'lambda': a.scope = p; a.loop = undefined; break;
      case 'class_definition': a.cls = p; a.loop = undefined; break;
      case 'with_statement': a.withStmt = p; break;
      case 'for_statement': case 'while_statement': if (n.type === 'block') a.loop = p; break;
      default:
        if ((p.type.endsWith('comprehension') || p.type === 'generator_expression') && n.type !== 'for_in_clause') a.loop = p;
    }
    byId.set(n.id, a);
    above = a;
    parentNode = n;
  }
  return byId.get(node.id)!;
}
