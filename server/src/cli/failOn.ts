/**
 * `analyze --fail-on`: turns findings into a CI gate. Without the flag analyze exits 0 whatever it
 * found (findings are advice); with it, exit 1 once a finding meets the threshold.
 */
import type { Severity } from '../rules/types';
import { UsageError } from './args';

export type FailOn = 'error' | 'warning' | 'info' | 'budget';
export const FAIL_ON: readonly FailOn[] = ['error', 'warning', 'info', 'budget'];

/** The rules that compare a model with the configured budgets (p95, $/1k, $/month, bytes). */
export const BUDGET_RULES: ReadonlySet<string> = new Set(['ONNX090', 'PY090']);

const RANK: Record<Severity, number> = { hint: 0, information: 1, warning: 2, error: 3 };
const THRESHOLD: Record<Exclude<FailOn, 'budget'>, number> = { info: 1, warning: 2, error: 3 };

export function parseFailOn(v: string | true | undefined): FailOn | undefined {
  if (v === undefined) return undefined;
  if (v === true || !(FAIL_ON as readonly string[]).includes(v)) throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}`);
  return v as FailOn;
}

/**
 * Whether a finding meets the gate: `error`, `warning`, `info` = at that severity or above (hints never
 * fail a build); `budget` = any over-budget finding (ONNX090, PY090) whatever its severity.
 */
export function failsGate(gate: FailOn, finding: { rule: string; severity: string }): boolean {
  if (gate === 'budget') return BUDGET_RULES.has(finding.rule);
  return (RANK[finding.severity as Severity] ?? 0) >= THRESHOLD[gate];
}
