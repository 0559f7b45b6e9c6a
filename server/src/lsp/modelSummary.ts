/**
 * Models seen from the editor: diagnostics for every `.onnx` in the workspace (without opening it),
 * the summary on hover over a model path in code, and the `inferenceLens.modelSummary` command.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { languageOfId, languageOfPath, parse } from '../code/treeSitter';
import { collectFiles } from '../files';
import { modelPathAt } from '../modelRefs';
import { summaryMarkdown } from '../onnx/summary';
import { fileDiagnostics } from './modelView';
import type { Feature, ServerContext } from './feature';

export const MODEL_SUMMARY_COMMAND = 'inferenceLens.modelSummary';
/** Workspaces with more models than this are summarised on demand only. */
const MAX_WORKSPACE_MODELS = 200;

export function modelSummary(ctx: ServerContext): Feature {
  const { connection, documents } = ctx;

  function publishModel(file: string): void {
    const uri = pathToFileURL(file).toString();
    if (!fs.existsSync(file)) {
      ctx.models.forget(file);
      void connection.sendDiagnostics({ uri, diagnostics: [] });
      return;
    }
    try {
      const report = ctx.models.get(file, ctx.config());
      void connection.sendDiagnostics({ uri, diagnostics: fileDiagnostics(file, report) });
    } catch (e) {
      ctx.logFailure('model analysis', file, e);
    }
  }

  function publishWorkspaceModels(): void {
    const { files } = collectFiles(ctx.workspaceRoots());
    for (const f of files.filter((p) => p.endsWith('.onnx')).slice(0, MAX_WORKSPACE_MODELS)) publishModel(f);
  }

  return {
    start() { setImmediate(publishWorkspaceModels); },
    configChanged() { setImmediate(publishWorkspaceModels); },
    filesChanged(uris) {
      for (const uri of uris) if (uri.endsWith('.onnx')) { const f = fileURLToPath(uri); ctx.models.forget(f); publishModel(f); }
    },
    hover(params) {
      const doc = documents.get(params.textDocument.uri);
      const lang = doc && (languageOfId(doc.languageId) ?? languageOfPath(doc.uri));
      if (!doc || !lang) return null;
      const tree = parse(lang, doc.getText());
      try {
        const ref = modelPathAt(tree, params.position, path.dirname(fileURLToPath(doc.uri)), ctx.workspaceRoots());
        if (!ref) return null;
        if (ref.refused) return { contents: { kind: 'markdown', value: `**${path.basename(ref.file)}**: ${ref.refused}` }, range: ref.range };
        const report = ctx.models.get(ref.file, ctx.config());
        const body = report.summary
          ? summaryMarkdown(path.basename(ref.file), report.summary)
          : `**${path.basename(ref.file)}**: ${report.findings.map((f) => f.message).join('; ')}`;
        return { contents: { kind: 'markdown', value: body }, range: ref.range };
      } finally {
        tree.delete();
      }
    },
    commands: {
      [MODEL_SUMMARY_COMMAND]: (args) => {
        const uri = args[0];
        if (typeof uri !== 'string') throw new Error(`${MODEL_SUMMARY_COMMAND} expects a model URI`);
        const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
        const report = ctx.models.get(file, ctx.config());
        return {
          markdown: report.summary ? summaryMarkdown(path.basename(file), report.summary) : undefined,
          summary: report.summary,
          diagnostics: report.findings,
        };
      },
    },
  };
}
