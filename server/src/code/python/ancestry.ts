/**
 * What encloses a node (function, class, lambda, loop, `with`), memoised per tree. Rules ask this for
 * thousands of nodes, and every `node.parent` / `node.type` crosses into WASM, so instead of climbing
 * parent chains the answer comes from interval containment: per top-level statement, the enclosing
 * constructs ("containers") come from one `descendantsOfType` walk (or from the caller's own query
 * pass, see provideContainers), their extents are measured once, and a node is placed among them by its
 * `startIndex` (a plain field, free to read). Statements are indexed lazily, so analysing one
 * statement after an edit indexes only that statement.
 *
 * Exactness: a container's strict descendants start after its first token (a keyword or bracket), so
 * `start < node.start < end` is strict containment; the few nodes that start exactly where a container
 * starts are settled by climbing the (short) run of ancestors sharing that start, zero-width nodes on
 * a boundary and statements with syntax errors fall back to the parent-climbing walk.
 */
import type { Node, Tree } from 'web-tree-sitter';

export interface Ancestry {
  /** the node's parent (read lazily: no caller needs it on the hot path) */
  readonly parent: Node | null;
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

type Fields = Omit<Ancestry, 'parent'>;

class Enclosing implements Ancestry {
  fn?: Node; scope?: Node; cls?: Node; loop?: Node; withStmt?: Node;
  private above: Node | null | undefined;
  constructor(private readonly node: Node, f: Fields, parent?: Node | null) {
    this.fn = f.fn; this.scope = f.scope; this.cls = f.cls; this.loop = f.loop; this.withStmt = f.withStmt;
    this.above = parent;
  }
  get parent(): Node | null {
    if (this.above === undefined) this.above = this.node.parent;
    return this.above;
  }
}

const enum Kind { Fn, Lambda, Class, With, Loop, Comprehension }

const KIND_OF_TYPE = new Map<string, Kind>([
  ['function_definition', Kind.Fn], ['lambda', Kind.Lambda], ['class_definition', Kind.Class], ['with_statement', Kind.With],
  ['for_statement', Kind.Loop], ['while_statement', Kind.Loop], ['list_comprehension', Kind.Comprehension],
  ['set_comprehension', Kind.Comprehension], ['dictionary_comprehension', Kind.Comprehension], ['generator_expression', Kind.Comprehension],
]);
/** Containers plus the comprehension clauses whose extent is *not* the comprehension's loop region. */
const INDEXED_TYPES = [...KIND_OF_TYPE.keys(), 'for_in_clause'];

interface Container {
  node: Node;
  kind: Kind;
  start: number;
  end: number;
  /** index of the innermost enclosing container, -1 when none */
  up: number;
  /** for/while: the body block's extent ([-1, -1] without one) */
  bodyStart: number;
  bodyEnd: number;
  /** comprehensions: start/end pairs of the `for_in_clause` children */
  holes: number[];
  /** the container's own ancestry (filled in document order) */
  self?: Enclosing;
}

interface StatementIndex {
  node: Node;
  /** syntax errors inside: answer by climbing */
  slow: boolean;
  containers: Container[];
  starts: number[];
  byId: Map<number, Container>;
}

interface TreeIndex {
  root: Node;
  /** the root's named children and their starts, once a whole analysis is under way */
  statements?: Node[];
  starts?: number[];
  indexed: Map<number, StatementIndex>;
  /** the rest of the tree was indexed in one walk */
  walkedAll: boolean;
  /** no syntax error anywhere (one call instead of one per statement) */
  clean: boolean;
  memo: Map<number, Ancestry>;
}

/** A container (or `for_in_clause`) found by a walk; `type` when the walk already knows it (query captures). */
export interface FoundNode { node: Node; type?: string }

/**
 * Per-statement walks cost a fixed overhead each (web-tree-sitter resolves the type names on every
 * call) and finding a node's statement costs a call; once this many statements of a tree were asked
 * for, a whole analysis is under way: the rest of the tree is indexed in one walk and statements are
 * found by binary search over the root's children.
 */
const WALK_ALL_AFTER = 16;

const trees = new WeakMap<Tree, TreeIndex>();

function treeIndex(tree: Tree): TreeIndex {
  let ix = trees.get(tree);
  if (!ix) {
    const root = tree.rootNode;
    ix = { root, indexed: new Map(), walkedAll: false, clean: !root.hasError, memo: new Map() };
    trees.set(tree, ix);
  }
  return ix;
}

export function ancestry(node: Node): Ancestry {
  const ix = treeIndex(node.tree);
  const hit = ix.memo.get(node.id);
  if (hit) return hit;
  const found = locate(ix, node) ?? climb(ix.memo, node);
  ix.memo.set(node.id, found);
  return found;
}

/** The answer by interval containment, or undefined where only climbing is exact. */
function locate(ix: TreeIndex, node: Node): Ancestry | undefined {
  if (node.id === ix.root.id) return new Enclosing(node, {}, null);
  const s = node.startIndex;
  const stmt = statementOf(ix, node);
  if (!stmt) return undefined;
  const st = statementIndex(ix, stmt);
  if (node.id === st.node.id) return new Enclosing(node, {}, ix.root);
  if (st.slow) return undefined;
  const own = st.byId.get(node.id);
  if (own) return own.self!;

  const { containers, starts } = st;
  const next = lastAtOrBefore(starts, s - 1) + 1; // first container starting at or after s
  let i = next - 1;
  let boundary = false; // s sits on an end: a zero-width node there may belong to either side
  while (i >= 0 && !(s < containers[i].end)) {
    if (s === containers[i].end) boundary = true;
    i = containers[i].up;
  }
  // A container starting exactly at s is the node's ancestor only if the climb through the ancestors
  // sharing that start reaches it (blocks and statements that begin with a `for`, `lambda`, ... do not).
  if (next < containers.length && starts[next] === s && startsInside(node, containers[next].node)) i = next;
  if (i >= 0) {
    const c = containers[i];
    if (c.kind === Kind.Loop && s === c.bodyEnd) boundary = true;
    if (c.kind === Kind.Comprehension) for (let h = 1; h < c.holes.length; h += 2) if (s === c.holes[h]) boundary = true;
  }
  if (boundary && node.endIndex === s) return undefined;
  return new Enclosing(node, fieldsInside(containers, i, s));
}

/** Whether `container` (starting where `node` starts) is an ancestor of `node`. */
function startsInside(node: Node, container: Node): boolean {
  for (let p = node.parent; p && p.startIndex === node.startIndex; p = p.parent) if (p.id === container.id) return true;
  return false;
}

/** What a node starting at `s` strictly inside container `i` (-1: none) is enclosed by. */
function fieldsInside(containers: Container[], i: number, s: number): Fields {
  if (i < 0) return {};
  const c = containers[i];
  const above = c.self!;
  const f: Fields = { fn: above.fn, scope: above.scope, cls: above.cls, loop: above.loop, withStmt: above.withStmt };
  switch (c.kind) {
    case Kind.Fn: f.fn = c.node; f.scope = c.node; f.loop = undefined; break;
    case Kind.Lambda: f.scope = c.node; f.loop = undefined; break;
    case Kind.Class: f.cls = c.node; f.loop = undefined; break;
    case Kind.With: f.withStmt = c.node; break;
    case Kind.Loop: if (s >= c.bodyStart && s < c.bodyEnd) f.loop = c.node; break;
    case Kind.Comprehension: if (!inHole(c.holes, s)) f.loop = c.node; break;
  }
  return f;
}

function inHole(holes: number[], s: number): boolean {
  for (let h = 0; h < holes.length; h += 2) if (s >= holes[h] && s < holes[h + 1]) return true;
  return false;
}

/** The node types whose nodes ancestry needs from a walk (see provideContainers). */
export const ANCESTRY_NODE_TYPES: readonly string[] = INDEXED_TYPES;

/**
 * Query patterns capturing exactly those nodes, each under its type's name: append them to a query the
 * caller runs anyway and hand the captures named in ANCESTRY_NODE_TYPES to provideContainers (about
 * +10 % on that query instead of a walk of the tree here).
 */
export const ANCESTRY_QUERY_PATTERNS = INDEXED_TYPES.map((t) => `(${t}) @${t}`).join(' ');

/**
 * Hands ancestry the containers a caller's own walk already found, so that it does not walk again:
 * `scope` is the root or a top-level statement, `found` must hold every node of ANCESTRY_NODE_TYPES
 * inside it (captures of ANCESTRY_QUERY_PATTERNS, or descendantsOfType), in document order; extra
 * nodes after the scope are harmless, a missing one gives wrong answers. Statements already indexed
 * keep their index.
 */
export function provideContainers(scope: Node, found: readonly FoundNode[]): void {
  const ix = treeIndex(scope.tree);
  if (scope.id === ix.root.id) { ix.walkedAll = true; indexGrouped(ix, found); return; }
  if (scope.parent?.id !== ix.root.id) throw new Error('provideContainers: scope must be the root or a top-level statement');
  if (!ix.indexed.has(scope.id)) ix.indexed.set(scope.id, buildStatement(ix, scope, found));
}

/** The child of the root that holds `node` (a statement, or a stray token), null for the root. */
function statementOf(ix: TreeIndex, node: Node): Node | null {
  if (!ix.starts) return ix.root.childWithDescendant(node);
  // The last statement starting at or before the node. A node past its end (a token between statements)
  // is then inside none of its containers, which is the right answer for it too.
  const k = lastAtOrBefore(ix.starts, node.startIndex);
  return k >= 0 ? ix.statements![k] : ix.root.childWithDescendant(node);
}

/** A top-level statement's index, built on first use. */
function statementIndex(ix: TreeIndex, node: Node): StatementIndex {
  const known = ix.indexed.get(node.id);
  if (known) return known;
  if (!ix.walkedAll && ix.indexed.size >= WALK_ALL_AFTER) {
    ix.walkedAll = true;
    indexGrouped(ix, walk(ix.root));
    const grouped = ix.indexed.get(node.id);
    if (grouped) return grouped;
  }
  const st = buildStatement(ix, node, walk(node));
  ix.indexed.set(node.id, st);
  return st;
}

function walk(scope: Node): FoundNode[] {
  return scope.descendantsOfType(INDEXED_TYPES).filter((n): n is Node => n !== null).map((n) => ({ node: n }));
}

/** Indexes every statement not indexed yet from one document-order list of the whole tree. */
function indexGrouped(ix: TreeIndex, found: readonly FoundNode[]): void {
  const statements = ix.statements = ix.root.namedChildren.filter((n): n is Node => n !== null);
  const starts = ix.starts = statements.map((n) => n.startIndex);
  let i = 0;
  for (let k = 0; k < statements.length; k++) {
    const next = k + 1 < starts.length ? starts[k + 1] : Infinity;
    let j = i;
    while (j < found.length && found[j].node.startIndex < next) j++;
    const node = statements[k];
    if (!ix.indexed.has(node.id)) ix.indexed.set(node.id, buildStatement(ix, node, found.slice(i, j)));
    i = j;
  }
}

/** A statement's containers in document order, nested by extent. */
function buildStatement(ix: TreeIndex, node: Node, found: readonly FoundNode[]): StatementIndex {
  const st: StatementIndex = { node, slow: !ix.clean && node.hasError, containers: [], starts: [], byId: new Map() };
  if (st.slow) return st;
  const open: number[] = []; // stack of enclosing container indexes
  for (const { node: n, type = n.type } of found) {
    const start = n.startIndex, end = n.endIndex;
    if (start < node.startIndex) return slow(st);
    while (open.length && st.containers[open[open.length - 1]].end <= start) open.pop();
    const up = open.length ? open[open.length - 1] : -1;
    if (type === 'for_in_clause') {
      const owner = st.containers[up];
      if (!owner || owner.kind !== Kind.Comprehension) return slow(st);
      owner.holes.push(start, end);
      continue;
    }
    const kind = KIND_OF_TYPE.get(type);
    // Shared or empty extents only come with error recovery; nesting by extent would be ambiguous.
    if (kind === undefined || end <= start || (up >= 0 && st.containers[up].start >= start)) return slow(st);
    const c: Container = { node: n, kind, start, end, up, bodyStart: -1, bodyEnd: -1, holes: [] };
    if (c.kind === Kind.Loop) {
      const body = n.childForFieldName('body');
      if (body) { c.bodyStart = body.startIndex; c.bodyEnd = body.endIndex; }
    }
    c.self = new Enclosing(n, fieldsInside(st.containers, up, start));
    st.containers.push(c);
    st.starts.push(start);
    st.byId.set(n.id, c);
    open.push(st.containers.length - 1);
  }
  return st;
}

function slow(st: StatementIndex): StatementIndex {
  st.slow = true;
  st.containers = []; st.starts = []; st.byId.clear();
  return st;
}

/** Index of the last value <= x in ascending `values`, -1 when none. */
function lastAtOrBefore(values: number[], x: number): number {
  let lo = 0, hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo - 1;
}

/**
 * The parent-climbing walk: climb to the first ancestor already known (or the root), then fill the
 * chain back down. Exact for any tree; used where intervals are ambiguous.
 */
function climb(byId: Map<number, Ancestry>, node: Node): Ancestry {
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
    above = new Enclosing(root, {}, null);
    byId.set(root.id, above);
    parentNode = root;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i];
    const p = parentNode!;
    const a: Enclosing = new Enclosing(n, above!, p);
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

const climbed = new WeakMap<Tree, Map<number, Ancestry>>();

/** The same answers by climbing parent chains only (the former algorithm; kept for the benchmark). */
export function ancestryByClimbing(node: Node): Ancestry {
  let byId = climbed.get(node.tree);
  if (!byId) climbed.set(node.tree, byId = new Map());
  return byId.get(node.id) ?? climb(byId, node);
}
