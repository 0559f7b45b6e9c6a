import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Query } from 'web-tree-sitter';
import type { Node, Tree } from 'web-tree-sitter';
import { FIXTURES } from '../helpers/paths';
import { initParsers, parse } from '../../server/src/code/treeSitter';
import { ancestry, ancestryByClimbing, ANCESTRY_NODE_TYPES, ANCESTRY_QUERY_PATTERNS, provideContainers } from '../../server/src/code/python/ancestry';
import { generateServingPython } from '../../bench/lib/servingPython';

type Field = 'parent' | 'fn' | 'scope' | 'cls' | 'loop' | 'withStmt';
const FIELDS: Field[] = ['parent', 'fn', 'scope', 'cls', 'loop', 'withStmt'];
type Ids = Record<Field, number | undefined>;

/**
 * The definition, independent of the implementation under test: walk the path from the root down to
 * the node (found by climbing `.parent`), applying what each ancestor means to the child below it.
 * The walk down to a node is its parent's walk plus one step, so `memo` (per tree, by node id) keeps
 * each prefix once: the same fold, linear in the tree instead of quadratic in its depth.
 */
function reference(node: Node, memo: Map<number, Ids>): Ids {
  const hit = memo.get(node.id);
  if (hit) return hit;
  const p = node.parent;
  const r: Ids = p ? { ...reference(p, memo), parent: p.id } : { parent: undefined, fn: undefined, scope: undefined, cls: undefined, loop: undefined, withStmt: undefined };
  if (p) {
    const child = node;
    if (p.type === 'function_definition') { r.fn = r.scope = p.id; r.loop = undefined; }
    else if (p.type === 'lambda') { r.scope = p.id; r.loop = undefined; }
    else if (p.type === 'class_definition') { r.cls = p.id; r.loop = undefined; }
    else if (p.type === 'with_statement') r.withStmt = p.id;
    else if (p.type === 'for_statement' || p.type === 'while_statement') { if (child.type === 'block') r.loop = p.id; }
    else if (['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression'].includes(p.type)) {
      if (child.type !== 'for_in_clause') r.loop = p.id;
    }
  }
  memo.set(node.id, r);
  return r;
}

function ids(a: ReturnType<typeof ancestry>): Ids {
  return { parent: a.parent?.id, fn: a.fn?.id, scope: a.scope?.id, cls: a.cls?.id, loop: a.loop?.id, withStmt: a.withStmt?.id };
}

/** Every node of the tree, named and anonymous, in document order. */
function allNodes(tree: Tree): Node[] {
  const out: Node[] = [];
  const c = tree.walk();
  for (;;) {
    out.push(c.currentNode);
    if (c.gotoFirstChild()) continue;
    while (!c.gotoNextSibling()) if (!c.gotoParent()) { c.delete(); return out; }
  }
}

function describeNode(n: Node): string {
  return `${n.type}${n.isNamed ? '' : ' (anonymous)'} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}-${n.endPosition.row + 1}:${n.endPosition.column + 1}`;
}

/**
 * How the containers reach the index: walks of their own (per statement, then the whole tree once many
 * statements are asked for), or handed over from a caller's query pass (whole tree, or one statement
 * at a time with the rest left to ancestry).
 */
type Mode = 'walks' | 'provided' | 'provided per statement';
const MODES: Mode[] = ['walks', 'provided', 'provided per statement'];

/** As a semantic layer would: ancestry's patterns appended to a query of its own, captures filtered. */
function captures(scope: Node): { node: Node; type: string }[] {
  const q = new Query(scope.tree.language, `(call) @call (identifier) @name ${ANCESTRY_QUERY_PATTERNS}`);
  try {
    return q.captures(scope).filter((c) => ANCESTRY_NODE_TYPES.includes(c.name)).map((c) => ({ node: c.node, type: c.name }));
  } finally {
    q.delete();
  }
}

/**
 * Compares ancestry() with the reference for every node, in each indexing mode, asking in document
 * order on one tree and in reverse order on another (the memo must not make answers depend on what
 * was asked first). Returns the number of nodes checked.
 */
function compareAll(text: string, label: string): number {
  let checked = 0;
  for (const mode of MODES) {
    for (const reverse of [false, true]) {
      const tree = parse('python', text);
      try {
        if (mode === 'provided') provideContainers(tree.rootNode, captures(tree.rootNode));
        if (mode === 'provided per statement') {
          tree.rootNode.namedChildren.forEach((s, i) => { if (s && i % 2 === 0) provideContainers(s, captures(s)); });
        }
        const nodes = allNodes(tree);
        if (reverse) nodes.reverse();
        const memo = new Map<number, Ids>();
        for (const n of nodes) {
          const want = reference(n, memo), got = ids(ancestry(n));
          for (const f of FIELDS) {
            if (got[f] !== want[f]) {
              assert.fail(`${label}: ${f} of ${describeNode(n)} is ${got[f]}, expected ${want[f]} (${mode}, ${reverse ? 'reverse' : 'document'} order)\n` +
                tree.rootNode.toString().slice(0, 2000));
            }
          }
          assert.strictEqual(ancestry(n), ancestry(n), 'memoised per node');
          checked++;
        }
      } finally {
        tree.delete();
      }
    }
  }
  return checked;
}

function pythonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? pythonFiles(p) : e.name.endsWith('.py') ? [p] : [];
  });
}

