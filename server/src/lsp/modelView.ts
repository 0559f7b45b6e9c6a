/**
 * The model text view as a read-only virtual document (`inference-lens-model:/abs/model.onnx.onnxtext`):
 * served by the `inferenceLens/modelText` request and the `inferenceLens.modelText` command, with the
 * model's diagnostics on its node lines and a hover per node (op, shapes, attributes, weights).
 */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Diagnostic } from 'vscode-languageserver/node';
import type { ModelReport } from '../engine';
import { toDiagnostic } from './codeDiagnostics';
import { nodeHoverMarkdown, tensorHoverMarkdown } from './modelHover';
import { summaryMarkdown } from '../onnx/summary';
import type { Feature, ServerContext } from './feature';
import { measuredLine } from './benchmark';

export const MODEL_SCHEME = 'inference-lens-model';
export const MODEL_TEXT_REQUEST = 'inferenceLens/modelText';
export const MODEL_TEXT_COMMAND = 'inferenceLens.modelText';
const SUFFIX = '.onnxtext';

/** `/abs/m.onnx` → `inference-lens-model:/abs/m.onnx.onnxtext` (the path encoded as in a file URI). */
export function viewUriOf(file: string): string {
  return `${MODEL_SCHEME}:${pathToFileURL(file).pathname}${SUFFIX}`;
}

/** The model file a text-view URI (or a file URI, or a plain path) names; undefined for other schemes. */
export function modelFileOf(uri: string): string | undefined {
  if (uri.startsWith(`${MODEL_SCHEME}:`)) {
    let p = uri.slice(MODEL_SCHEME.length + 1).replace(/^\/\/[^/]*/, ''); // tolerate an authority
    if (p.endsWith(SUFFIX)) p = p.slice(0, -SUFFIX.length);
    return fileURLToPath(`file://${p}`);
  }
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  return /^[a-z][a-z0-9+.-]+:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri) ? undefined : path.resolve(uri);
}

/** Diagnostics for the binary file: line 0, pointing at the finding's line in the text view. */
export function fileDiagnostics(file: string, report: ModelReport): Diagnostic[] {
  const viewUri = viewUriOf(file);
  return report.findings.map((f) => {
    const d = toDiagnostic({ ...f, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
    if (report.view && f.target) {
      d.relatedInformation = [{ location: { uri: viewUri, range: f.range }, message: `line ${f.range.start.line + 1} of the model text view` }];
    }
    return d;
  });
}

export function modelView(ctx: ServerContext): Feature {
  const { connection, documents } = ctx;
  /** Text views the client has open: model file → view URI. */
  const open = new Map<string, string>();

  function report(file: string): ModelReport {
    return ctx.models.get(file, ctx.config());
  }

  function modelText(uri: unknown): { uri: string; text: string } {
    if (typeof uri !== 'string') throw new Error(`${MODEL_TEXT_COMMAND} expects a model URI`);
    const file = modelFileOf(uri);
    if (!file) throw new Error(`not a model URI: ${uri}`);
    const r = report(file);
    const text = r.view?.text ??
      `# ${path.basename(file)} could not be read:\n${r.findings.map((f) => `# ${f.rule}: ${f.message}`).join('\n')}\n`;
    return { uri: viewUriOf(file), text };
  }

  function publishView(file: string): void {
    const uri = open.get(file);
    if (!uri) return;
    try {
      const r = report(file);
      void connection.sendDiagnostics({ uri, diagnostics: r.view ? r.findings.map(toDiagnostic) : [] });
    } catch (e) {
      ctx.logFailure('model view diagnostics', file, e);
    }
  }

  connection.onRequest(MODEL_TEXT_REQUEST, (params: { uri?: unknown }) => modelText(params?.uri));

  documents.onDidOpen((e) => {
    const file = e.document.uri.startsWith(`${MODEL_SCHEME}:`) ? modelFileOf(e.document.uri) : undefined;
    if (!file) return;
    open.set(file, e.document.uri);
    publishView(file);
  });
  documents.onDidClose((e) => {
    const file = e.document.uri.startsWith(`${MODEL_SCHEME}:`) ? modelFileOf(e.document.uri) : undefined;
    if (file && open.delete(file)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  return {
    configChanged() { for (const f of open.keys()) publishView(f); },
    cacheSizes: () => ({ modelViews: open.size }),
    filesChanged(uris) {
      for (const u of uris) {
        const f = u.endsWith('.onnx') ? modelFileOf(u) : undefined;
        if (f && open.has(f)) { ctx.models.forget(f); publishView(f); }
      }
    },
    async hover(params) {
      const uri = params.textDocument.uri;
      if (!uri.startsWith(`${MODEL_SCHEME}:`)) return null;
      const file = modelFileOf(uri);
      if (!file) return null;
      const r = report(file);
      const view = r.view;
      if (!view || !r.model) return null;
      const line = params.position.line;
      const findings = r.findings.filter((f) => f.target && f.range.start.line === line);
      const node = view.lineNodes[line];
      const tensor = view.lineTensors.get(line);
      let body: string | undefined;
      if (node) body = nodeHoverMarkdown(r.model, node, findings, r.cost) + await measuredLine(file, node.name, ctx.config().bench.cacheDir);
      else if (tensor !== undefined) body = tensorHoverMarkdown(r.model, tensor, findings);
      else if (line === view.headerLine && r.summary) {
        body = [summaryMarkdown(path.basename(file), r.summary), ...findings.map((x) => `- ${x.rule}: ${x.message}`)].join('\n');
      }
      return body ? { contents: { kind: 'markdown', value: body } } : null;
    },
    commands: {
      [MODEL_TEXT_COMMAND]: (args) => modelText(args[0]),
    },
  };
}
