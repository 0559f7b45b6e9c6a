/**
 * Entry point of the VS Code API suite: the `run()` module that @vscode/test-electron (and, offline,
 * code-server's extension host via scripts/e2e/code-server.sh) loads inside the extension host.
 * Runs every `*.editor.js` beside it, so a feature adds its own `<feature>.editor.ts` file.
 * (Not `*.test.ts`: those are the plain mocha tests of `npm test`, which have no `vscode` module.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // code-server forwards extension-host console output to the page without printf substitution:
  // format here so the driver sees plain lines (and the closing "N passed, N failed").
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  base.consoleLog = (...args: unknown[]) => console.log(format(...args));

  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const only = process.env.INFERENCE_LENS_EDITOR_GREP;
  if (only) mocha.grep(only);
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.editor.js')).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('end', () => console.log(`${runner.stats?.passes ?? 0} passed, ${runner.stats?.failures ?? 0} failed`));
  });
  if (failures > 0) throw new Error(`${failures} editor test(s) failed`);
}
