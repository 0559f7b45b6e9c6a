import type { Finding, Fix, PythonContext, PythonRule } from '../types';
import { hasKwargsSplat, keywordArg, positionalArgs, qualifiedCallee } from '../../code/python/semantics';
import { isServingModule } from '../../code/python/serving';
import { modelFacts } from '../../code/python/models';
import { nodeRange, insertionAt } from '../helpers';
import { appendArguments, ensureImport, indentOf, ownLineStatement } from './fixes';
import type { Node } from 'web-tree-sitter';

function check(ctx: PythonContext): Finding[] {
  if (!isServingModule(ctx.module)) return [];
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    if (qualifiedCallee(ctx.module, call) !== 'onnxruntime.InferenceSession') continue;
    if (positionalArgs(call).length >= 2 || hasKwargsSplat(call) || keywordArg(call, 'providers') || keywordArg(call, 'sess_options')) continue;
    findings.push({
      rule: PY007.id,
      message: 'This InferenceSession leaves hardware and threads to defaults: the intra-op pool sizes itself to the host\'s cores, ' +
        'not the container\'s CPU quota or the workers sharing it, and without `providers` a GPU build fails or falls back. ' +
        'Pass `providers` and `SessionOptions` with thread counts.',
      range: nodeRange(call.childForFieldName('function') ?? call),
      fixes: fixFor(ctx, call),
    });
  }
  return findings;
}

function fixFor(ctx: PythonContext, call: Node): Fix[] {
  const stmt = ownLineStatement(ctx.text, call);
  if (!stmt || ctx.module.context.flags.sessOptions) return [];
  const ort = ensureImport(ctx.module, 'onnxruntime', 'ort');
  const gpu = modelFacts(ctx.module).usesAccelerator;
  const providers = gpu ? '["CUDAExecutionProvider", "CPUExecutionProvider"]' : '["CPUExecutionProvider"]';
  const args = appendArguments(call, `sess_options=sess_options, providers=${providers}`);
  if (!args) return [];
  const indent = indentOf(ctx.text, stmt.startPosition.row);
  return [{
    title: 'Add providers and SessionOptions with thread counts',
    edits: [...ort.edits, {
      range: insertionAt(stmt.startPosition.row),
      newText: `${indent}sess_options = ${ort.name}.SessionOptions()\n` +
        `${indent}sess_options.intra_op_num_threads = 1  # the CPUs one worker gets: CPU quota / workers, not the host's cores\n` +
        `${indent}sess_options.inter_op_num_threads = 1\n`,
    }, args],
  }];
}

export const PY007: PythonRule = {
  id: 'PY007',
  name: 'ort-session-default-options',
  target: 'python',
  defaultSeverity: 'information',
  docs: {
    summary: 'An ONNX Runtime `InferenceSession` in serving code has neither `providers` nor `SessionOptions`.',
    whatItDoes:
      'Flags `onnxruntime.InferenceSession(path)` with no `providers`, no `sess_options` (keyword or positional) and no `**kwargs`, ' +
      'in a file that serves requests (a handler of any supported framework, or a serving framework import). ' +
      'Explicit `providers` alone is fine.',
    whyItCosts:
      'ONNX Runtime sizes its intra-op thread pool to the cores it sees, which in a container is the host\'s, not the CPU ' +
      'quota: with several workers per pod the threads oversubscribe the quota, get throttled, and p95 latency climbs. On a ' +
      'GPU build, a session without `providers` fails (ORT >= 1.9 requires them) or runs on the CPU, paying for a GPU ' +
      'that idles.',
    example: [
      'session = ort.InferenceSession("model.onnx")',
    ].join('\n'),
    useInstead: [
      'opts = ort.SessionOptions()',
      'opts.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))',
      'opts.inter_op_num_threads = 1',
      'session = ort.InferenceSession("model.onnx", sess_options=opts, providers=["CPUExecutionProvider"])',
    ].join('\n'),
  },
  check,
};
