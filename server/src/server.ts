/**
 * LSP wiring only: capabilities, configuration, and dispatch of every request to the features in
 * `lsp/`. All knowledge of models and code lives in the engine, the rules and the feature modules.
 * Transport: `--stdio` for any editor, `--node-ipc` for VS Code (chosen by createConnection from argv).
 */
import { fileURLToPath } from 'url';
import {
  CodeLensRefreshRequest, CodeAction, CodeLens, createConnection, InitializeResult, ProposedFeatures, ResponseError, ErrorCodes, LSPErrorCodes,
  TextDocuments, TextDocumentSyncKind, CodeActionKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Config, ConfigLayer, mergeConfig, parseConfig, readWorkspaceConfig } from './config';
import { ModelCache } from './modelRefs';
import { TOOL, VERSION } from './version';
import { describeFailure } from './errors';
import { onRuleFailure } from './engine';
import { BenchError } from './bench/types';
import type { CommandHandler, Feature, ServerContext } from './lsp/feature';
import { codeDiagnostics } from './lsp/codeDiagnostics';
import { modelSummary } from './lsp/modelSummary';
import { costFeature } from './lsp/cost';
import { benchMeasuredLookup } from './cost/measured';
import { benchmark } from './lsp/benchmark';
import { trackedTextDocuments } from './lsp/documentChanges';
import { quantizeFeature } from './lsp/quantize';
import { optimizeFeature } from './lsp/optimize';
import { modelView } from './lsp/modelView';
import { JobQueue } from './lsp/jobQueue';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(trackedTextDocuments);

let workspaceRoots: string[] = [];
let config: Config = mergeConfig();
let supportsConfigPull = false;
/** The client re-asks for CodeLenses on `workspace/codeLens/refresh` (after a benchmark, a settings change). */
let lensRefresh = false;
/** Stack traces reach the log only when the client traces the server (or INFERENCE_LENS_DEBUG=1). */
let debug = process.env.INFERENCE_LENS_DEBUG === '1';

/** The latest cached benchmark of a model: cost hovers, lenses and budget rules prefer it to estimates. */
const measured = benchMeasuredLookup();
const ctx: ServerContext = {
  connection, documents, models: new ModelCache(measured), jobs: new JobQueue(),
  config: () => config,
  workspaceRoots: () => workspaceRoots,
  log: (m) => connection.console.log(m),
  logFailure: (action, file, e) => connection.console.log(describeFailure(action, file, e, debug)),
  hasCommand: (id) => commands.has(id),
  measured,
  refreshCodeLenses: () => {
    if (lensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  },
};

onRuleFailure((id, e) => ctx.logFailure(`rule ${id} (skipped; the other rules ran)`, undefined, e));

/** Order matters for hovers: the first feature with an answer wins. */
const features: Feature[] = [
  codeDiagnostics(ctx),
  costFeature(ctx),
  modelView(ctx),
  modelSummary(ctx),
  quantizeFeature(ctx),
  optimizeFeature(ctx),
  benchmark(ctx),
];

const commands = new Map<string, CommandHandler>();
const trustedOnly = new Set<string>();
for (const f of features) {
  for (const [id, h] of Object.entries(f.commands ?? {})) {
    commands.set(id, h);
    if (f.needsTrust) trustedOnly.add(id);
  }
}

/**
 * Workspace Trust: VS Code says whether the folder is trusted (initializationOptions.workspaceTrusted,
 * then `inferenceLens/workspaceTrusted` when the user grants it). Clients without the notion
 * (Neovim, Helix, the CLI) are trusted, as their users run the tool on purpose.
 */
let trusted = true;
connection.onNotification('inferenceLens/workspaceTrusted', () => { trusted = true; });

connection.onInitialize((params): InitializeResult => {
  workspaceRoots = (params.workspaceFolders ?? []).map((f) => fileURLToPath(f.uri));
  if (!workspaceRoots.length && params.rootUri) workspaceRoots = [fileURLToPath(params.rootUri)];
  supportsConfigPull = !!params.capabilities.workspace?.configuration;
  lensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
  if (params.trace && params.trace !== 'off') debug = true;
  trusted = (params.initializationOptions as { workspaceTrusted?: boolean } | undefined)?.workspaceTrusted !== false;
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: features.some((f) => f.hover),
      codeActionProvider: features.some((f) => f.codeActions) ? { codeActionKinds: [CodeActionKind.QuickFix] } : undefined,
      codeLensProvider: features.some((f) => f.codeLenses) ? { resolveProvider: false } : undefined,
      executeCommandProvider: { commands: [...commands.keys()] },
    },
    serverInfo: { name: TOOL, version: VERSION },
  };
});

connection.onInitialized(async () => {
  await reloadConfig();
  for (const f of features) {
    try {
      await f.start?.();
    } catch (e) {
      ctx.logFailure('starting a feature', undefined, e);
    }
  }
});

async function reloadConfig(): Promise<void> {
  const problems: string[] = [];
  let settings: ConfigLayer = {};
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

connection.onDidChangeConfiguration(async () => {
  await reloadConfig();
  for (const f of features) f.configChanged?.();
  ctx.refreshCodeLenses?.(); // prices and instance names in the lenses follow the settings
});

connection.onDidChangeWatchedFiles(async (e) => {
  const uris = e.changes.map((c) => c.uri);
  if (uris.some((u) => u.endsWith('inference-lens.json'))) {
    await reloadConfig();
    for (const f of features) f.configChanged?.();
    ctx.refreshCodeLenses?.();
  }
  for (const f of features) f.filesChanged?.(uris);
});

connection.onHover(async (params) => {
  for (const f of features) {
    const h = await f.hover?.(params);
    if (h) return h;
  }
  return null;
});

connection.onCodeAction(async (params) => {
  const all: CodeAction[] = [];
  for (const f of features) if (f.codeActions) all.push(...await f.codeActions(params));
  return all;
});

connection.onCodeLens(async (params) => {
  const all: CodeLens[] = [];
  for (const f of features) if (f.codeLenses) all.push(...await f.codeLenses(params));
  return all;
});

connection.onExecuteCommand(async (params, token, progress) => {
  const handler = commands.get(params.command);
  if (!handler) throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}`);
  if (!trusted && trustedOnly.has(params.command)) {
    throw new ResponseError(ErrorCodes.InvalidRequest, `${params.command} runs the model, which this untrusted workspace does not allow: trust the folder to benchmark, profile or quantize (static analysis works either way)`);
  }
  try {
    return await handler(params.arguments ?? [], token, progress);
  } catch (e) {
    // A user sees this message (a notification in most clients): one line, never a stack trace.
    if (e instanceof ResponseError) throw e;
    const arg = params.arguments?.[0];
    const file = typeof arg === 'string' ? arg.replace(/^file:\/\//, '') : undefined;
    if (token.isCancellationRequested || (e instanceof BenchError && e.kind === 'cancelled')) throw new ResponseError(LSPErrorCodes.RequestCancelled, `${params.command} cancelled`);
    ctx.logFailure(params.command, file, e);
    throw new ResponseError(ErrorCodes.InternalError, describeFailure(params.command, file, e));
  }
});

/** The server's own memory, for soak tests and bug reports (after a full GC when node runs with --expose-gc). */
connection.onRequest('inferenceLens/stats', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const caches: Record<string, number> = { models: ctx.models.size };
  for (const f of features) Object.assign(caches, f.cacheSizes?.());
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, openDocuments: documents.all().length, jobs: ctx.jobs.state, caches };
});

documents.listen(connection);
connection.listen();
