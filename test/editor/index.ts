/**
 * VS Code API suite: the @vscode/test-electron `run()` contract. Offline it runs inside code-server's
 * extension host through the workbench `payload` URL (see ../../../shared/e2e/README.md); files are
 * named `*.suite.ts` so the unit mocha run (out/test/**\/*.test.js) never loads `vscode`.
 */
import * as path from 'path';
import { format } from 'util';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const log = console.log;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => log(format(...args));
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  mocha.addFile(path.resolve(__dirname, 'modelView.suite.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      log(`${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} tests failed.`)); else resolve();
    });
  });
}
