/**
 * LSP wiring only: capabilities, document sync, debounced analysis, hovers, code actions and
 * commands. All knowledge of models and code lives in the engine and the rules.
 * Transport: `--stdio` for any editor, `--node-ipc` for VS Code (chosen by createConnection from argv).
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import {
  CodeAction, CodeActionKind, createConnection, Diagnostic, DiagnosticSeverity, Hover, InitializeResult,
  ProposedFeatures, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeCode, analyzeModelFile } from './engine';
import { initParsers, languageOfId, languageOfPath, parse } from './code/treeSitter';
import { collectFiles } from './files';
import { Config, mergeConfig, parseConfig, readWorkspaceConfig } from './config';
import { docsUrl, Finding, Severity } from './rules/types';
import { summaryMarkdown } from './onnx/summary';
import { modelPathAt, ModelCache } from './modelRefs';
import { TOOL, VERSION } from './version';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const models = new ModelCache();

let workspaceRoots: string[] = [];
let config: Config = mergeConfig();
let supportsConfigPull = false;
const DEBOUNCE_MS = 150;

/** Last findings per document version: code actions are served from them. */
const lastFindings = new Map<string, { version: number; findings: Finding[] }>();
const timers = new Map<string, NodeJS.Timeout>();

export const COMMANDS = { modelSummary: 'inferenceLens.modelSummary' } as const;

connection.onInitialize((params): InitializeResult => {
  workspaceRoots = (params.workspaceFolders ?? []).map((f) => fileURLToPath(f.uri));
  if (!workspaceRoots.length && params.rootUri) workspaceRoots = [fileURLToPath(params.rootUri)];
  supportsConfigPull = !!params.capabilities.workspace?.configuration;
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      executeCommandProvider: { commands: Object.values(COMMANDS) },
    },
    serverInfo: { name: TOOL, version: VERSION },
  };
});

connection.onInitialized(async () => {
  await reloadConfig();
  await initParsers();
  for (const doc of documents.all()) schedule(doc, 0);
  setImmediate(() => publishWorkspaceModels());
});

connection.onDidChangeConfiguration(async () => {
  await reloadConfig();
  for (const doc of documents.all()) schedule(doc, 0);
});

connection.onDidChangeWatchedFiles(async (e) => {
  if (e.changes.some((c) => c.uri.endsWith('inference-lens.json'))) {
    await reloadConfig();
    for (const doc of documents.all()) schedule(doc, 0);
  }
  for (const c of e.changes) if (c.uri.endsWith('.onnx')) { models.forget(fileURLToPath(c.uri)); publishModel(fileURLToPath(c.uri)); }
});

async function reloadConfig(): Promise<void> {
  const problems: string[] = [];
  let settings: Partial<Config> = {};
  if (supportsConfigPull) {
    try {
      settings = parseConfig(await connection.workspace.getConfiguration('inferenceLens'), 'settings (inferenceLens.*)', problems);
    } catch (e) {
      problems.push(`could not read settings: ${(e as Error).message}`);
    }
  }
  const file = workspaceRoots[0] ? readWorkspaceConfig(workspaceRoots[0], problems) : {};
  config = mergeConfig(settings, file);
  for (const p of problems) connection.console.warn(p);
}

