/**
 * `analyze --format sarif`: the analyze result as SARIF 2.1.0, the format code-scanning services
 * (GitHub, GitLab, Azure DevOps) ingest. Pure: from the analyze output, the rule registry and the rule
 * settings in force, to one SARIF log.
 *
 * Code findings point at their file and region (1-based lines and columns, as SARIF counts). A model
 * finding points at the .onnx file without a region (a binary file has no lines); the node or tensor
 * it is about is its logical location, and the line of `inference-lens text-view` it sits on is the
 * result's `textViewLine` property.
 */
import * as crypto from 'crypto';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { RuleSetting } from '../config';
import { docsUrl, Rule, Severity } from '../rules/types';
import type { AnalyzeOutput, FileResult } from './analyze';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/inference-lens/inference-lens';

type Level = 'error' | 'warning' | 'note' | 'none';

/** SARIF has no 'hint': hints and information are both notes (the result keeps the LSP severity as a property). */
export function sarifLevel(s: Severity | 'off'): Level {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : s === 'off' ? 'none' : 'note';
}

/** SARIF paths are URIs: relative ones (to %SRCROOT%, the folder analyze ran in) with forward slashes. */
function artifactUri(p: string): string {
  const rel = p.split(path.sep).map(encodeURIComponent).join('/');
  return path.isAbsolute(p) ? pathToFileURL(p).toString() : rel;
}

function logicalLocation(t: NonNullable<FileResult['diagnostics'][number]['target']>): Record<string, unknown> {
  if (t.kind === 'graph') return { name: 'graph', kind: 'module' };
  return { name: t.name, kind: t.kind === 'node' ? 'function' : 'variable', ...(t.kind === 'node' ? { properties: { opType: t.opType } } : {}) };
}

export function toSarif(result: AnalyzeOutput, rules: readonly Rule[], settings: Record<string, RuleSetting>, srcRoot: string): object {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const driverRules = rules.map((r) => {
    const level = settings[r.id] ?? r.defaultSeverity;
    return {
      id: r.id,
      name: r.name,
      shortDescription: { text: r.docs.summary },
      fullDescription: { text: r.docs.whatItDoes },
      helpUri: docsUrl(r.id),
      help: { text: `${r.docs.whyItCosts}\n\nInstead: ${r.docs.useInstead}`, markdown: `${r.docs.whyItCosts}\n\n**Instead:** ${r.docs.useInstead}` },
      defaultConfiguration: { level: sarifLevel(level), enabled: level !== 'off' },
      properties: { target: r.target, severity: level },
    };
  });
  const results: object[] = [];
  const notifications: object[] = [];
  for (const f of result.files) {
    const artifactLocation = { uri: artifactUri(f.path), ...(path.isAbsolute(f.path) ? {} : { uriBaseId: '%SRCROOT%' }) };
    if (f.error) notifications.push({ level: 'error', message: { text: f.error }, locations: [{ physicalLocation: { artifactLocation } }] });
    for (const d of f.diagnostics) {
      const { start, end } = d.range;
      const physicalLocation = f.kind === 'model'
        ? { artifactLocation }
        : { artifactLocation, region: { startLine: start.line + 1, startColumn: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 } };
      const location: Record<string, unknown> = { physicalLocation };
      if (d.target) location.logicalLocations = [logicalLocation(d.target)];
      // Code scanning fingerprints code results by their line's text; a binary .onnx has none, so model
      // results carry their own: the rule, the file and the node or tensor (stable while figures change).
      const fingerprint = f.kind === 'model'
        ? { partialFingerprints: { 'inferenceLens/v1': crypto.createHash('sha256').update([d.rule, f.path, d.target ? JSON.stringify(d.target) : d.message].join('\0')).digest('hex') } }
        : {};
      const i = index.get(d.rule);
      results.push({
        ruleId: d.rule,
        ...(i !== undefined ? { ruleIndex: i } : {}),
        level: sarifLevel(d.severity as Severity),
        message: { text: d.message },
        locations: [location],
        ...fingerprint,
        properties: { severity: d.severity, ...(d.textViewLine !== undefined ? { textViewLine: d.textViewLine + 1 } : {}) },
      });
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: result.tool, version: result.version, semanticVersion: result.version, informationUri: INFORMATION_URI, rules: driverRules } },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(srcRoot.endsWith(path.sep) ? srcRoot : srcRoot + path.sep).toString() } },
      invocations: [{ executionSuccessful: true, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) }],
      results,
    }],
  };
}
