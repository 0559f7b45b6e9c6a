// UI smoke test of the installed .vsix in code-server, as a user sees it: open the example app from the
// Explorer, PY001 in the Problems panel, the model summary on hover over the model path, the cost hover
// on the session creation, "Inference Lens: Show Model Summary" from the command palette, then
// "Profile Model" from the palette: the report webview's charts, a click on a hot node revealing its
// line in the model text view, and the report in a dark theme. Screenshots go to <shots dir>.
// Usage: node ui-smoke.mjs <code-server url with ?folder=...> <shots dir>
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, stopwatch } from './browser.mjs';

const [url, shots] = process.argv.slice(2);
if (!shots) { console.error('usage: ui-smoke.mjs <url> <shots dir>'); process.exit(2); }
const workspace = new URL(url).searchParams.get('folder'); // where Export's save dialog proposes to write
const lap = stopwatch();
const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
const steps = [];
const step = async (name, fn) => { await fn(); steps.push(name); lap(`ok: ${name}`); };

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// the machine may be busy (2 shared cores): generous defaults, the test's own waits say what it needs
page.setDefaultTimeout(60_000);
page.setDefaultNavigationTimeout(120_000);
let failed = false;
try {
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  lap('workbench loaded');

  await step('open examples/app/serve.py from the Explorer', async () => {
    for (const name of ['examples', 'app', 'serve.py']) {
      const row = page.locator('.explorer-folders-view .monaco-list-row').getByText(name, { exact: true }).first();
      await row.waitFor({ timeout: 60_000 });
      await row.click();
    }
    await page.locator('.monaco-editor .view-line', { hasText: 'ort.InferenceSession' }).first().waitFor({ timeout: 30_000 });
  });

  await step('PY001 in the Problems panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    const markers = page.locator('.markers-panel');
    await markers.getByText('runs in `intent`, a route handler').first().waitFor({ timeout: 90_000 });
    await markers.getByText('PY001').first().waitFor({ timeout: 10_000 });
    await markers.getByText('inference-lens').first().waitFor({ timeout: 10_000 });
    await shot('problems');
  });

  await step('model summary on hover over the .onnx path', async () => {
    // Go to Line 25 first: it centres the line, whatever the Problems panel did to the layout
    await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type('25');
    await page.keyboard.press('Enter');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'examples/models/intent_classifier.onnx' }).first();
    const token = line.locator('span span', { hasText: 'intent_classifier' }).first();
    await token.waitFor({ state: 'visible' });
    const box = await token.boundingBox();
    if (!box) throw new Error('model path string not rendered');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator('.monaco-hover').getByText('336.9 k parameters').first().waitFor({ timeout: 30_000 });
    await shot('hover');
  });

  await step('cost hover on the session creation: p95 · $ per 1k · $ per month first', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'examples/models/intent_classifier.onnx' }).first();
    const call = line.locator('span span', { hasText: 'InferenceSession' }).first();
    const box = await call.boundingBox();
    if (!box) throw new Error('InferenceSession not rendered');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator('.monaco-hover h3', { hasText: /^p95 .* \/ 1k · .* \/ month$/ }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await shot('cost-hover');
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  });

  /** Runs a palette command by its title ("Category: Title"). */
  const palette = async (command) => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(command);
    await page.locator('.quick-input-list .monaco-list-row').getByText(command.split(': ').pop()).first().waitFor();
    await page.keyboard.press('Enter');
  };
  /** No .onnx editor is active: model commands ask which model with a quick pick. */
  const pickModel = async (name) => {
    const pick = page.locator('.quick-input-list .monaco-list-row').getByText(name).first();
    await pick.waitFor({ timeout: 30_000 });
    await pick.click();
  };

  await step('"Inference Lens: Show Model Summary" from the palette', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    await palette('Inference Lens: Show Model Summary');
    await pickModel('intent_classifier.onnx');
    await page.locator('.tabs-container .tab', { hasText: 'intent_classifier.onnx.md' }).first().waitFor({ timeout: 30_000 });
    // the preview is a webview: an iframe holding the rendered markdown in an inner iframe
    await page.frameLocator('iframe.webview').frameLocator('iframe').getByText('336.9 k parameters').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await shot('summary');
  });

  const report = () => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe');
  await step('"Inference Lens: Profile Model" from the palette opens the report with its charts', async () => {
    await page.keyboard.press('Escape');
    await palette('View: Close All Editors'); // one webview on screen: the report's
    await palette('View: Toggle Panel Visibility'); // the Problems panel is open: the report gets the height
    await palette('Inference Lens: Profile Model');
    await pickModel('intent_classifier.onnx');
    await page.locator('.tabs-container .tab', { hasText: 'Profile: intent_classifier.onnx' }).first().waitFor({ timeout: 120_000 });
    await page.locator('.tabs-container .tab', { hasText: 'Profile: intent_classifier.onnx' }).first().click();
    const bars = report().locator('svg.histogram rect.bar');
    await bars.first().waitFor({ timeout: 30_000 });
    if ((await bars.count()) < 2) throw new Error('the histogram has fewer than 2 bars');
    if ((await report().locator('svg.lines polyline').count()) < 1) throw new Error('no run-by-run trace');
    await page.waitForTimeout(500);
    await shot('report-light'); // code-server's default theme is Light Modern
  });

  await step('a click on a hot node reveals its line in the model text view', async () => {
    const row = report().locator('tr.has-line').first();
    const line = Number(await row.getAttribute('data-line'));
    await row.click();
    await page.locator('.tabs-container .tab', { hasText: 'intent_classifier.onnx.onnxtext' }).first().waitFor({ timeout: 30_000 });
    // the cursor is on the node's line (0-based in the report, 1-based in the status bar); fused nodes
    // (ORT's `fused fc1/MatMul/MatMulAddFusion`) land on the model node they came from
    await page.locator('.statusbar-item', { hasText: `Ln ${line + 1}, Col 1` }).first().waitFor({ timeout: 10_000 });
    await shot('reveal');
  });

  await step('the report in a dark theme', async () => {
    // Ctrl+K Ctrl+T: the theme picker (typing its title in the palette may land on "Browse … in Marketplace")
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type('Dark Modern');
    await page.locator('.quick-input-list .monaco-list-row').getByText('Dark Modern').first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: 'Profile: intent_classifier.onnx' }).first().click();
    await report().locator('svg.histogram rect.bar').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(800);
    await shot('report-dark');
  });

  await step('Export HTML, JSON and CSV from the report write the three files', async () => {
    const written = [];
    for (const format of ['html', 'json', 'csv']) {
      const file = path.join(workspace, `intent_classifier.profile.${format}`);
      fs.rmSync(file, { force: true });
      await report().locator(`button[data-export="${format}"]`).click();
      // code-server's save dialog is the simple one: a quick input holding the proposed path; Enter saves there
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 30_000 });
      await page.waitForFunction((want) => document.querySelector('.quick-input-widget input')?.value.endsWith(want), `intent_classifier.profile.${format}`, { timeout: 30_000 });
      await page.keyboard.press('Enter');
      for (let i = 0; !fs.existsSync(file) || fs.statSync(file).size === 0; i++) {
        if (i > 300) throw new Error(`${path.basename(file)} was not written`);
        await page.waitForTimeout(100);
      }
      await page.waitForTimeout(200); // the write is one call, but let it finish before reading
      written.push([format, fs.readFileSync(file, 'utf8')]);
      fs.rmSync(file); // the later screenshots show neither the files nor their notifications
    }
    await palette('Notifications: Clear All Notifications');
    const [[, html], [, json], [, csv]] = written;
    if (!/<svg[^>]*class="chart histogram"/.test(html) || !html.includes('Content-Security-Policy')) throw new Error('the exported HTML has no histogram');
    const result = JSON.parse(json);
    if (result.kind !== 'profile' || !(result.latencyMs?.p95 > 0) || !result.profile?.nodes?.length) throw new Error('the exported JSON is not the profile result');
    const lines = csv.trim().split('\n');
    if (lines.length < 10 || !lines.some((l) => l.includes('p95'))) throw new Error(`the exported CSV has ${lines.length} lines and no p95`);
  });

  await step('opening a .onnx from the Explorer shows the model page: op table and buttons', async () => {
    await palette('View: Close All Editors');
    for (const name of ['models', 'intent_classifier.onnx']) {
      const row = page.locator('.explorer-folders-view .monaco-list-row').getByText(name, { exact: true }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click();
    }
    const pageFrame = report();
    await pageFrame.locator('table.sortable td', { hasText: 'MatMul' }).first().waitFor({ timeout: 60_000 });
    await pageFrame.locator('button[data-action="benchmark"]').waitFor();
    await page.locator('.tabs-container .tab', { hasText: 'intent_classifier.onnx' }).first().click();
    await page.waitForTimeout(800);
    await shot('model-editor');
  });

  await step('the model page\'s op table sorts by the column clicked', async () => {
    const table = report().locator('table.sortable');
    const column = (col) => table.locator('tbody tr').evaluateAll((rows, c) => rows.map((r) => r.cells[c].getAttribute('data-v') ?? r.cells[c].textContent), col);
    const before = await column(0);
    await table.locator('th[data-col="3"]').click(); // params, descending
    if ((await table.locator('th[data-col="3"]').getAttribute('aria-sort')) !== 'descending') throw new Error('params header not marked sorted');
    const params = (await column(3)).map(Number);
    if (params.some((v, i) => i > 0 && v > params[i - 1])) throw new Error(`params not descending: ${params.join(', ')}`);
    await table.locator('th[data-col="0"]').press('Enter'); // op name, ascending, from the keyboard
    const ops = await column(0);
    const sorted = [...ops].sort((a, b) => a.localeCompare(b));
    if (ops.join() !== sorted.join()) throw new Error(`ops not ascending: ${ops.join(', ')}`);
    if (ops.join() === before.join()) throw new Error('sorting by op changed nothing: the table was already in that order');
    if ((await table.locator('th[aria-sort]').count()) !== 1) throw new Error('more than one header marked sorted');
  });
} catch (e) {
  failed = true;
  console.log('FAILED:', e.message.split('\n')[0]);
  await shot('failure').catch(() => {});
} finally {
  await browser.close();
}
console.log(`ui smoke: ${steps.length} steps ok${failed ? ', then a failure' : ''}`);
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
