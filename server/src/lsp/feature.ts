/**
 * How capabilities plug into the server: each feature module returns a `Feature`, and server.ts
 * dispatches every LSP request to all of them. LSP allows one handler per request, so this is the
 * seam that lets features (code rules, model views, benchmarks, cost, quantization) stay apart.
 */
import type { JobQueue } from './jobQueue';
import type {
  CancellationToken, CodeAction, CodeActionParams, CodeLens, CodeLensParams, Connection, Hover, HoverParams,
  WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import type { TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Config } from '../config';
import type { ModelCache } from '../modelRefs';
import type { MeasuredLookup } from '../cost/resolve';

export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  /** The merged configuration (settings under inference-lens.json); re-read on change. */
  config(): Config;
  workspaceRoots(): string[];
  models: ModelCache;
  /** Benchmarks, profiles, conversions and comparisons: one at a time, the others queued with progress. */
  jobs: JobQueue;
  log(message: string): void;
  /** Logs a failure as one line (what, which file, what to do); the stack only when tracing is on. */
  logFailure(action: string, file: string | undefined, e: unknown): void;
  /** Whether a `workspace/executeCommand` id is registered (lenses offer only commands that exist). */
  hasCommand?(id: string): boolean;
  /** The latest benchmark of a model file, when one is cached (cost and budgets prefer it to estimates). */
  measured?: MeasuredLookup;
  /** Asks the client to re-request CodeLenses (a new measurement changes their figures); no-op if unsupported. */
  refreshCodeLenses?(): void;
}

export type CommandHandler = (args: unknown[], token: CancellationToken, progress: WorkDoneProgressReporter) => unknown | Promise<unknown>;

export interface Feature {
  /** The first feature returning a hover wins; order features from most to least specific. */
  hover?(params: HoverParams): Hover | null | undefined | Promise<Hover | null | undefined>;
  codeActions?(params: CodeActionParams): CodeAction[] | Promise<CodeAction[]>;
  codeLenses?(params: CodeLensParams): CodeLens[] | Promise<CodeLens[]>;
  /** `workspace/executeCommand` handlers by command id. */
  commands?: Record<string, CommandHandler>;
  /**
   * Its commands run the user's models (onnxruntime sessions, conversions): refused until the client
   * says the workspace is trusted. Static analysis never needs trust.
   */
  needsTrust?: boolean;
  /** Called once the server is initialised (parsers loaded, configuration read). */
  start?(): void | Promise<void>;
  /** Called after the configuration changed. */
  configChanged?(): void;
  /** Entries in the feature's in-memory caches, by name (inferenceLens/stats: each must stay bounded). */
  cacheSizes?(): Record<string, number>;
  /** Called when watched files (`inference-lens.json`, `*.onnx`) change on disk. */
  filesChanged?(uris: string[]): void;
}
