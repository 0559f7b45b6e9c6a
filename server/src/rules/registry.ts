/**
 * Every rule, in id order. Adding a rule: write its file (id, docs, check), list it here, add its
 * fixtures and tests, and run `npm run docs` to regenerate docs/rules/.
 */
import type { ModelRule, PythonRule, Rule, ScriptRule } from './types';
import { PY001 } from './python/py001_load_on_request_path';
import { ONNX000 } from './onnx/onnx000_unreadable_model';
import { JS001 } from './script/js001_load_on_request_path';
import { JS002 } from './script/js002_sequential_runs_in_loop';
import { JS003 } from './script/js003_session_without_options';
import { JS004 } from './script/js004_full_precision_pipeline';
import { JS005 } from './script/js005_concurrent_runs_per_item';

export const RULES: readonly Rule[] = [
  ONNX000,
  PY001,
  JS001,
  JS002,
  JS003,
  JS004,
  JS005,
];

export const pythonRules = (): PythonRule[] => RULES.filter((r): r is PythonRule => r.target === 'python');
export const scriptRules = (): ScriptRule[] => RULES.filter((r): r is ScriptRule => r.target === 'script');
export const modelRules = (): ModelRule[] => RULES.filter((r): r is ModelRule => r.target === 'model');

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
