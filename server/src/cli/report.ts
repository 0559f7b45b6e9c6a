/**
 * `inference-lens report <result.json>`: the JSON of `bench`, `quantize` or `compare` as the report
 * the editor shows (HTML with inline SVG charts), or its figures as CSV. Same renderer as the webview,
 * so CI artifacts look like the editor.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cannotWrite, writeFileAtomic } from '../diskWrite';
import { reportCsv } from '../report/csv';
import { reportDocOf } from '../report/document';
import { renderReport } from '../report/html';
import { reportMarkdown } from '../report/markdown';
import { formatFlag, parseArgs, UsageError } from './args';

export const REPORT_USAGE = `  report <result.json> [--out FILE] [--format html|csv|md|json] [--force]
      the JSON of bench, quantize or compare (--format json) as the editor's report: HTML with charts
      (latency histogram and trace, sweeps, hot ops and nodes, cost per instance; A/B side by side),
      its figures as CSV, or Markdown (a CI job summary); to stdout, or to FILE (written atomically;
      an existing FILE needs --force)`;

export async function runReport(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, { out: true, format: true, force: false });
  if (args.positional.length !== 1) throw new UsageError('report needs exactly one result .json file');
  const format = args.flags.has('format') ? formatFlag(args.flags, ['html', 'csv', 'md', 'json']) : 'html';
  const src = args.positional[0];
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(src, 'utf8'));
  } catch (e) {
    err(`inference-lens report: cannot read ${src}: ${(e as Error).message}`);
    return 1;
  }
  let text: string;
  try {
    const doc = reportDocOf(json);
    const baseline = (json as { baseline?: { verdict?: string; reason?: string; against?: string } }).baseline;
    text = format === 'csv' ? reportCsv(doc) : format === 'md' ? reportMarkdown(doc, baseline) + '\n'
      : format === 'json' ? JSON.stringify(json, null, 2) + '\n' : renderReport(doc, { nonce: randomBytes(18).toString('base64') });
  } catch (e) {
    err(`inference-lens report: ${src}: ${(e as Error).message}`);
    return 1;
  }
  const dest = args.flags.get('out');
  if (dest === undefined) {
    out(text.replace(/\n$/, ''));
    return 0;
  }
  if (dest === true) throw new UsageError('--out needs a file name');
  if (fs.existsSync(dest) && !args.flags.has('force')) {
    err(`inference-lens report: ${dest} exists; --force replaces it`);
    return 1;
  }
  if (path.resolve(dest) === path.resolve(src)) {
    err('inference-lens report: --out names the result file itself');
    return 1;
  }
  try {
    writeFileAtomic(dest, text);
  } catch (e) {
    throw cannotWrite(e, path.resolve(dest));
  }
  err(`wrote ${dest}`);
  return 0;
}
