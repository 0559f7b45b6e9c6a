// The report webview, the palette's model commands, CodeLens refresh and the status bar in a real VS Code.
// The report's HTML is read through the extension's exports (a webview's DOM is not reachable from the
// extension host); the code-server UI test clicks inside it.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activateExtension, EXAMPLE_MODEL, openInEditor, positionOf, SERVE_PY, waitFor, workspaceUri } from './workspace';

interface Api { reportHtml(): string | undefined; statusText(): string; modelPageHtml(): string | undefined }

/**
 * Runs a command that shows a quick pick and accepts its first item (what Enter does). The pick may wait
 * on the server (prices): Enter is pressed again each poll until `done` sees the command's effect
 * (a no-op once the pick is gone).
 */
async function withFirstPick<T>(what: string, done: () => T | undefined | Promise<T | undefined>, command: string, ...args: unknown[]): Promise<T> {
  void vscode.commands.executeCommand(command, ...args);
  return waitFor(what, async () => {
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await new Promise((r) => setTimeout(r, 400));
    return done();
  }, 100_000);
}

const lensTitles = async (): Promise<string[]> => {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', workspaceUri(SERVE_PY));
  return lenses.map((l) => l.command?.title ?? '');
};

describe('report, commands and status bar in VS Code', function () {
  this.timeout(120_000);
  let api: Api;
  const model = (): vscode.Uri => workspaceUri(EXAMPLE_MODEL);

  before(async () => {
    api = (await activateExtension()).exports as Api;
    await vscode.commands.executeCommand('inferenceLens.clearBenchmarkCache');
  });

  it('Benchmark Model opens the report with a histogram of every run, and the status bar shows the p95', async () => {
    const before = api.reportHtml();
    await vscode.commands.executeCommand('inferenceLens.benchmarkModel', model());
    const html = await waitFor('the benchmark report', () => { const h = api.reportHtml(); return h && h !== before && h.includes('chart histogram') ? h : undefined; });
    assert.match(html, /<title>Benchmark: intent_classifier\.onnx<\/title>/);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'nonce-/);
    const samples = Number(/class="chart histogram"[^>]*data-samples="(\d+)"/.exec(html)?.[1]);
    const counts = [...html.matchAll(/<rect class="bar"[^>]*data-count="(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(samples > 0 && counts.length > 0);
    assert.strictEqual(counts.reduce((a, b) => a + b, 0), samples);
    assert.ok(Number(/data-points="(\d+)"/.exec(html)?.[1]) > samples, 'the trace has the warm-up runs too');
    assert.match(html, /<tr class="chosen" aria-current="true"><td>c7i\.xlarge/);
    // The status bar follows the active model: its text view now.
    await vscode.commands.executeCommand('inferenceLens.openModelView', model());
    const status = await waitFor('the status bar item', () => { const t = api.statusText(); return /p95 .* ms · \$/.test(t) && !t.includes('est.') ? t : undefined; });
    assert.match(status, /p95 [\d.]+ ms · \$[\d.e-]+ \/ 1k/);
  });

  it('the CodeLens above the load shows the measurement once the benchmark is in', async () => {
    await vscode.workspace.openTextDocument(workspaceUri(SERVE_PY));
    const titles = await waitFor('a measured CodeLens', async () => { const t = await lensTitles(); return t.some((x) => /^p95 .* · c7i\.xlarge$/.test(x)) ? t : undefined; });
    assert.ok(titles.includes('Benchmark') && titles.includes('Quantize'));
  });

  it('in a code file that loads the model, the status bar shows its measured p95 and $ / 1k, and its estimate after a cache clear', async () => {
    const editor = await openInEditor(SERVE_PY);
    const load = positionOf(editor.document, 'InferenceSession(');
    editor.selection = new vscode.Selection(load, load);
    const lens = await waitFor('the measured CodeLens', async () => (await lensTitles()).find((x) => /^p95 .* · c7i\.xlarge$/.test(x)));
    // the same figures as the lens above the load (which names the instance too)
    const status = await waitFor('the status bar item for serve.py', () => { const t = api.statusText(); return t === `$(pulse) ${lens.replace(' · c7i.xlarge', '')}` ? t : undefined; });
    assert.match(status, /^\$\(pulse\) p95 [\d.]+ ms · \$[\d.e-]+ \/ 1k$/);
    await vscode.commands.executeCommand('inferenceLens.clearBenchmarkCache');
    try {
      await waitFor('the estimate in the status bar', () => (api.statusText().endsWith(' / 1k (est.)') ? true : undefined));
    } finally {
      // the next tests want a measured model again
      await vscode.commands.executeCommand('inferenceLens.benchmarkModel', model());
    }
  });

  it('Profile Model lists hot nodes that reveal their line of the text view', async () => {
    await vscode.commands.executeCommand('inferenceLens.profileModel', model());
    const html = await waitFor('the profile report', () => { const h = api.reportHtml(); return h?.includes('<title>Profile:') ? h : undefined; });
    const row = /<tr class="node has-line" data-node="([^"]+)" data-line="(\d+)" tabindex="0"/.exec(html);
    assert.ok(row, 'a hot node with its line');
    assert.match(html, /<script nonce="[^"]+">[^]*acquireVsCodeApi/);
  });

  it('Select Target Instance (first = cheapest) changes the CodeLens price and instance', async () => {
    const config = vscode.workspace.getConfiguration('inferenceLens');
    try {
      const chosen = await withFirstPick('the instance setting', () => {
        const v = vscode.workspace.getConfiguration('inferenceLens').get<string>('instance');
        return v && v !== 'c7i.xlarge' ? v : undefined;
      }, 'inferenceLens.selectInstance', model());
      await waitFor(`a CodeLens priced on ${chosen}`, async () => ((await lensTitles()).some((t) => t.endsWith(`· ${chosen} (est.)`) || t.endsWith(`· ${chosen}`)) ? true : undefined));
    } finally {
      await config.update('instance', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Quantize Model… (int8, the first method) writes a new file and opens the A/B report', async () => {
    const out = workspaceUri('examples/models/intent_classifier.int8.onnx');
    try {
      const html = await withFirstPick('the A/B report', () => { const h = api.reportHtml(); return h?.includes('A/B comparison') ? h : undefined; },
        'inferenceLens.quantizeModel', model());
      assert.match(html, /intent_classifier\.onnx vs intent_classifier\.int8\.onnx/);
      assert.match(html, /<section id="outputs"/);
      assert.match(html, /class="verdict (ok|bad)"/);
      await vscode.workspace.fs.stat(out);
    } finally {
      await vscode.workspace.fs.delete(out).then(undefined, () => undefined);
    }
  });

  it('opening a .onnx shows the model page: figures, the op table and the action buttons', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('vscode.open', model());
    const html = await waitFor('the model page', () => { const h = api.modelPageHtml(); return h?.includes('<title>intent_classifier.onnx</title>') ? h : undefined; });
    assert.match(html, /<div class="card-label">parameters<\/div><div class="card-value">336\.9 k<\/div>/);
    assert.match(html, /<table class="sortable">[^]*<td>MatMul<\/td><td class="num" data-v="3">3<\/td>/);
    for (const a of ['benchmark', 'profile', 'quantize', 'compare', 'text']) assert.ok(html.includes(`data-action="${a}"`), a);
  });
});
