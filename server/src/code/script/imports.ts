/**
 * Imports and aliases in JS/TS: ES imports, `require`, dynamic `import()`, destructuring. Package
 * names fold into families so rules match one name whichever build is used
 * (`onnxruntime-node`/`-web`/`-common` → `onnxruntime`; `@huggingface|@xenova/transformers` → `transformers`).
 */
import type { Node } from 'web-tree-sitter';

export function packageFamily(raw: string): string {
  // Deno / CDN specifiers: `npm:onnxruntime-web@1.20`, `https://esm.sh/@huggingface/transformers@3`.
  const spec = raw.replace(/^(npm:|https:\/\/(esm\.sh|cdn\.jsdelivr\.net\/npm|unpkg\.com)\/)/, '').replace(/(.)@[\w.^~-]+(?=\/|$)/, '$1');
  if (/^onnxruntime-(node|web|common|react-native)(\/.*)?$/.test(spec)) return 'onnxruntime';
  if (/^@(huggingface|xenova)\/transformers(\/.*)?$/.test(spec)) return 'transformers';
  if (/^@tensorflow\/tfjs(-node(-gpu)?)?$/.test(spec)) return 'tfjs';
  return spec;
}

export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') return node.text.slice(1, -1);
  if (node.type === 'template_string' && !node.descendantsOfType('template_substitution').length) return node.text.slice(1, -1);
  return undefined;
}

/**
 * `require('x')`, `import('x')`, `await import('x')`, `require('x').A`, or a call of a function that
 * returns such a module (`await lib()`): the module (and member) an initializer loads.
 */
function requiredModule(value: Node | null, loaders: ReadonlyMap<string, string> = NO_LOADERS): { spec: string; member?: string } | undefined {
  if (!value) return undefined;
  if (value.type === 'await_expression' || value.type === 'parenthesized_expression') return requiredModule(value.namedChild(0), loaders);
  if (value.type === 'member_expression') {
    const inner = requiredModule(value.childForFieldName('object'), loaders);
    const prop = value.childForFieldName('property')?.text;
    return inner && !inner.member && prop ? { spec: inner.spec, member: prop } : undefined;
  }
  if (value.type !== 'call_expression') return undefined;
  const fn = value.childForFieldName('function');
  if (fn?.type === 'identifier' && loaders.has(fn.text)) return { spec: loaders.get(fn.text)! };
  if (!fn || (fn.text !== 'require' && fn.type !== 'import')) return undefined;
  const spec = stringValue(value.childForFieldName('arguments')?.namedChild(0));
  return spec ? { spec } : undefined;
}

const NO_LOADERS = new Map<string, string>();

/**
 * Functions that load a module lazily and return it (`async function lib() { x ??= await import('m'); return x }`,
 * `const load = () => import('m')`): name → module. Their callers get the module as from `import()`.
 */
