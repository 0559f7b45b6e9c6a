/**
 * Runs the VS Code API suite (test/editor/suite) in a downloaded VS Code desktop build with
 * @vscode/test-electron. Needs internet (update.code.visualstudio.com): on an offline machine run
 * `npm run test:editors` instead, which loads the same suite into code-server's extension host.
 * Usage: npm run build && node scripts/build.mjs --tests && node scripts/run-ts.mjs examples/build-model.ts
 *        && node out/test/editor/runTest.js
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { SHARED_MODELS } from '../helpers/paths';

const REPO = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  // A scratch copy of the examples (and one shared model): the suite edits (and reverts) files.
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-editor-'));
  for (const dir of ['app', 'models']) fs.cpSync(path.join(REPO, 'examples', dir), path.join(ws, 'examples', dir), { recursive: true });
  const shared = path.join(SHARED_MODELS, 'mlp_mnist_like.onnx'); // for the model-view tests (they skip without it)
  if (fs.existsSync(shared)) fs.copyFileSync(shared, path.join(ws, 'mlp_mnist_like.onnx'));
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: REPO,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [ws, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