documents.onDidOpen((e) => schedule(e.document, 0));
documents.onDidChangeContent((e) => schedule(e.document, DEBOUNCE_MS));
documents.onDidClose((e) => {
  clearTimeout(timers.get(e.document.uri));
  timers.delete(e.document.uri);
  lastFindings.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

/** Debounced: a burst of keystrokes analyses once; a result for an outdated version is dropped. */
function schedule(doc: TextDocument, delay: number): void {
  clearTimeout(timers.get(doc.uri));
  timers.set(doc.uri, setTimeout(() => {
    timers.delete(doc.uri);
    const current = documents.get(doc.uri);
    if (current) void analyzeDocument(current);
  }, delay));
}

async function analyzeDocument(doc: TextDocument): Promise<void> {
  const lang = languageOfId(doc.languageId) ?? languageOfPath(doc.uri);
  if (!lang) return;
  await initParsers();
  const version = doc.version;
  let findings: Finding[];
  try {
    findings = analyzeCode(doc.getText(), lang, config);
  } catch (e) {
    connection.console.error(`analysis of ${doc.uri} failed: ${(e as Error).stack ?? e}`);
    return;
  }
  if (documents.get(doc.uri)?.version !== version) return; // stale: a newer run is scheduled
  lastFindings.set(doc.uri, { version, findings });
  void connection.sendDiagnostics({ uri: doc.uri, version, diagnostics: findings.map(toDiagnostic) });
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint,
};

function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range, message: f.message, code: f.rule, source: TOOL,
    severity: SEVERITY[f.severity ?? 'warning'],
    codeDescription: { href: docsUrl(f.rule) },
  };
}

/** Models in the workspace get their findings in the Problems panel without being opened. */
function publishWorkspaceModels(): void {
  const { files } = collectFiles(workspaceRoots);
  for (const f of files.filter((p) => p.endsWith('.onnx')).slice(0, 200)) publishModel(f);
}

function publishModel(file: string): void {
  if (!fs.existsSync(file)) {
    void connection.sendDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: [] });
    return;
  }
  try {
    const report = analyzeModelFile(file, config);
    void connection.sendDiagnostics({ uri: pathToFileURL(file).toString(), diagnostics: report.findings.map(toDiagnostic) });
  } catch (e) {
    connection.console.error(`model analysis of ${file} failed: ${(e as Error).stack ?? e}`);
  }
}

connection.onHover((params): Hover | null => {
  const doc = documents.get(params.textDocument.uri);
  const lang = doc && (languageOfId(doc.languageId) ?? languageOfPath(doc.uri));
  if (!doc || !lang) return null;
  const tree = parse(lang, doc.getText());
  try {
    const ref = modelPathAt(tree, params.position, path.dirname(fileURLToPath(doc.uri)), workspaceRoots);
    if (!ref) return null;
    const entry = models.get(ref.file, config);
    const body = entry.summary
      ? summaryMarkdown(path.basename(ref.file), entry.summary)
      : `**${path.basename(ref.file)}**: ${entry.findings.map((f) => f.message).join('; ')}`;
    return { contents: { kind: 'markdown', value: body }, range: ref.range };
  } finally {
    tree.delete();
  }
});

connection.onCodeAction((params): CodeAction[] => {
  const last = lastFindings.get(params.textDocument.uri);
  const doc = documents.get(params.textDocument.uri);
  if (!last || !doc || doc.version !== last.version) return [];
  const actions: CodeAction[] = [];
  for (const diag of params.context.diagnostics) {
    if (diag.source !== TOOL) continue;
    const f = last.findings.find((x) => x.rule === diag.code && sameRange(x.range, diag.range));
    for (const fix of f?.fixes ?? []) {
      actions.push({
        title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diag], isPreferred: true,
        edit: { changes: { [params.textDocument.uri]: fix.edits } },
      });
    }
  }
  return actions;
});

function sameRange(a: Finding['range'], b: Finding['range']): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character &&
    a.end.line === b.end.line && a.end.character === b.end.character;
}

connection.onExecuteCommand((params) => {
  if (params.command === COMMANDS.modelSummary) {
    const uri = params.arguments?.[0];
    if (typeof uri !== 'string') throw new Error(`${COMMANDS.modelSummary} expects a model URI`);
    const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    const entry = models.get(file, config);
    return {
      markdown: entry.summary ? summaryMarkdown(path.basename(file), entry.summary) : undefined,
      summary: entry.summary,
      diagnostics: entry.findings,
    };
  }
  throw new Error(`unknown command ${params.command}`);
});

documents.listen(connection);
connection.listen();
