/**
 * The report webview: one panel per kind of report (benchmark/profile, A/B), reused, showing the page
 * the shared renderer (server/src/report/html.ts) builds, the same the CLI writes. The page posts two
 * messages: `reveal` (a hot node's text-view line) and `export` (HTML, JSON or CSV through a save dialog).
 */
import { randomBytes } from 'crypto';
import * as path from 'path';
import * as vscode from 'vscode';
import { reportCsv } from '../../server/src/report/csv';
import type { ReportDoc } from '../../server/src/report/document';
import { reportSubject } from '../../server/src/report/document';
import { renderReport, type ReportMessage } from '../../server/src/report/html';
import { openModelView, viewUriOf } from './modelView';

const VIEW_TYPE = 'inferenceLens.report';

/** The document each open panel shows, for tests and Export. */
export interface ShownReport { panel: vscode.WebviewPanel; doc: ReportDoc; html: string }

const panels = new Map<string, ShownReport>();
let lastShown: ShownReport | undefined;

/** The report shown last, while its panel is open (the editor test suite reads its HTML). */
export function lastReport(): ShownReport | undefined {
  return lastShown && [...panels.values()].includes(lastShown) ? lastShown : undefined;
}

export function showReport(doc: ReportDoc, column = vscode.ViewColumn.Beside): ShownReport {
  const key = doc.kind === 'bench' ? `bench:${doc.result.model.path}` : `ab:${doc.ab.a}:${doc.ab.b}`;
  let shown = panels.get(key);
  const title = `${doc.kind === 'bench' ? (doc.result.kind === 'profile' ? 'Profile' : 'Benchmark') : 'A/B'}: ${reportSubject(doc)}`;
  if (!shown) {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, { viewColumn: column, preserveFocus: true }, {
      enableScripts: true, enableCommandUris: false, localResourceRoots: [], retainContextWhenHidden: false,
    });
    shown = { panel, doc, html: '' };
    const entry = shown;
    panel.onDidDispose(() => panels.delete(key));
    panel.webview.onDidReceiveMessage((m: ReportMessage) => { void onMessage(entry, m); });
    panels.set(key, shown);
  }
  shown.doc = doc;
  shown.panel.title = title;
  shown.html = renderReport(doc, { nonce: randomBytes(18).toString('base64'), cspSource: shown.panel.webview.cspSource, interactive: true });
  shown.panel.webview.html = shown.html;
  shown.panel.reveal(undefined, true);
  lastShown = shown;
  return shown;
}

async function onMessage(shown: ShownReport, m: ReportMessage): Promise<void> {
  if (m.type === 'reveal' && shown.doc.kind === 'bench') await revealNode(vscode.Uri.file(shown.doc.result.model.path), m.line);
  else if (m.type === 'export') await exportReport(shown.doc, m.format);
}

/** Opens the model's text view and puts the cursor on a node's line (0-based). */
export async function revealNode(model: vscode.Uri, line: number | undefined): Promise<void> {
  await openModelView(model, vscode.ViewColumn.One);
  if (line === undefined || !Number.isInteger(line)) return;
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === viewUriOf(model).toString());
  if (!editor) return;
  const at = new vscode.Range(line, 0, line, 0);
  editor.selection = new vscode.Selection(at.start, at.start);
  editor.revealRange(at, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Export: the user picks where (the save dialog asks before replacing a file). */
async function exportReport(doc: ReportDoc, format: 'html' | 'json' | 'csv'): Promise<void> {
  const base = doc.kind === 'bench' ? `${path.basename(doc.result.model.path, '.onnx')}.${doc.result.kind}` : `${path.basename(doc.ab.b, '.onnx')}.ab`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.${format}`) : undefined,
    filters: { [format.toUpperCase()]: [format] },
  });
  if (!target) return;
  const text = format === 'csv' ? reportCsv(doc) : format === 'json' ? JSON.stringify(jsonOf(doc), null, 2) + '\n'
    : renderReport(doc, { nonce: randomBytes(18).toString('base64') });
  await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  void vscode.window.showInformationMessage(`Inference Lens: report written to ${vscode.workspace.asRelativePath(target)}`);
}

/** The JSON the CLI prints for the same result, so `inference-lens report` reads an exported file. */
function jsonOf(doc: ReportDoc): unknown {
  return doc.kind === 'bench' ? { ...doc.result, ...(doc.cost && { cost: doc.cost }), ...(doc.costError && { costError: doc.costError }) }
    : { ab: doc.ab, ...(doc.conversion && { conversion: doc.conversion }) };
}
