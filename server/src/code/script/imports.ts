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

/** `require('x')`, `import('x')`, `await import('x')`, `require('x').A`: the module (and member) an initializer loads. */
function requiredModule(value: Node | null): { spec: string; member?: string } | undefined {
  if (!value) return undefined;
  if (value.type === 'await_expression') return requiredModule(value.namedChild(0));
  if (value.type === 'member_expression') {
    const inner = requiredModule(value.childForFieldName('object'));
    const prop = value.childForFieldName('property')?.text;
    return inner && !inner.member && prop ? { spec: inner.spec, member: prop } : undefined;
  }
  if (value.type !== 'call_expression') return undefined;
  const fn = value.childForFieldName('function');
  if (!fn || (fn.text !== 'require' && fn.type !== 'import')) return undefined;
  const spec = stringValue(value.childForFieldName('arguments')?.namedChild(0));
  return spec ? { spec } : undefined;
}

/** local name → qualified name (`ort` → `onnxruntime`, `pipeline` → `transformers.pipeline`). */
export function collectImports(importStatements: Node[], declarators: Node[]): { imports: Map<string, string>; specs: Set<string> } {
  const imports = new Map<string, string>();
  const specs = new Set<string>();
  for (const stmt of importStatements) {
    const spec = stringValue(stmt?.childForFieldName('source'));
    if (!stmt || !spec) continue;
    specs.add(spec);
    const fam = packageFamily(spec);
    const clause = stmt.namedChildren.find((c) => c?.type === 'import_clause');
    for (const part of clause?.namedChildren ?? []) {
      if (!part) continue;
      if (part.type === 'identifier') imports.set(part.text, fam); // default import: the CJS namespace
      else if (part.type === 'namespace_import') { const id = part.namedChild(0); if (id) imports.set(id.text, fam); }
      else if (part.type === 'named_imports') {
        for (const s of part.namedChildren) {
          if (s?.type !== 'import_specifier') continue;
          const name = s.childForFieldName('name')?.text, alias = s.childForFieldName('alias')?.text;
          if (name) imports.set(alias ?? name, `${fam}.${name}`);
        }
      }
    }
  }
  for (const decl of declarators) {
    if (!/\b(require|import)\s*\(/.test(decl.text.slice(0, 300))) continue;
    const req = requiredModule(decl.childForFieldName('value'));
    if (!req) continue;
    specs.add(req.spec);
    const base = req.member ? `${packageFamily(req.spec)}.${req.member}` : packageFamily(req.spec);
    const name = decl.childForFieldName('name');
    if (name?.type === 'identifier') imports.set(name.text, base);
    else if (name?.type === 'object_pattern') {
      for (const p of name.namedChildren) {
        if (p?.type === 'shorthand_property_identifier_pattern') imports.set(p.text, `${base}.${p.text}`);
        else if (p?.type === 'pair_pattern') {
          const key = p.childForFieldName('key')?.text, val = p.childForFieldName('value');
          if (key && val?.type === 'identifier') imports.set(val.text, `${base}.${key}`);
        }
      }
    }
  }
  return { imports, specs };
}
