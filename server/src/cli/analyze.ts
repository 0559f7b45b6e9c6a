/** `inference-lens analyze`: the server's rules over files and folders, as text or JSON. */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCodeFiles } from '../engine';
import { collectFiles, kindOf } from '../files';
import { initParsers, languageOfPath } from '../code/treeSitter';
import { CONFIG_FILE, findWorkspaceConfigDir, mergeConfig, readWorkspaceConfig, Config } from '../config';
import { RULES } from '../rules/registry';
import { toSarif } from './sarif';
import { failsGate, parseFailOn } from './failOn';
import type { Finding } from '../rules/types';
import type { ModelSummary } from '../onnx/summary';
import { computeFigures, formatBytes, formatCount, formatShape, generationLines } from '../onnx/summary';
import { pairLine } from '../onnx/encoderDecoder';
import { nodeDetail, NodeDetail } from '../onnx/costReport';
import { TOOL, VERSION } from '../version';
import { formatFlag, parseArgs, parseDims, UsageError } from './args';
import { ModelCache } from '../modelRefs';
import { costJson, CostJson, costReport } from '../cost/report';
import { workFigures } from '../cost/figures';
import { modelResolver } from '../cost/resolve';
import { costOverrides, costText } from './costFlags';

export interface FileResult {
  path: string;
  kind: 'code' | 'model';
  /** Model findings about a node or tensor also carry `textViewLine`: their `range` is on that line of `inference-lens text-view`. */
  diagnostics: Array<Pick<Finding, 'rule' | 'message' | 'range'> & { severity: string; textViewLine?: number; target?: DiagnosticTarget }>;
  model?: ModelSummary & { nodeCosts?: NodeDetail[]; cost?: CostJson; costError?: string };
  error?: string;
}

/** What a model finding is about: a node (its name, or its op and first output when unnamed), a tensor, or the graph. */
export type DiagnosticTarget = { kind: 'node'; name: string; opType: string } | { kind: 'tensor'; name: string } | { kind: 'graph' };

export interface AnalyzeOutput {
  tool: string;
  version: string;
  files: FileResult[];
}

