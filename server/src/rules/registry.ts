/**
 * Every rule, in id order. Adding a rule: write its file (id, docs, check), list it here, add its
 * fixtures and tests, and run `npm run docs` to regenerate docs/rules/.
 */
import type { ModelRule, PythonRule, Rule, ScriptRule } from './types';
import { PY001 } from './python/py001_load_on_request_path';
import { ONNX000 } from './onnx/onnx000_unreadable_model';
import { ONNX090 } from './onnx/onnx090_over_budget';
import { PY090 } from './python/py090_model_over_budget';

export const RULES: readonly Rule[] = [
  ONNX000,
  ONNX090,
  PY001,
  PY090,
];

export const pythonRules = (): PythonRule[] => RULES.filter((r): r is PythonRule => r.target === 'python');
export const scriptRules = (): ScriptRule[] => RULES.filter((r): r is ScriptRule => r.target === 'script');
export const modelRules = (): ModelRule[] => RULES.filter((r): r is ModelRule => r.target === 'model');

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
