// Runs the VS Code API suite (test/editor/suite, the @vscode/test-electron `run()` contract) inside
// code-server's server-side extension host. No CLI flag does that in code-server; the web workbench's
// `payload` URL parameter does: extensionDevelopmentPath/extensionTestsPath as vscode-remote:// URIs of
// the page's own authority put both in the remote (Node) extension host. When that host exits, the
// workbench calls window.codeAutomationExit(code), which we provide.
// Usage: node host-tests.mjs <code-server url> <workspace folder> <extension folder> <tests module> [screenshot]
import { format } from 'node:util';
import { launchChromium, stopwatch } from './browser.mjs';

const [base, folder, devPath, testsPath, shot] = process.argv.slice(2);
if (!testsPath) { console.error('usage: host-tests.mjs <url> <workspace> <extension dir> <tests module> [shot.png]'); process.exit(2); }
const remote = (p) => `vscode-remote://${new URL(base).host}${p}`;
const payload = JSON.stringify([['extensionDevelopmentPath', remote(devPath)], ['extensionTestsPath', remote(testsPath)]]);
const url = `${base}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`;
const timeoutMs = Number(process.env.EDITOR_TESTS_TIMEOUT_MS ?? 240_000);
const lap = stopwatch();
let summary = null;
const MOCHA_LINE = /^\s*(✔|✓|\d+\) |\d+ (passing|failing|pending)\b|\S.* in VS Code$|\d+ passed, \d+ failed$)/;

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// the machine may be busy (2 shared cores): generous defaults, the test's own waits say what it needs
page.setDefaultTimeout(60_000);
page.setDefaultNavigationTimeout(120_000);
let resolveExit;
const exited = new Promise((r) => { resolveExit = r; });
await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
page.on('console', async (msg) => {
  // extension-host output arrives styled ('%c…%c<text>', css, css, ...) behind a level ('INFO '): drop both
  let vals;
  try { vals = await Promise.all(msg.args().map((a) => a.jsonValue())); } catch { vals = [msg.text()]; }
  const fmt = String(vals[0] ?? '');
  const css = (fmt.match(/%c/g) || []).length;
  const text = format(fmt.replace(/%c/g, ''), ...vals.slice(1 + css)).replace(/^\s*(\[Extension Host\]\s*)?((INFO|WARN|ERR) )?/, '').trimEnd();
  const m = text.match(/(\d+) passed, (\d+) failed$/);
  if (m) summary = m[0];
  // mocha's report (suites are named "<feature> in VS Code"); the workbench's own chatter only with VERBOSE
  if (process.env.VERBOSE || MOCHA_LINE.test(text.split('\n')[0])) console.log(text);
});
await page.goto(url, { waitUntil: 'domcontentloaded' });
const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
lap(`extension host exited with ${code}`);
if (shot) await page.screenshot({ path: shot });
await browser.close();
// the extension host's exit code decides; the summary line is for people and CI logs
console.log(summary ?? (code === 0 ? 'passed (no summary line seen)' : '0 passed, 1 failed'));
process.exit(code === 0 ? 0 : 1);