function moduleLoaders(functions: Node[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const fn of functions) {
    const text = fn.text;
    if (!/\b(import|require)\s*\(/.test(text)) continue;
    const name = fn.childForFieldName('name');
    const body = fn.type === 'variable_declarator' ? fn.childForFieldName('value') : fn;
    if (name?.type !== 'identifier' || !body || (fn.type === 'variable_declarator' && !/^(arrow_function|function_expression|function)$/.test(body.type))) continue;
    // Names the body sets to a module (`x ??= await import('m')`, `x = require('m')`).
    const held = new Map<string, string>();
    for (const a of body.descendantsOfType(['assignment_expression', 'augmented_assignment_expression'])) {
      const left = a?.childForFieldName('left'), req = requiredModule(a?.childForFieldName('right') ?? null);
      if (left?.type === 'identifier' && req && !req.member) held.set(left.text, req.spec);
    }
    const returned = [...body.descendantsOfType('return_statement').map((r) => r?.namedChild(0) ?? null), body.childForFieldName('body')];
    for (const r of returned) {
      const spec = r?.type === 'identifier' ? held.get(r.text) : requiredModule(r ?? null)?.spec;
      if (spec) { out.set(name.text, spec); break; }
    }
  }
  return out;
}

/** local name → qualified name (`ort` → `onnxruntime`, `pipeline` → `transformers.pipeline`). */
export function collectImports(importStatements: Node[], declarators: Node[], functions: Node[] = []): { imports: Map<string, string>; specs: Set<string> } {
  const imports = new Map<string, string>();
  const specs = new Set<string>();
  for (const stmt of importStatements) {
    const spec = stringValue(stmt?.childForFieldName('source'));
    if (!stmt || !spec) continue;
    specs.add(spec);
    const fam = packageFamily(spec);
    // A default import is the CJS namespace, like a namespace import.
    for (const b of clauseBindings(stmt)) imports.set(b.local, b.name === 'default' || b.name === '*' ? fam : `${fam}.${b.name}`);
  }
  const loaders = moduleLoaders([...functions, ...declarators]);
  const loaderCall = loaders.size ? new RegExp(`(^|[^\\w$])(${[...loaders.keys()].map((k) => k.replace(/\$/g, '\\$')).join('|')})\\s*\\(`) : undefined;
  for (const decl of declarators) {
    const head = decl.text.slice(0, 300);
    if (!/\b(require|import)\s*\(/.test(head) && !loaderCall?.test(head)) continue;
    const req = requiredModule(decl.childForFieldName('value'), loaders);
    if (!req) continue;
    specs.add(req.spec);
    const base = req.member ? `${packageFamily(req.spec)}.${req.member}` : packageFamily(req.spec);
    const name = decl.childForFieldName('name');
    if (name?.type === 'identifier') imports.set(name.text, base);
    for (const b of patternBindings(name)) imports.set(b.local, `${base}.${b.name}`);
  }
  return { imports, specs };
}

/** What an import statement binds: `x` (`default`), `* as x` (`*`), `{ a as b }` (`a` as `b`). */
function clauseBindings(stmt: Node): { local: string; name: string }[] {
  const out: { local: string; name: string }[] = [];
  const clause = stmt.namedChildren.find((c) => c?.type === 'import_clause');
  for (const part of clause?.namedChildren ?? []) {
    if (part?.type === 'identifier') out.push({ local: part.text, name: 'default' });
    else if (part?.type === 'namespace_import') { const id = part.namedChild(0); if (id) out.push({ local: id.text, name: '*' }); }
    else if (part?.type === 'named_imports') {
      for (const s of part.namedChildren) {
        if (s?.type !== 'import_specifier') continue;
        const name = s.childForFieldName('name')?.text, alias = s.childForFieldName('alias')?.text;
        if (name) out.push({ local: alias ?? name, name });
      }
    }
  }
  return out;
}

/** What `const { a, b: c } = ...` binds: `a` as `a`, `b` as `c` (nothing for other patterns). */
function patternBindings(pattern: Node | null): { local: string; name: string }[] {
  if (pattern?.type !== 'object_pattern') return [];
  const out: { local: string; name: string }[] = [];
  for (const p of pattern.namedChildren) {
    if (p?.type === 'shorthand_property_identifier_pattern') out.push({ local: p.text, name: p.text });
    else if (p?.type === 'pair_pattern') {
      const key = p.childForFieldName('key')?.text, val = p.childForFieldName('value');
      if (key && val?.type === 'identifier') out.push({ local: val.text, name: key });
    }
  }
  return out;
}

/**
 * A name bound by importing a file of the project: `import { embed } from './embed.js'` (name `embed`),
 * `import lib from '../lib'` (`default`), `import * as lib` / `const lib = require('./lib')` (`*`: the
 * module object, whose `default` a direct call reaches), `const { embed: e } = require('./lib')`.
 */
export interface LocalImport { local: string; spec: string; name: string }

/** Specifiers that name a file of the project (`./x`, `../lib/x`); bare package names are not. */
/** A specifier of the project's own files: relative, or a usual tsconfig `paths` alias (`@/x`, `~/x`, `#x`, `@lib/x`). */
const PATH_ALIAS = String.raw`[~@]\/|#|@(?:lib|src|app|components|utils?|server|services|core|shared|common|features|modules|hooks|api|config|models|types)\/`;
export const RELATIVE_SPEC = new RegExp(String.raw`^(?:\.\.?(?:\/|$)|${PATH_ALIAS})`);
/** A file's text imports or requires one of the project's own files (a cheap test before any tree walk). */
export const PROJECT_IMPORT = new RegExp(String.raw`(?:from|require\s*\(|import\s*\()\s*['"\`](?:\.\.?\/|${PATH_ALIAS})`);

/** The file's imports of relative specifiers, in the order written (one walk over the top-level code). */
export function relativeImports(importStatements: Node[], declarators: Node[]): LocalImport[] {
  const out: LocalImport[] = [];
  for (const stmt of importStatements) {
    const spec = stringValue(stmt?.childForFieldName('source'));
    if (stmt && spec && RELATIVE_SPEC.test(spec)) for (const b of clauseBindings(stmt)) out.push({ ...b, spec });
  }
  for (const decl of declarators) {
    if (!PROJECT_IMPORT.test(decl.text.slice(0, 300))) continue;
    const req = requiredModule(decl.childForFieldName('value'));
    if (!req || !RELATIVE_SPEC.test(req.spec)) continue;
    const name = decl.childForFieldName('name');
    if (name?.type === 'identifier') out.push({ local: name.text, spec: req.spec, name: req.member ?? '*' });
    else if (!req.member) for (const b of patternBindings(name)) out.push({ ...b, spec: req.spec });
  }
  return out;
}
