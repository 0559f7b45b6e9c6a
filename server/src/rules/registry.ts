/**
 * Every rule, in id order. Adding a rule: write its file (id, docs, check), list it here, add its
 * fixtures and tests, and run `npm run docs` to regenerate docs/rules/.
 */
import type { ModelRule, PythonRule, Rule, ScriptRule } from './types';
import { PY001 } from './python/py001_load_on_request_path';
import { PY002 } from './python/py002_inference_without_no_grad';
import { PY003 } from './python/py003_missing_eval';
import { PY004 } from './python/py004_per_item_inference';
import { PY005 } from './python/py005_device_sync_in_loop';
import { PY006 } from './python/py006_fp32_inference';
import { PY007 } from './python/py007_session_without_options';
import { PY008 } from './python/py008_blocking_inference_in_async';
import { PY009 } from './python/py009_per_request_setup';
import { PY010 } from './python/py010_wasteful_generation_settings';
import { PY011 } from './python/py011_onnx_model_worth_quantizing';
import { PY012 } from './python/py012_allocator_flush_per_request';
import { ONNX000 } from './onnx/onnx000_unreadable_model';

export const RULES: readonly Rule[] = [
  ONNX000,
  PY001,
  PY002,
  PY003,
  PY004,
  PY005,
  PY006,
  PY007,
  PY008,
  PY009,
  PY010,
  PY011,
  PY012,
];

export const pythonRules = (): PythonRule[] => RULES.filter((r): r is PythonRule => r.target === 'python');
export const scriptRules = (): ScriptRule[] => RULES.filter((r): r is ScriptRule => r.target === 'script');
export const modelRules = (): ModelRule[] => RULES.filter((r): r is ModelRule => r.target === 'model');

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
