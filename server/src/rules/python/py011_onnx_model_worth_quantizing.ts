import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import type { ResolvedModel } from '../../cost/figures';
import { keywordArg, positionalArgs, qualifiedCallee } from '../../code/python/semantics';
import { formatBytes } from '../../onnx/summary';
import { nodeRange } from '../helpers';

/** Below this many float32 weight bytes the saving is not worth a second model file. */
export const MIN_FLOAT_BYTES = 1 << 20;
const QUANTIZED_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|MatMulInteger|QLinearMatMul|QLinearConv|ConvInteger|com\.microsoft\.(MatMulNBits|DynamicQuantizeMatMul|QOrderedMatMul|MatMulIntegerToFloat|QAttention|GatherBlockQuantized))$/;
const WEIGHT_OPS = /^(MatMul|Gemm|Conv|ConvTranspose|LSTM|GRU|Attention|com\.microsoft\.(Attention|FusedMatMul))$/;

/**
 * Whether a model's float32 weights are worth quantizing: the model rule ONNX001 decides when the
 * engine ran the model rules; otherwise mostly float32 weights feeding MatMul/Gemm/Conv, nothing quantized yet.
 */
export function worthQuantizing(ref: Pick<ResolvedModel, 'summary'> & { findings?: Finding[] }): boolean {
  if (ref.findings) return ref.findings.some((f) => f.rule === 'ONNX001');
  const s = ref.summary;
  const f32 = s.weightBytesByType['float'] ?? 0;
  if (f32 < MIN_FLOAT_BYTES || f32 < s.weightBytes / 2) return false;
  const ops = Object.keys(s.opCounts);
  return ops.some((o) => WEIGHT_OPS.test(o)) && !ops.some((o) => QUANTIZED_OPS.test(o));
}

function stringValue(node: Node): string | undefined {
  if (node.type !== 'string' || node.descendantsOfType('interpolation').length) return undefined;
  const m = /^[rRuU]?("""|'''|"|')([\s\S]*)\1$/.exec(node.text);
  return m?.[2];
}

/** The string literal a path argument is, or the one a module-level `NAME = "..."` holds. */
function pathLiteral(ctx: PythonContext, arg: Node | undefined): Node | undefined {
  if (!arg) return undefined;
  if (arg.type === 'string') return arg;
  if (arg.type !== 'identifier') return undefined;
  for (const stmt of ctx.tree.rootNode.namedChildren) {
    const a = stmt?.type === 'expression_statement' ? stmt.namedChild(0) : undefined;
    if (a?.type === 'assignment' && a.childForFieldName('left')?.text === arg.text && a.childForFieldName('right')?.type === 'string') {
      return a.childForFieldName('right')!;
    }
  }
  return undefined;
}

function check(ctx: PythonContext): Finding[] {
  if (!ctx.models) return [];
  const findings: Finding[] = [];
  const seen = new Set<number>();
  for (const call of ctx.module.calls) {
    if (qualifiedCallee(ctx.module, call) !== 'onnxruntime.InferenceSession') continue;
    const lit = pathLiteral(ctx, keywordArg(call, 'path_or_bytes') ?? positionalArgs(call)[0]);
    const value = lit && stringValue(lit);
    if (!lit || !value || !/\.onnx$/i.test(value) || seen.has(lit.id)) continue;
    seen.add(lit.id);
    const ref = ctx.models(value);
    if (!ref || !worthQuantizing(ref)) continue;
    const f32 = ref.summary.weightBytesByType['float'] ?? 0;
    findings.push({
      rule: PY011.id,
      // Short: it shares the hover with the cost figures, which lead.
      message: `${formatBytes(f32)} of float32 weights, none quantized: int8 would be ~${formatBytes(f32 / 4)}, MatMul/Gemm 1.5-3x faster on CPU (quick fix: quantize).`,
      range: nodeRange(lit),
    });
  }
  return findings;
}

export const PY011: PythonRule = {
  id: 'PY011',
  name: 'onnx-model-worth-quantizing',
  target: 'python',
  readsModels: true,
  defaultSeverity: 'information',
  docs: {
    summary: 'The code loads a workspace `.onnx` model whose float32 weights are worth quantizing.',
    whatItDoes:
      'For each `onnxruntime.InferenceSession("path.onnx")` (or a module-level constant holding the path) whose file exists ' +
      'in the workspace, reads the model lazily (no weights in memory, cached by size and mtime) and flags the path ' +
      'string when the model rule ONNX001 finds float32 weights worth quantizing (at least 1 MiB in MatMul/Gemm/Conv/RNN ' +
      'weights and no quantized operators yet). Where model rules did not run, the same test is made on the summary.',
    whyItCosts:
      'Float32 weights are read from memory on every inference; int8 weights are a quarter of the bytes, and ONNX ' +
      'Runtime\'s integer kernels (DynamicQuantizeMatMul, MatMulInteger) typically run 1.5-3x faster on CPUs with a ' +
      'small accuracy change that you should measure on your data. A smaller model also means more replicas per ' +
      'host and faster cold starts.',
    example: [
      'session = ort.InferenceSession("models/encoder.onnx", providers=["CPUExecutionProvider"])',
    ].join('\n'),
    useInstead: [
      '# quantize once (inference-lens quantize, or onnxruntime.quantization.quantize_dynamic), then:',
      'session = ort.InferenceSession("models/encoder.int8.onnx", providers=["CPUExecutionProvider"])',
    ].join('\n'),
  },
  check,
};
