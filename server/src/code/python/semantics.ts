/**
 * The light semantic layer over a Python tree that rules share: import aliases, qualified callee
 * names, enclosing functions and loops, and whether a function runs once per request.
 */
import type { Node, Tree } from 'web-tree-sitter';

export interface PythonModule {
  tree: Tree;
  /** local name → qualified name (`ort` → `onnxruntime`, `AM` → `transformers.AutoModel`) */
  imports: Map<string, string>;
  /** names assigned at module level */
  moduleNames: Set<string>;
}

export function analyzeModule(tree: Tree): PythonModule {
  const imports = new Map<string, string>();
  const moduleNames = new Set<string>();
  for (const stmt of tree.rootNode.namedChildren) {
    if (!stmt) continue;
    collectImports(stmt, imports);
    for (const name of assignedNames(stmt)) moduleNames.add(name);
  }
  // Imports inside functions (common in handlers) are resolved too; module ones win on conflict.
  for (const node of tree.rootNode.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!node) continue;
    const local = new Map<string, string>();
    collectImports(node, local);
    for (const [k, v] of local) if (!imports.has(k)) imports.set(k, v);
  }
  return { tree, imports, moduleNames };
}

function collectImports(stmt: Node, into: Map<string, string>): void {
  if (stmt.type === 'import_statement') {
    for (const child of stmt.namedChildren) {
      if (!child) continue;
      if (child.type === 'dotted_name') into.set(child.text.split('.')[0], child.text.split('.')[0]);
      else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text, alias = child.childForFieldName('alias')?.text;
        if (name && alias) into.set(alias, name);
      }
    }
  } else if (stmt.type === 'import_from_statement') {
    const mod = stmt.childForFieldName('module_name')?.text;
    if (!mod || mod.startsWith('.')) return;
    for (const child of stmt.childrenForFieldName('name')) {
      if (!child) continue;
      if (child.type === 'dotted_name') into.set(child.text, `${mod}.${child.text}`);
      else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text, alias = child.childForFieldName('alias')?.text;
        if (name && alias) into.set(alias, `${mod}.${name}`);
      }
    }
  }
}

/** Names bound by an assignment statement (`a = ...`, `a, b = ...`, `a: T = ...`). */
export function assignedNames(stmt: Node): string[] {
  const out: string[] = [];
  const expr = stmt.type === 'expression_statement' ? stmt.namedChild(0) : stmt;
  if (!expr || (expr.type !== 'assignment' && expr.type !== 'augmented_assignment')) return out;
  const left = expr.childForFieldName('left');
  if (!left) return out;
  if (left.type === 'identifier') out.push(left.text);
  else for (const id of left.descendantsOfType('identifier')) if (id && id.parent?.type !== 'attribute') out.push(id.text);
  return out;
}

/** `a.b.c` of an identifier/attribute chain, or undefined for anything else (calls, subscripts). */
export function dottedName(node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const obj = dottedName(node.childForFieldName('object'));
    const attr = node.childForFieldName('attribute')?.text;
    return obj && attr ? `${obj}.${attr}` : undefined;
  }
  return undefined;
}

/** The callee of a call with its head resolved through imports: `ort.InferenceSession` → `onnxruntime.InferenceSession`. */
export function qualifiedCallee(mod: PythonModule, call: Node): string | undefined {
  const fn = call.childForFieldName('function');
  const name = dottedName(fn);
  if (name) return qualify(mod, name);
  // `AutoModel.from_pretrained(x).to(device)`: the callee is an attribute of a call; qualify the attribute tail.
  if (fn?.type === 'attribute') {
    const inner = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute')?.text;
    if (inner?.type === 'call' && attr) return `${qualifiedCallee(mod, inner) ?? '?'}().${attr}`;
  }
  return undefined;
}

export function qualify(mod: PythonModule, dotted: string): string {
  const [head, ...rest] = dotted.split('.');
  const q = mod.imports.get(head);
  return q ? [q, ...rest].join('.') : dotted;
}

export function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

/** The innermost loop (for/while/comprehension) between `node` and its enclosing function. */
export function enclosingLoop(node: Node): Node | undefined {
  for (let p = node.parent, child: Node = node; p; child = p, p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'class_definition' || p.type === 'lambda') return undefined;
    if ((p.type === 'for_statement' || p.type === 'while_statement') && child.type === 'block') return p;
    if (/comprehension$|^generator_expression$/.test(p.type) && child.type !== 'for_in_clause') return p;
  }
  return undefined;
}

/** The decorators of a function (empty when it has none). */
export function decoratorsOf(fn: Node): Node[] {
  const parent = fn.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((c): c is Node => !!c && c.type === 'decorator');
}

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'route', 'api_route', 'websocket']);

/**
 * Why a function runs once per request, or undefined. Covers FastAPI/Starlette/Flask route
 * decorators (`@app.post(...)`, `@router.get(...)`, `@bp.route(...)`).
 */
export function requestHandlerKind(fn: Node): string | undefined {
  for (const dec of decoratorsOf(fn)) {
    const expr = dec.namedChild(0);
    const callee = expr?.type === 'call' ? expr.childForFieldName('function') : expr;
    if (callee?.type !== 'attribute') continue;
    const method = callee.childForFieldName('attribute')?.text;
    if (method && ROUTE_METHODS.has(method)) return `a route handler (@${callee.text})`;
  }
  return undefined;
}

export function functionName(fn: Node): string {
  return fn.childForFieldName('name')?.text ?? '<lambda>';
}

/** Parameters and names assigned anywhere in a function (its locals, roughly). */
export function functionLocals(fn: Node): Set<string> {
  const out = new Set<string>();
  const params = fn.childForFieldName('parameters');
  for (const id of params?.descendantsOfType('identifier') ?? []) {
    if (id && id.parent?.type !== 'attribute' && id.parent?.type !== 'type') out.add(id.text);
  }
  for (const stmt of fn.descendantsOfType(['expression_statement', 'for_statement', 'with_item'])) {
    if (!stmt || enclosingFunction(stmt)?.id !== fn.id) continue;
    if (stmt.type === 'expression_statement') for (const n of assignedNames(stmt)) out.add(n);
    else if (stmt.type === 'for_statement') {
      const left = stmt.childForFieldName('left');
      for (const id of left?.descendantsOfType('identifier') ?? []) if (id) out.add(id.text);
    } else {
      const alias = stmt.descendantsOfType('as_pattern_target')[0];
      for (const id of alias?.descendantsOfType('identifier') ?? []) if (id) out.add(id.text);
    }
  }
  return out;
}

/** The statement directly under the module that contains `node` (decorated definitions whole). */
export function topLevelStatement(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== 'module') n = n.parent;
  return n;
}

/** The smallest enclosing simple statement (the line-ish unit a fix moves). */
export function enclosingStatement(node: Node): Node | undefined {
  for (let p: Node | null = node; p; p = p.parent) {
    if (p.parent && (p.parent.type === 'block' || p.parent.type === 'module')) return p;
  }
  return undefined;
}
