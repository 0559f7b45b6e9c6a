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
import { PY013 } from './python/py013_constant_input_encoded_per_request';
import { ONNX000 } from './onnx/onnx000_unreadable_model';
import { ONNX090 } from './onnx/onnx090_over_budget';
import { PY090 } from './python/py090_model_over_budget';
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
import { DECODER_WITHOUT_KV_CACHE } from './onnx/onnx014_decoder_without_kv_cache';

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
  DECODER_WITHOUT_KV_CACHE,
  ONNX090,
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
  PY013,
  PY090,
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
