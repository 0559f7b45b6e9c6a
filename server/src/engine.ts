/**
 * The analysis engine shared by the language server and the CLI: text or a model file in,
 * findings (with severities from the configuration) out. No LSP and no I/O beyond reading models.
 */
import * as path from 'path';
import { parse, CodeLanguage } from './code/treeSitter';
import { PythonAnalysis, UnitRules } from './code/python/analysis';
import { analyzeScript } from './code/script/semantics';
import { readModelFile, OnnxReadError } from './onnx/reader';
import { ModelInfo } from './onnx/model';
import { summarize, ModelSummary } from './onnx/summary';
import { renderTextView, TextView } from './onnx/textView';
import { placeOnView } from './rules/onnx/place';
import { computeSummary, modelCost, ModelCost } from './onnx/cost';
import { inferShapes, ShapeInference } from './onnx/shapes';
import { recognizeGenerative } from './onnx/generative';
import { generationFigures, GenerationFigures } from './onnx/generation';
import { cachedSibling, pairFromNames } from './onnx/encoderDecoder';
import * as fs from 'fs';
import { modelRules, pythonRules, ruleById, scriptRules } from './rules/registry';
import { unreadableModel } from './rules/onnx/onnx000_unreadable_model';
import type { Finding } from './rules/types';
import { describeFailure } from './errors';
import type { Config } from './config';
import type { Tree } from 'web-tree-sitter';
import type { ModelResolver } from './cost/figures';
import type { Performance } from './cost/model';
import type { ExternalFacts } from './code/python/context';
import { summarizeContext, PythonSummary } from './code/python/summary';
import { WorkspaceIndex } from './code/workspace/index';
import { ScriptIndex } from './code/workspace/scripts';
import { summarizeScript as summarizeScriptModule, type ScriptExternal, type ScriptSummary } from './code/script/summary';

/**
 * Runs the code rules over a parsed tree (the server passes its incrementally updated tree). A Python
 * document's `analysis`, kept between calls, makes re-analysis after an edit incremental.
 */
export function analyzeTree(text: string, tree: Tree, lang: CodeLanguage, config: Config, models?: ModelResolver, analysis?: PythonAnalysis, external?: ExternalFacts | ScriptExternal): Finding[] {
  if (lang === 'python') {
    // Severities are set as each unit is analysed (kept findings keep theirs): no copy per finding here.
    const all = (analysis ?? new PythonAnalysis()).analyze(text, tree, unitRules(config), models, external as ExternalFacts | undefined);
    return sortByPosition(suppressed(all, text, lang));
  }
  return analyzeScriptTree(text, tree, lang, config, external as ScriptExternal | undefined).findings;
}

/**
 * A JS/TS file's findings, and its summary for the script index (taken from the same analysis).
 * `external`: what the files it imports tell it (ScriptIndex.externalFor).
 */
export function analyzeScriptTree(text: string, tree: Tree, lang: Exclude<CodeLanguage, 'python'>, config: Config, external?: ScriptExternal): { findings: Finding[]; summary: ScriptSummary } {
  const findings: Finding[] = [];
  const ctx = { text, tree, language: lang, module: analyzeScript(tree, external), config };
  for (const rule of scriptRules()) if (enabled(rule.id, config)) findings.push(...guarded(rule, ctx));
  return { findings: finalize(suppressed(findings, text, lang), config), summary: summarizeScriptModule(ctx.module) };
}

/** What the script index needs of a JS/TS file, without running any rule. */
export function summarizeScript(text: string, lang: Exclude<CodeLanguage, 'python'>, tree?: Tree): ScriptSummary {
  const own = tree ?? parse(lang, text);
  try {
    return summarizeScriptModule(analyzeScript(own));
  } finally {
    if (!tree) own.delete();
  }
}

export function analyzeCode(text: string, lang: CodeLanguage, config: Config, models?: ModelResolver, external?: ExternalFacts | ScriptExternal): Finding[] {
  const tree = parse(lang, text);
  try {
    return analyzeTree(text, tree, lang, config, models, undefined, external);
  } finally {
    tree.delete();
  }
}

const NO_RULES: UnitRules = { code: () => [], models: () => [] };

/** What the workspace index needs of a Python file: its module context, without running any rule. */
export function summarizePython(text: string, tree?: Tree): PythonSummary {
  const own = tree ?? parse('python', text);
  try {
    const analysis = new PythonAnalysis();
    analysis.analyze(text, own, NO_RULES);
    return summarizeContext(analysis.context!);
  } finally {
    if (!tree) own.delete();
  }
}

/**
 * Code files analysed as one workspace: every file is summarised first, so that each file's rules see
 * what the others define (Python: imported model classes, bindings, factories, request paths; JS/TS:
 * imported helpers that run a model or create one per call).
 */
export function analyzeCodeFiles(files: readonly { file: string; text: string; lang: CodeLanguage }[], configFor: (file: string) => Config,
  modelsFor?: (file: string) => ModelResolver | undefined): Map<string, Finding[]> {
  const index = new WorkspaceIndex();
  const scripts = new ScriptIndex();
  for (const f of files) {
    if (f.lang === 'python') index.set(f.file, summarizePython(f.text));
    else scripts.set(f.file, summarizeScript(f.text, f.lang));
  }
  const out = new Map<string, Finding[]>();
  for (const f of files) {
    const external = f.lang === 'python' ? index.externalFor(f.file) : scripts.externalFor(f.file);
    out.set(f.file, analyzeCode(f.text, f.lang, configFor(f.file), modelsFor?.(f.file), external));
  }
  return out;
}

