// Regenerates docs/rules/ from the rules' own docs (run by `npm run docs`).
import * as fs from 'fs';
import * as path from 'path';
import { RULES } from '../server/src/rules/registry';
import { renderRuleDoc, renderRuleIndex } from '../server/src/rules/docs';

const dir = path.resolve(__dirname, '..', '..', 'docs', 'rules');
fs.mkdirSync(dir, { recursive: true });
for (const rule of RULES) fs.writeFileSync(path.join(dir, `${rule.id}.md`), renderRuleDoc(rule));
fs.writeFileSync(path.join(dir, 'README.md'), renderRuleIndex(RULES));
console.log(`wrote ${RULES.length} rule pages to docs/rules/`);
