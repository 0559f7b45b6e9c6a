/** `inference-lens text-view`: a model in ONNX text syntax, the document model findings' lines refer to. */
import { analyzeModelFile } from '../engine';
import { findWorkspaceConfigDir, mergeConfig, readWorkspaceConfig } from '../config';
import { parseArgs, UsageError } from './args';

export async function runTextView(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, { findings: false });
  if (args.positional.length !== 1) throw new UsageError('text-view needs exactly one .onnx file');
  const file = args.positional[0];
  const dir = findWorkspaceConfigDir(file);
  const problems: string[] = [];
  const report = analyzeModelFile(file, mergeConfig(dir ? readWorkspaceConfig(dir, problems) : {}));
  for (const p of problems) err(`inference-lens: ${p}`);
  if (!report.view) {
    for (const f of report.findings) err(`inference-lens: ${file}: ${f.message}`);
    return 1;
  }
  if (!args.flags.has('findings')) {
    out(report.view.text.replace(/\n$/, ''));
    return 0;
  }
  const lines = report.view.text.replace(/\n$/, '').split('\n');
  const byLine = new Map<number, string[]>();
  for (const f of report.findings) {
    if (!f.target) continue;
    const at = f.range.start.line;
    const indent = lines[at].length - lines[at].trimStart().length;
    byLine.set(at, [...(byLine.get(at) ?? []), `${' '.repeat(indent)}#  ^ ${f.severity} ${f.rule}: ${f.message}`]);
  }
  out(lines.flatMap((l, i) => [l, ...(byLine.get(i) ?? [])]).join('\n'));
  return 0;
}