/** Deeply nested code: every container inside every other, in heads, defaults, decorators and bodies. */
function nested(depth: number): string {
  const lines: string[] = [];
  const emit = (indent: number, d: number): void => {
    const pad = ' '.repeat(indent);
    if (d === 0) {
      lines.push(`${pad}y = [f(a, key=lambda k: k[0]) for a in (b for b in xs if b) if {c: [d for d in c] for c in a}]`);
      lines.push(`${pad}call(model(x), *(g(i) for i in range(3)))`);
      return;
    }
    lines.push(`${pad}@decorate(lambda q=[z for z in zs]: q)`);
    lines.push(`${pad}class C${d}(Base[lambda: 0], metaclass=M):`);
    lines.push(`${pad}    attr = {k: v for k, v in items if (lambda w: w)(v)}`);
    lines.push(`${pad}    async def m${d}(self, a=lambda b=lambda: [c for c in cs]: b, *args, key=(i for i in j), **kw) -> T[lambda: 1]:`);
    lines.push(`${pad}        for i in [lambda: run(t) for t in ts]:`);
    lines.push(`${pad}            async with lock(i) as l, (await other()) as o:`);
    lines.push(`${pad}                while cond(l):`);
    emit(indent + 20, d - 1);
    lines.push(`${pad}                    break`);
    lines.push(`${pad}                else:`);
    lines.push(`${pad}                    done({s for s in l})`);
    lines.push(`${pad}            async for j in (await aiter(i)):`);
    lines.push(`${pad}                yield j`);
    lines.push(`${pad}        else:`);
    lines.push(`${pad}            pass`);
    lines.push(`${pad}    x = lambda: (yield)`);
  };
  emit(0, depth);
  lines.push('for a in b: c(a); d = [e for e in a]');
  lines.push('while x: x -= 1');
  lines.push('with torch.no_grad(): out = model(x)');
  lines.push('[x for x in y][0].append(1); (lambda: 2)(); (i for i in y).send(None)');
  lines.push('def f(): return [lambda: i for i in range(3)]');
  return lines.join('\n') + '\n';
}

/** Short texts on the edge: empty, zero-width bodies at EOF, syntax errors (ERROR and MISSING nodes). */
const EDGE_CASES: Record<string, string> = {
  'empty file': '',
  'blank lines': '\n\n  \n',
  'comment only': '# nothing here\n',
  'empty for body at EOF': 'for a in b:\n',
  'empty def body at EOF': 'def f():\n',
  'empty bodies in the middle': 'for a in b:\n\nclass A:\n\nwhile c:\ndef g():\n    for x in y:\n\n    return 1\n',
  'empty body before else': 'for x in y:\n    if c:\nelse:\n    pass\n',
  'unclosed comprehension': 'x = [i for i in\n',
  'unclosed call in a loop': 'for x in y:\n    run(x,\nz = 1\n',
  'stray tokens': ') ] } def class lambda for\n',
  'lambda without body': 'f = lambda:\n',
  'with without items': 'with :\n    pass\n',
  'broken decorator': '@\ndef f(): pass\n',
  'semicolons at top level': 'a = 1; b = [c for c in d]; ;\n',
  'missing colon': 'def f()\n    return [x for x in y]\nfor i in j\n    k(i)\n',
  'error at module start': '+ def f(): pass\n',
  'statement in a comprehension': 'x = [for i in y]\n',
  'unicode': 'def f(é="😀", g=lambda: "∂"):\n    return [c for c in "é😀"]\n',
};

describe('python ancestry', () => {
  before(() => initParsers());

  // One test per fixture file: tens of thousands of nodes in 6 indexing modes are too much for one
  // test's timeout on a loaded CI machine, and a failure names its file.
  const fixtures = pythonFiles(FIXTURES);
  let nodes = 0;
  it('finds the Python fixtures', () => assert.ok(fixtures.length >= 40, `expected the Python fixtures, found ${fixtures.length}`));
  for (const f of fixtures) {
    const label = path.relative(FIXTURES, f);
    it(`agrees with the parent-climbing definition on ${label}`, () => { nodes += compareAll(fs.readFileSync(f, 'utf8'), label); });
  }
  it('checked over 10,000 nodes across the fixture files', () => assert.ok(nodes > 10_000, `${nodes} nodes`));

  it('agrees on deeply nested code (classes, async defs, lambdas in defaults, comprehensions in loops, with in loops)', () => {
    const text = nested(4);
    const tree = parse('python', text);
    assert.ok(!tree.rootNode.hasError, 'the generated code parses cleanly');
    tree.delete();
    compareAll(text, 'nested');
  });

  it('agrees on the benchmark serving file', () => {
    compareAll(generateServingPython(400), 'serving');
  });

  for (const [name, text] of Object.entries(EDGE_CASES)) {
    it(`agrees on an edge case: ${name}`, () => { compareAll(text, name); });
  }

  for (const f of fixtures.slice(0, 8)) {
    it(`agrees on ${path.relative(FIXTURES, f)} cut at arbitrary points (syntax errors inside statements)`, () => {
      const text = fs.readFileSync(f, 'utf8');
      for (let cut = 7; cut < text.length; cut += Math.max(7, Math.floor(text.length / 9))) {
        compareAll(text.slice(0, cut) + text.slice(cut + 3), `${path.relative(FIXTURES, f)} cut at ${cut}`);
      }
    });
  }

  it('refuses a scope that is neither the root nor a top-level statement', () => {
    const tree = parse('python', 'def f():\n    return [x for x in y]\n');
    const inner = tree.rootNode.descendantsOfType('return_statement')[0]!;
    assert.throws(() => provideContainers(inner, []), /root or a top-level statement/);
    tree.delete();
  });

  it('the climbing variant answers the same', () => {
    const tree = parse('python', nested(2));
    const memo = new Map<number, Ids>();
    for (const n of allNodes(tree)) assert.deepStrictEqual(ids(ancestryByClimbing(n)), reference(n, memo));
    tree.delete();
  });
});
