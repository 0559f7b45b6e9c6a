/** Serving-code diagnostics: debounced analysis of open Python/JS/TS documents, and their quick fixes. */
import { CodeAction, CodeActionKind, Diagnostic, DiagnosticSeverity, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'url';
import { analyzeScriptTree, analyzeTree } from '../engine';
import { PythonAnalysis } from '../code/python/analysis';
import { initParsers, languageOfId, languageOfPath } from '../code/treeSitter';
import { DocumentTrees } from '../code/incremental';
import { onRawDocumentChange } from './documentChanges';
import { docsUrl, Finding, Severity } from '../rules/types';
import { TOOL } from '../version';
import type { Feature, ServerContext } from './feature';
import { modelResolver } from '../cost/resolve';
import { indexable, WorkspaceIndexer } from './workspaceIndex';
import { SummaryCache } from './summaryCache';
import { externalDigest } from '../code/python/context';

const DEBOUNCE_MS = 150;

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range, message: f.message, code: f.rule, source: TOOL,
    severity: SEVERITY[f.severity ?? 'warning'],
    codeDescription: { href: docsUrl(f.rule) },
  };
}

export function codeDiagnostics(ctx: ServerContext): Feature {
  const { connection, documents } = ctx;
  /** Last findings per document version: code actions are served from them. */
  const lastFindings = new Map<string, { version: number; findings: Finding[] }>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** One tree per open document, edited as changes arrive and re-parsed incrementally on analysis. */
  const trees = new DocumentTrees();
  /** Per Python document: the last analysis, unit by unit, so an edit re-analyses only what it touched. */
  const analyses = new Map<string, PythonAnalysis>();
  onRawDocumentChange((uri, oldText, changes) => trees.change(uri, oldText, changes));
  let started = false;
  /** Python and JS/TS files of the workspace, summarised: what each open file imports from the others. */
  // Summaries persist between sessions (~/.cache/inference-lens/index): re-opening a workspace parses what changed.
  const indexer = new WorkspaceIndexer(undefined, false, (roots) => SummaryCache.forRoots(roots));
  /** The external facts each open document was last analysed with (by digest). */
  const externalSeen = new Map<string, string>();
  /** The digest of what the index tells a file now, in the form its language gets. */
  const externalNow = (file: string): string =>
    languageOfPath(file) === 'python' ? externalDigest(indexer.externalFor(file)) : JSON.stringify(indexer.scriptExternalFor(file));

  /** After a summary changed: analyse again the open documents whose external facts differ now. */
  function recheckDependents(except?: string): void {
    for (const doc of documents.all()) {
      if (doc.uri === except || !externalSeen.has(doc.uri) || !doc.uri.startsWith('file:')) continue;
      if (externalNow(fileURLToPath(doc.uri)) !== externalSeen.get(doc.uri)) schedule(doc, 0);
    }
  }

  /** Debounced: a burst of keystrokes analyses once; a result for an outdated version is dropped. */
  function schedule(doc: TextDocument, delay: number): void {
    if (!started) return;
    clearTimeout(timers.get(doc.uri));
    timers.set(doc.uri, setTimeout(() => {
      timers.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current) analyzeDocument(current);
    }, delay));
  }

  function analyzeDocument(doc: TextDocument): void {
    const lang = languageOfId(doc.languageId) ?? languageOfPath(doc.uri);
    if (!lang) return;
    const version = doc.version;
    let findings: Finding[];
    try {
      const text = doc.getText();
      const tree = trees.treeFor(doc.uri, lang, text);
      const file = doc.uri.startsWith('file:') ? fileURLToPath(doc.uri) : undefined;
      const models = file ? modelResolver(file, ctx.workspaceRoots(), ctx.models, ctx.config(), ctx.measured) : undefined;
      let analysis = analyses.get(doc.uri);
      if (lang === 'python' && !analysis) analyses.set(doc.uri, analysis = new PythonAnalysis());
      if (lang === 'python') {
        const external = file ? indexer.externalFor(file) : undefined;
        findings = analyzeTree(text, tree, lang, ctx.config(), models, analysis, external);
        if (analysis && file && external) {
          externalSeen.set(doc.uri, externalDigest(external));
          // An edit inside a function body keeps the context, and with it the summary: nothing to re-summarise.
          if (analysis.context && !analysis.contextKept && indexer.fromAnalysis(file, analysis.context)) recheckDependents(doc.uri);
        }
      } else {
        const external = file ? indexer.scriptExternalFor(file) : undefined;
        const result = analyzeScriptTree(text, tree, lang, ctx.config(), external);
        findings = result.findings;
        if (file && external) {
          externalSeen.set(doc.uri, JSON.stringify(external));
          if (indexer.fromScriptAnalysis(file, result.summary)) recheckDependents(doc.uri);
        }
      }
    } catch (e) {
      trees.close(doc.uri); // never reuse a tree or an analysis from a failed run
      analyses.delete(doc.uri);
      ctx.logFailure('analysis', doc.uri, e);
      return;
    }
    if (documents.get(doc.uri)?.version !== version) return; // stale: a newer run is scheduled
    lastFindings.set(doc.uri, { version, findings });
    void connection.sendDiagnostics({ uri: doc.uri, version, diagnostics: findings.map(toDiagnostic) });
  }

  // TextDocuments fires a content change right after each open (synchronously): that one is the open
  // itself, analysed at once, not an edit to debounce (it used to delay every opened file's diagnostics).
  let opening: string | undefined;
  documents.onDidOpen((e) => { opening = e.document.uri; schedule(e.document, 0); });
  documents.onDidChangeContent((e) => {
    if (opening === e.document.uri) { opening = undefined; return; }
    schedule(e.document, DEBOUNCE_MS);
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    trees.close(e.document.uri);
    analyses.delete(e.document.uri);
    externalSeen.delete(e.document.uri);
    if (e.document.uri.startsWith('file:') && indexer.closed(fileURLToPath(e.document.uri))) recheckDependents();
    if (lastFindings.delete(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const reanalyzeAll = (): void => { for (const doc of documents.all()) schedule(doc, 0); };

  /** The background pass over the workspace's Python and JS/TS files, with progress where the client shows it. */
  async function indexWorkspace(): Promise<void> {
    const roots = ctx.workspaceRoots();
    if (!roots.length) return;
    let progress: WorkDoneProgressServerReporter | undefined;
    try {
      progress = await connection.window.createWorkDoneProgress();
      progress.begin('Inference Lens: indexing code files', 0, undefined, false);
    } catch { progress = undefined; }
    const t0 = Date.now();
    try {
      const n = await indexer.indexRoots(roots, (done, total) => progress?.report(total ? Math.round((done / total) * 100) : 100, `${done}/${total} files`), () => false);
      ctx.log(`indexed ${n} code file(s) in ${Date.now() - t0} ms (${indexer.lastRun.cached} unchanged since the last session, from the cache)`);
    } catch (e) {
      ctx.log(`workspace indexing failed: ${(e as Error).message}`);
    } finally {
      progress?.done();
    }
    recheckDependents();
  }

  return {
    async start() {
      await initParsers();
      started = true;
      reanalyzeAll();
      void indexWorkspace();
    },
    configChanged: reanalyzeAll,
    // Per open document, dropped on close: bounded by what the editor has open.
    cacheSizes: () => ({ analyses: analyses.size, findings: lastFindings.size, externalSeen: externalSeen.size, pendingAnalyses: timers.size }),
    filesChanged(uris) {
      let changed = false;
      for (const uri of uris) if (uri.startsWith('file:') && indexable(fileURLToPath(uri))) changed = indexer.fromDisk(fileURLToPath(uri)) || changed;
      if (changed) recheckDependents();
    },
    codeActions(params) {
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
    },
  };
}

function sameRange(a: Finding['range'], b: Finding['range']): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character &&
    a.end.line === b.end.line && a.end.character === b.end.character;
}
