/**
 * Model-rule fixtures: models generated with server/src/onnx/builder.ts, written to a temp file and
 * analysed by the real engine, so each finding lands on its text-view line as in the editor.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeModel, model, ModelSpec } from '../../server/src/onnx/builder';
import { analyzeModelFile, ModelReport } from '../../server/src/engine';
import { Config, mergeConfig } from '../../server/src/config';
import type { Finding } from '../../server/src/rules/types';
import { readModelFile } from '../../server/src/onnx/reader';
import { renderTextView } from '../../server/src/onnx/textView';
import { allNodes } from '../../server/src/rules/onnx/graph';

let dir: string | undefined;

export function tempDir(): string {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'il-models-'));
  return dir;
}

export function writeModel(spec: ModelSpec, name = 'fixture.onnx'): string {
  const file = path.join(tempDir(), `${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
  fs.writeFileSync(file, encodeModel(model(spec)));
  return file;
}

export function analyzeSpec(spec: ModelSpec, config: Config = mergeConfig()): ModelReport {
  return analyzeModelFile(writeModel(spec), config);
}

/** The text-view lines `rule` fires on. */
export function ruleLines(report: ModelReport, rule: string): { finding: Finding; line: string }[] {
  const lines = report.view!.text.split('\n');
  return report.findings.filter((f) => f.rule === rule).map((finding) => ({ finding, line: lines[finding.range.start.line] }));
}

/**
 * Asserts that `rule` fires exactly once per expected marker, each on the text-view line that holds
 * it (a node's output name or a tensor's declaration), like `# expect:` in code fixtures.
 */
export function assertFires(report: ModelReport, rule: string, markers: string[]): Finding[] {
  const got = ruleLines(report, rule);
  const describe = got.map((g) => `  ${g.finding.range.start.line}: ${g.line.trim()}  — ${g.finding.message}`).join('\n');
  assert.strictEqual(got.length, markers.length, `${rule}: expected ${markers.length} finding(s), got ${got.length}:\n${describe}`);
  markers.forEach((m, i) => assert.ok(got[i].line.includes(m), `${rule}: finding ${i} should be on the line with '${m}':\n${describe}`));
  return got.map((g) => g.finding);
}

export function assertSilent(report: ModelReport, rule: string): void {
  assertFires(report, rule, []);
}

/** Asserts the rules that fire on a model file, in any order, each on a line of its text view. */
export function assertRules(file: string, rules: string[]): void {
  const r = analyzeModelFile(file, mergeConfig());
  assert.deepStrictEqual(r.findings.map((f) => f.rule).sort(), [...rules].sort());
  for (const f of r.findings) assert.ok(f.range.start.line < r.view!.lineCount);
}

/** Each model's text view has one line per node (subgraphs included) and no weight data. */
export function assertTextViews(files: string[]): void {
  for (const file of files) {
    const f = path.basename(file);
    const m = readModelFile(file);
    const v = renderTextView(m);
    const nodes = [...allNodes(m)].map((x) => x.node);
    assert.strictEqual(v.nodeLines.size, nodes.length, f);
    assert.strictEqual(new Set(v.nodeLines.values()).size, nodes.length, `${f}: two nodes on one line`);
    assert.ok(v.text.length < 200 * (nodes.length + m.graph.initializers.length + 50), `${f}: text view too large (weights leaked?)`);
  }
}
