/**
 * Ancestry of Python nodes (enclosing function, class, loop, `with`): interval containment per
 * top-level statement against the former parent-climbing walk, same run, each on a fresh tree (the
 * answers are memoised per tree). On the 5,000-line serving file of bench/code-analysis.ts: every
 * `call` node of the file, and the calls of one statement in the middle (what an edit re-analyses);
 * then every call again with the containers handed over from a query pass (as a semantic layer that
 * already runs one query over the tree can do; that query is not timed, as it runs anyway).
 * Usage: node scripts/run-ts.mjs bench/ancestry.ts [repeats]
 */
import { Query } from 'web-tree-sitter';
import type { Node, Tree } from 'web-tree-sitter';
import { initParsers, parse } from '../server/src/code/treeSitter';
import { ancestry, ancestryByClimbing, Ancestry, ANCESTRY_QUERY_PATTERNS, provideContainers } from '../server/src/code/python/ancestry';
import { generateServingPython } from './lib/servingPython';

const REPEATS = Number(process.argv[2] ?? 30);

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

/** Milliseconds to answer ancestry for `pick(tree)`'s nodes on a fresh tree (picking, preparing not timed). */
function timeOn(text: string, pick: (tree: Tree) => Node[], ask: (n: Node) => Ancestry, prepare?: (tree: Tree) => void): number {
  const tree = parse('python', text);
  const nodes = pick(tree);
  prepare?.(tree);
  const t = process.hrtime.bigint();
  for (const n of nodes) ask(n);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  tree.delete();
  return ms;
}

async function main(): Promise<void> {
  await initParsers();
  const text = generateServingPython(5000);
  const allCalls = (tree: Tree): Node[] => tree.rootNode.descendantsOfType('call').filter((n): n is Node => n !== null);
  const middleCalls = (tree: Tree): Node[] => {
    const stmts = tree.rootNode.namedChildren.filter((n): n is Node => n !== null && n.type !== 'comment');
    const mid = stmts.slice(Math.floor(stmts.length / 2)).find((n) => n.type === 'decorated_definition' || n.type === 'class_definition')!;
    return mid.descendantsOfType('call').filter((n): n is Node => n !== null);
  };
  const probe = parse('python', text);
  const counts = { all: allCalls(probe).length, one: middleCalls(probe).length, nodes: probe.rootNode.descendantCount };
  probe.delete();

  const query = new Query(probe.language, ANCESTRY_QUERY_PATTERNS);
  const handOver = (tree: Tree): void => provideContainers(tree.rootNode, query.captures(tree.rootNode).map((c) => ({ node: c.node, type: c.name })));
  const cases = [
    { name: `every call of the file (${counts.all})`, pick: allCalls },
    { name: `calls of one statement (${counts.one})`, pick: middleCalls },
    { name: `every call, containers handed over`, pick: allCalls, prepare: handOver },
  ];
  console.log(`5,000-line Python file (${(text.length / 1024).toFixed(0)} KiB, ${counts.nodes} nodes), ${REPEATS} runs after 3 warm-ups, each on a fresh tree`);
  console.log(`${'ancestry of'.padEnd(36)} ${'climbing p50 / p10 ms'.padStart(22)} ${'intervals p50 / p10 ms'.padStart(23)} ${'speed-up p50'.padStart(13)}`);
  const cell = (s: number[]): string => `${quantile(s, 0.5).toFixed(3)} / ${quantile(s, 0.1).toFixed(3)}`;
  for (const c of cases) {
    const old: number[] = [], now: number[] = [];
    for (let r = 0; r < REPEATS + 3; r++) {
      // Alternate which goes first so neither always runs on a warmer heap.
      const pair = r % 2 ? [timeOn(text, c.pick, ancestry, c.prepare), timeOn(text, c.pick, ancestryByClimbing)].reverse()
        : [timeOn(text, c.pick, ancestryByClimbing), timeOn(text, c.pick, ancestry, c.prepare)];
      if (r < 3) continue;
      old.push(pair[0]); now.push(pair[1]);
    }
    const ratio = quantile(old, 0.5) / quantile(now, 0.5);
    console.log(`${c.name.padEnd(36)} ${cell(old).padStart(22)} ${cell(now).padStart(23)} ${ratio.toFixed(1).padStart(12)}x`);
  }
  query.delete();
}

void main();