export interface ModelReport {
  findings: Finding[];
  model?: ModelInfo;
  summary?: ModelSummary;
  /** The model's text view; findings with a target have their range on its lines. */
  view?: TextView;
  /** Shapes and per-node cost at the configured dims. */
  cost?: ModelCost;
}

/** `measured`: the latest benchmark of this file, when the caller has one (budget rules use it). */
export function analyzeModelFile(file: string, config: Config, measured?: Performance): ModelReport {
  let model: ModelInfo;
  try {
    model = readModelFile(file);
  } catch (e) {
    const msg = e instanceof OnnxReadError ? e.message : `cannot read ${path.basename(file)}: ${(e as Error).message}`;
    return { findings: finalize([unreadableModel(msg)], config) };
  }
  let cost: ModelCost | undefined;
  let shapes: ShapeInference | undefined;
  try {
    shapes = inferShapes(model, config.dims);
    cost = modelCost(model, config.dims, shapes);
  } catch { /* a structure too broken to cost: the summary and findings still stand */ }
  const findings: Finding[] = [];
  const siblings = namesBeside(file);
  const pair = pairFromNames(path.basename(file), siblings);
  const ctx = { model, config, measured, cost, shapes, cachedSibling: cachedSibling(path.basename(file), siblings) };
  for (const rule of modelRules()) if (enabled(rule.id, config)) findings.push(...guarded(rule, ctx));
  const view = renderTextView(model);
  const generation = cost && generativeFigures(model, config);
  return {
    findings: finalize(placeOnView(findings, view), config), model, cost, view,
    summary: { ...summarize(model), ...(cost && computeSummary(cost)), ...(generation && { generation }), ...(pair && { encoderDecoder: pair }) },
  };
}

/** The file names in a model's folder (one readdir): an export's other files are named by convention. */
function namesBeside(file: string): string[] {
  try {
    return fs.readdirSync(path.dirname(file));
  } catch {
    return []; // an unreadable folder: the file is analysed alone
  }
}

/** A decoder's prefill and decode figures at the `generation` settings; undefined for other models. */
function generativeFigures(model: ModelInfo, config: Config): GenerationFigures | undefined {
  try {
    const g = recognizeGenerative(model);
    return g && generationFigures(model, g, config.generation, config.dims);
  } catch {
    return undefined; // a decoder too broken to cost per phase: the single-pass figures still stand
  }
}

/** Rules that threw, each reported once per process. */
const failedRules = new Set<string>();
let reportRuleFailure: (id: string, e: unknown) => void = (id, e) => {
  process.stderr.write(`${describeFailure(`rule ${id}`, undefined, e)}; it was skipped, the other rules ran\n`);
};

/** Where a failing rule is reported (the server logs it; the CLI writes stderr). */
export function onRuleFailure(report: (id: string, e: unknown) => void): void {
  reportRuleFailure = report;
}

/** A rule that throws yields no findings (reported once): one broken rule must not silence the others. */
function guarded<C>(rule: { id: string; check(ctx: C): Finding[] }, ctx: C): Finding[] {
  try {
    return rule.check(ctx);
  } catch (e) {
    if (!failedRules.has(rule.id)) { failedRules.add(rule.id); reportRuleFailure(rule.id, e); }
    return [];
  }
}

const unitRulesMemo = new WeakMap<Config, UnitRules>();

/** The Python rules one configuration enables, split by whether they read model files (kept per configuration: a new one re-analyses). */
function unitRules(config: Config): UnitRules {
  let r = unitRulesMemo.get(config);
  if (!r) {
    const on = pythonRules().filter((rule) => enabled(rule.id, config));
    const code = on.filter((rule) => !rule.readsModels), reads = on.filter((rule) => rule.readsModels);
    r = {
      code: (module, text) => sortByPosition(finalize(code.flatMap((rule) => guarded(rule, { text, tree: module.tree, module, config })), config)),
      models: (module, text, models) => sortByPosition(finalize(reads.flatMap((rule) => guarded(rule, { text, tree: module.tree, module, config, models })), config)),
    };
    unitRulesMemo.set(config, r);
  }
  return r;
}

function enabled(id: string, config: Config): boolean {
  return config.rules[id] !== 'off';
}

function finalize(findings: Finding[], config: Config): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const setting = config.rules[f.rule];
    if (setting === 'off') continue;
    out.push({ ...f, severity: setting ?? f.severity ?? ruleById(f.rule)?.defaultSeverity ?? 'warning' });
  }
  return sortByPosition(out);
}

/** Stable, by start position (near-sorted input, as unit after unit is, costs one pass). */
function sortByPosition(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

const SUPPRESS = /inference-lens:\s*ignore(?:\[([A-Z0-9_,\s]+)\])?/;

/** `# inference-lens: ignore[PY001]` (or `//` in JS/TS) on a finding's first line silences it; without ids, all. */
function suppressed(findings: Finding[], text: string, lang: CodeLanguage): Finding[] {
  if (!findings.length || !text.includes('inference-lens:')) return findings;
  const lines = text.split('\n');
  const marker = lang === 'python' ? '#' : '//';
  return findings.filter((f) => {
    const line = lines[f.range.start.line] ?? '';
    const at = line.indexOf(marker);
    if (at < 0) return true;
    const m = SUPPRESS.exec(line.slice(at));
    if (!m) return true;
    if (!m[1]) return false;
    return !m[1].split(',').map((s) => s.trim()).includes(f.rule);
  });
}