export async function analyzePaths(paths: string[], overrides: Partial<Config>, log: (line: string) => void, opts: { detail?: boolean } = {}): Promise<AnalyzeOutput> {
  const { files, missing } = collectFiles(paths);
  // Loading the grammars costs a few hundred ms: only when there is code to parse.
  if (files.some((f) => kindOf(f) === 'code')) await initParsers();
  for (const m of missing) log(`inference-lens: cannot read ${m}: no such file or directory`);
  const configs = new Map<string, Config>();
  const configFor = (file: string): Config => {
    const dir = findWorkspaceConfigDir(file) ?? '';
    let c = configs.get(dir);
    if (!c) {
      const problems: string[] = [];
      c = mergeConfig(dir ? readWorkspaceConfig(dir, problems) : {}, overrides);
      for (const p of problems) log(`inference-lens: ${p}`);
      configs.set(dir, c);
    }
    return c;
  };
  const results: FileResult[] = [];
  const models = new ModelCache();
  // Code is read first and analysed as one workspace (imports between the files resolve).
  const code: { file: string; text: string; lang: NonNullable<ReturnType<typeof languageOfPath>> }[] = [];
  const unreadable = new Map<string, string>();
  for (const file of files) {
    if (kindOf(file) !== 'code') continue;
    try {
      code.push({ file, text: fs.readFileSync(file, 'utf8'), lang: languageOfPath(file)! });
    } catch (e) {
      unreadable.set(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }
  const codeFindings = analyzeCodeFiles(code, configFor, (file) => modelResolver(file, [findWorkspaceConfigDir(file) ?? process.cwd()], models, configFor(file)));
  for (const file of files) {
    const kind = kindOf(file);
    const rel = path.relative(process.cwd(), file) || file;
    if (kind === 'model') {
      const config = configFor(file);
      const report = models.get(file, config);
      let model: FileResult['model'] = report.summary && opts.detail && report.cost ? { ...report.summary, nodeCosts: report.cost.nodes.map(nodeDetail) } : report.summary;
      if (model && report.summary) {
        const res = costReport(workFigures(report.summary, report.cost), config);
        model = 'error' in res ? { ...model, costError: res.error } : { ...model, cost: costJson(res.report) };
      }
      results.push({ path: rel, kind, diagnostics: report.findings.map(diag), model });
    } else if (kind === 'code') {
      const problem = unreadable.get(file);
      if (problem !== undefined) {
        const msg = `cannot read ${rel}: ${problem}`;
        log(`inference-lens: ${msg}`);
        results.push({ path: rel, kind, diagnostics: [], error: msg });
        continue;
      }
      results.push({ path: rel, kind, diagnostics: (codeFindings.get(file) ?? []).map(diag) });
    }
  }
  return { tool: TOOL, version: VERSION, files: results };
}

function diag(f: Finding): FileResult['diagnostics'][number] {
  const d: FileResult['diagnostics'][number] = { rule: f.rule, severity: f.severity ?? 'warning', message: f.message, range: f.range };
  if (f.target) {
    d.textViewLine = f.range.start.line;
    const t = f.target;
    d.target = t.kind === 'node' ? { kind: 'node', name: t.node.name || `${t.node.opType}(${t.node.outputs[0] ?? ''})`, opType: t.node.opType } : t;
  }
  return d;
}

export async function runAnalyze(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, { format: true, dims: true, detail: false, instance: true, traffic: true, 'fail-on': true });
  const format = formatFlag(args.flags, ['text', 'json', 'sarif']);
  const gate = parseFailOn(args.flags.get('fail-on'));
  if (!args.positional.length) throw new UsageError('analyze needs at least one file or folder');
  const dims = args.flags.get('dims');
  const overrides: Partial<Config> = typeof dims === 'string' ? { dims: parseDims(dims) } : {};
  const cost = costOverrides(args.flags);
  if (cost) overrides.cost = cost;
  const result = await analyzePaths(args.positional, overrides, err, { detail: args.flags.has('detail') });
  if (format === 'json') out(JSON.stringify(result, null, 2));
  else if (format === 'sarif') out(JSON.stringify(toSarif(result, RULES, ruleSettings(args.positional[0], overrides), process.cwd()), null, 2));
  else out(renderText(result));
  return gate && result.files.some((f) => f.diagnostics.some((d) => failsGate(gate, d))) ? 1 : 0;
}

/** The rule settings in force where the first path lies (its nearest inference-lens.json): SARIF's rule levels. */
function ruleSettings(first: string, overrides: Partial<Config>): Config['rules'] {
  const start = fs.existsSync(first) && fs.statSync(first).isDirectory() ? path.join(first, CONFIG_FILE) : first;
  const dir = findWorkspaceConfigDir(start);
  return mergeConfig(dir ? readWorkspaceConfig(dir) : {}, overrides).rules;
}

export function renderText(result: AnalyzeOutput): string {
  const lines: string[] = [];
  let count = 0;
  for (const f of result.files) {
    if (f.model) {
      const m = f.model;
      lines.push(`${f.path}: ONNX model, ${formatCount(m.params)} parameters, ${formatBytes(m.weightBytes)} of weights, ${m.nodes} nodes`);
      lines.push(`  inputs:  ${m.inputs.map((i) => `${i.name} ${i.type}${formatShape(i.shape)}`).join(', ')}`);
      lines.push(`  outputs: ${m.outputs.map((i) => `${i.name} ${i.type}${formatShape(i.shape)}`).join(', ')}`);
      lines.push(`  ops:     ${Object.entries(m.opCounts).slice(0, 8).map(([k, v]) => `${k}×${v}`).join(' ')}`);
      lines.push(`  opsets:  ${Object.entries(m.opsets).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (m.macs !== undefined) {
        lines.push(`  compute: ${computeFigures(m)} per inference; peak activations ${formatBytes(m.peakActivationBytes ?? 0)}`);
        lines.push(`  dims:    ${Object.entries(m.dims ?? {}).map(([k, v]) => `${k}=${v}${m.dimSources?.[k] ? ` (${m.dimSources[k]})` : ''}`).join(', ') || 'none symbolic'}`);
        if (m.unknownOps?.length) lines.push(`  no shape inference for: ${m.unknownOps.join(', ')}`);
        if (m.incomplete) lines.push(`  incomplete: ${m.incomplete.reason}`);
        for (const note of new Set(Object.values(m.dimNotes ?? {}))) lines.push(`  dims note: ${note}`); // H and W share one
        for (const c of m.controlFlow ?? []) lines.push(`  control:  ${c.node} ${c.note}`);
      }
      if (m.encoderDecoder) lines.push(`  pair:    ${pairLine(m.encoderDecoder)}`);
      for (const g of m.generation ? generationLines(m.generation) : []) lines.push(`  ${g.slice(2)}`);
      for (const d of m.nodeCosts ?? []) {
        lines.push(`    ${d.graph}#${d.index} ${d.opType} ${d.name}: ${formatCount(d.macs)}MACs ${formatCount(d.flops)}FLOPs, ${formatCount(d.params)} params, out ${d.outputShapes.map(formatShape).join(' ')}`);
      }
      lines.push(`  cost:    ${m.cost ? costText(m.cost) : m.costError ?? 'n/a'}`);
    }
    for (const d of f.diagnostics) {
      count++;
      lines.push(`${f.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.rule} ${d.message}`);
    }
  }
  lines.push(`${result.files.length} file(s) analysed, ${count} finding(s).`);
  return lines.join('\n');
}
