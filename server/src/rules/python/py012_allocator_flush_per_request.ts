import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { switchGuard } from '../../code/python/callGraph';
import { enclosingLoop, qualifiedCallee } from '../../code/python/semantics';
import { requestContext, switchesModel, whereItRuns } from '../../code/python/serving';
import { nodeRange } from '../helpers';

const FLUSHES = new Set(['torch.cuda.empty_cache', 'gc.collect', 'torch.mps.empty_cache']);

function check(ctx: PythonContext): Finding[] {
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const q = qualifiedCallee(ctx.module, call);
    if (!q || !FLUSHES.has(q)) continue;
    const req = requestContext(ctx.module, call);
    const loop = enclosingLoop(call);
    if (!req && !loop) continue;
    // Flushing on an error path (out of memory) is a recovery step, not a per-request cost.
    let recovering = false;
    for (let p = call.parent; p && !recovering; p = p.parent) recovering = p.type === 'except_clause';
    if (recovering) continue;
    // Freeing the old model's blocks right before a (re)load that only a model switch triggers.
    if (req?.fn && beforeReload(call, req.fn)) continue;
    if (switchesModel(req)) continue; // an endpoint that swaps the model frees the old one's blocks on purpose
    const where = whereItRuns(req);
    findings.push({
      rule: PY012.id,
      message: `\`${q}()\` runs ${where}: it ${q === 'gc.collect' ? 'walks every Python object (tens of ms with a model loaded)' : 'synchronises the device and returns cached blocks that the next request must allocate again'}. Leave memory to the allocator; cap it with settings instead.`,
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return findings;
}

function beforeReload(call: Node, fn: Node): boolean {
  for (let p = call.parent; p && p.id !== fn.id; p = p.parent) {
    const cond = p.type === 'if_statement' ? p.childForFieldName('condition')?.text ?? '' : '';
    if (cond && ((/\bis\s+None\b/.test(cond) && /model|pipe|session|engine|llm/i.test(cond)) || switchGuard(cond, fn.text))) return true;
  }
  return false;
}

export const PY012: PythonRule = {
  id: 'PY012',
  name: 'allocator-flush-per-request',
  target: 'python',
  defaultSeverity: 'warning',
  docs: {
    summary: '`torch.cuda.empty_cache()` or `gc.collect()` runs on every request or item.',
    whatItDoes:
      'Flags `torch.cuda.empty_cache()`, `torch.mps.empty_cache()` and `gc.collect()` in request handlers (every framework ' +
      'Inference Lens knows), in every function they call (here or in another module of the workspace) and in loop ' +
      'bodies. Calls in `except` blocks (recovery after an out-of-memory error) are not flagged, nor are calls right before ' +
      'a reload that only a model switch or a lazy load triggers (`if name != cache["name"]:`), nor in an endpoint whose ' +
      'purpose is to swap the model (`POST /switch_model`, `def reload_model()`); `finally` blocks run on ' +
      'every request and are.',
    whyItCosts:
      'PyTorch\'s caching allocator keeps freed GPU blocks so that the next request allocates without a `cudaMalloc`. ' +
      '`empty_cache()` synchronises the device and hands those blocks back, so the next request pays `cudaMalloc`/`cudaFree` ' +
      'again (milliseconds, and it serialises with other streams). `gc.collect()` walks every tracked Python object; with a ' +
      'model and its tensors loaded that is tens of milliseconds of held GIL per request.',
    example: [
      '@app.post("/generate")',
      'def generate(req: Prompt):',
      '    out = pipe(req.text)',
      '    torch.cuda.empty_cache()',
      '    return out',
    ].join('\n'),
    useInstead: [
      '@app.post("/generate")',
      'def generate(req: Prompt):',
      '    return pipe(req.text)',
      '',
      '# Memory caps belong in configuration: PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True,',
      '# torch.cuda.set_per_process_memory_fraction(...) at start-up.',
    ].join('\n'),
  },
  check,
};
