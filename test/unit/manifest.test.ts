import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from '../helpers/paths';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    menus: Record<string, Array<{ command: string }>>;
    walkthroughs: Array<{ steps: Array<{ id: string; description: string; media: { markdown: string }; completionEvents: string[] }> }>;
  };
}

describe('extension manifest: commands, menus, walkthrough', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
  const commands = new Set(pkg.contributes.commands.map((c) => c.command));

  it('contributes the palette commands of the issue, each in the Inference Lens category', () => {
    const titles = pkg.contributes.commands.map((c) => c.title);
    for (const t of ['Benchmark Model', 'Profile Model', 'Quantize Model…', 'Optimize Model…', 'Compare Two Models…', 'Open Model as Text', 'Show Model Summary',
      'Select Target Instance', 'Set Traffic and Budgets', 'Clear Benchmark Cache', 'Show Server Output', 'Generate benchmark (prefill + decode)']) assert.ok(titles.includes(t), t);
    assert.ok(pkg.contributes.commands.every((c) => c.category === 'Inference Lens'));
  });

  it('menus and the walkthrough name only contributed commands; every step\'s page exists', () => {
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) for (const i of items) assert.ok(commands.has(i.command), `${menu}: ${i.command}`);
    const steps = pkg.contributes.walkthroughs[0].steps;
    assert.deepStrictEqual(steps.map((s) => s.id), ['open', 'cost', 'benchmark', 'quantize', 'compare']);
    for (const s of steps) {
      assert.ok(fs.existsSync(path.join(REPO, s.media.markdown)), s.media.markdown);
      for (const m of s.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.has(m[1]), `${s.id}: ${m[1]}`);
      for (const e of s.completionEvents) assert.ok(commands.has(e.replace(/^onCommand:/, '')), `${s.id}: ${e}`);
    }
  });
});
