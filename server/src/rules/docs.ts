/** Rule pages are generated from the docs beside each rule's code, so the two never drift. */
import type { Rule } from './types';

export function renderRuleDoc(rule: Rule): string {
  const lang = rule.target === 'python' ? 'python' : rule.target === 'script' ? 'ts' : 'text';
  return [
    `# ${rule.id}: ${rule.name}`,
    '',
    `${rule.docs.summary}`,
    '',
    `Default severity: **${rule.defaultSeverity}**. Applies to: ${rule.target === 'model' ? 'ONNX models' : rule.target === 'python' ? 'Python' : 'JavaScript / TypeScript'}.`,
    '',
    '## What it does',
    '',
    rule.docs.whatItDoes,
    '',
    '## Why it costs',
    '',
    rule.docs.whyItCosts,
    '',
    '## Example',
    '',
    '```' + lang,
    rule.docs.example,
    '```',
    '',
    '## Use instead',
    '',
    '```' + lang,
    rule.docs.useInstead,
    '```',
    '',
    ...(rule.docs.fix ? ['## Fix it here', '', rule.docs.fix, ''] : []),
    '## Configuration',
    '',
    `Turn it off or change its severity in \`inference-lens.json\` (\`{"rules": {"${rule.id}": "off"}}\`) or the \`inferenceLens.rules\` setting. ` +
      `Silence one line with \`${rule.target === 'script' ? '//' : '#'} inference-lens: ignore[${rule.id}]\`.`,
    '',
  ].join('\n');
}

export function renderRuleIndex(rules: readonly Rule[]): string {
  return [
    '# Rules',
    '',
    '| id | name | default | what it flags |',
    '| --- | --- | --- | --- |',
    ...rules.map((r) => `| [${r.id}](${r.id}.md) | ${r.name} | ${r.defaultSeverity} | ${r.docs.summary} |`),
    '',
  ].join('\n');
}
