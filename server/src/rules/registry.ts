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
import { FLOAT32_QUANTIZABLE } from './onnx/onnx001_float32_weights_quantizable';
import { DYNAMIC_QUANTIZED_CONV } from './onnx/onnx002_dynamic_quantized_conv';
import { FLOAT64 } from './onnx/onnx003_float64';
import { DEAD_NODES } from './onnx/onnx004_dead_nodes';
import { UNUSED_INITIALIZERS } from './onnx/onnx005_unused_initializers';
import { DUPLICATE_INITIALIZERS } from './onnx/onnx006_duplicate_initializers';
import { REDUNDANT_OPS } from './onnx/onnx007_redundant_ops';
import { CONSTANT_FOLDABLE } from './onnx/onnx008_constant_foldable';
import { DECOMPOSED_PATTERNS } from './onnx/onnx009_decomposed_patterns';
import { OLD_OPSET } from './onnx/onnx010_old_opset';
import { UNSET_SYMBOLIC_DIMS } from './onnx/onnx011_unset_symbolic_dims';
import { LARGE_INLINE_WEIGHTS } from './onnx/onnx012_large_inline_weights';
import { MATMULNBITS_ACCURACY } from './onnx/onnx013_matmulnbits_accuracy_level';

export const RULES: readonly Rule[] = [
  ONNX000,
  FLOAT32_QUANTIZABLE,
  DYNAMIC_QUANTIZED_CONV,
  FLOAT64,
  DEAD_NODES,
  UNUSED_INITIALIZERS,
  DUPLICATE_INITIALIZERS,
  REDUNDANT_OPS,
  CONSTANT_FOLDABLE,
  DECOMPOSED_PATTERNS,
  OLD_OPSET,
  UNSET_SYMBOLIC_DIMS,
  LARGE_INLINE_WEIGHTS,
  MATMULNBITS_ACCURACY,
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
