/**
 * tree-sitter parsers (WASM, no native build) for the serving-code languages. Loaded once per
 * process; parsing itself is synchronous and error-tolerant.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Language, Parser, Tree } from 'web-tree-sitter';

export type CodeLanguage = 'python' | 'javascript' | 'typescript' | 'tsx';

const GRAMMARS: Record<CodeLanguage, { file: string; pkg: string }> = {
  python: { file: 'tree-sitter-python.wasm', pkg: 'tree-sitter-python' },
  javascript: { file: 'tree-sitter-javascript.wasm', pkg: 'tree-sitter-javascript' },
  typescript: { file: 'tree-sitter-typescript.wasm', pkg: 'tree-sitter-typescript' },
  tsx: { file: 'tree-sitter-tsx.wasm', pkg: 'tree-sitter-typescript' },
};

/** The bundles ship the wasm files in dist/wasm; unbundled code (tests) finds them in node_modules. */
function wasmPath(file: string, pkg: string): string {
  const shipped = path.join(__dirname, 'wasm', file);
  if (fs.existsSync(shipped)) return shipped;
  return require.resolve(`${pkg}/${file}`);
}

let ready: Promise<void> | undefined;
const parsers = new Map<CodeLanguage, Parser>();

/** Loads the runtime and every grammar; later calls return the same promise. */
export function initParsers(): Promise<void> {
  ready ??= (async () => {
    await Parser.init({ locateFile: (name: string) => wasmPath(name, 'web-tree-sitter') });
    for (const [lang, g] of Object.entries(GRAMMARS) as [CodeLanguage, { file: string; pkg: string }][]) {
      const language = await Language.load(wasmPath(g.file, g.pkg));
      const parser = new Parser();
      parser.setLanguage(language);
      parsers.set(lang, parser);
    }
  })();
  return ready;
}

/** Parses `text`; `oldTree` (already edited with Tree.edit) makes it incremental. */
export function parse(lang: CodeLanguage, text: string, oldTree?: Tree): Tree {
  const parser = parsers.get(lang);
  if (!parser) throw new Error('initParsers() must complete before parse()');
  const tree = parser.parse(text, oldTree ?? null);
  if (!tree) throw new Error(`tree-sitter could not parse this ${lang} text`);
  return tree;
}

export function languageOfPath(file: string): CodeLanguage | undefined {
  switch (path.extname(file).toLowerCase()) {
    case '.py': case '.pyi': return 'python';
    case '.js': case '.mjs': case '.cjs': case '.jsx': return 'javascript';
    case '.ts': case '.mts': case '.cts': return 'typescript';
    case '.tsx': return 'tsx';
    default: return undefined;
  }
}

export function languageOfId(languageId: string): CodeLanguage | undefined {
  switch (languageId) {
    case 'python': return 'python';
    case 'javascript': case 'javascriptreact': return 'javascript';
    case 'typescript': return 'typescript';
    case 'typescriptreact': return 'tsx';
    default: return undefined;
  }
}
