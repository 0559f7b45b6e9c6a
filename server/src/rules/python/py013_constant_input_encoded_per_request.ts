import type { Node } from 'web-tree-sitter';
import type { Finding, PythonContext, PythonRule } from '../types';
import { enclosingFunction, enclosingLoop, keywordArg, methodName, positionalArgs, qualifiedCallee, receiver } from '../../code/python/semantics';
import type { PythonModule } from '../../code/python/semantics';
import { bindingOf, mentions, modelFacts, ModelFacts } from '../../code/python/models';
import { requestContext, whereItRuns } from '../../code/python/serving';
import { isLiteral } from '../../code/python/units';
import { nodeRange } from '../helpers';

/** Tokenizer methods that turn text into ids (decoding is left alone: its input is ids). */
const ENCODE = new Set(['__call__', 'encode', 'encode_plus', 'batch_encode_plus', 'tokenize', 'convert_tokens_to_ids']);
/** Library tokenizers called as functions. */
const TOKENIZE_FUNCTIONS = /^(clip\.tokenize|open_clip\.tokenize)$/;

/**
 * The text a call encodes, when the call is a tokenizer's: `tok(x)`, `tok.encode(x)`, `processor(text=x)`,
 * `clip.tokenize(x)`. Undefined for any other call.
 */
function encodedText(mod: PythonModule, facts: ModelFacts, call: Node): Node | undefined {
  // Most calls name no tokenizer at all: a text test on the callee before resolving anything.
  const callee = mod.calleeText.get(call.id) ?? '';
  if (!/tokeniz/i.test(callee) && !mentions(callee, facts.keyTails)) return undefined;
  const q = qualifiedCallee(mod, call) ?? '';
  const text = (): Node | undefined => keywordArg(call, 'text') ?? positionalArgs(call)[0];
  if (TOKENIZE_FUNCTIONS.test(q)) return text();
  const direct = bindingOf(mod, facts, call.childForFieldName('function'));
  if (direct) return direct.kind === 'tokenizer' ? text() : undefined;
  const m = methodName(call);
  if (!m || !ENCODE.has(m)) return undefined;
  const b = bindingOf(mod, facts, receiver(call));
  return b?.kind === 'tokenizer' ? text() : undefined;
}

/** A value no request can change: a literal, a module-level constant, or a local bound once to a literal before the call. */
function isConstant(mod: PythonModule, value: Node, fn: Node | undefined): boolean {
  if (isLiteral(value)) return true;
  if (value.type !== 'identifier') return false;
  if (fn) {
    const assigned = fn.descendantsOfType(['assignment', 'augmented_assignment']).filter((a) => !!a && a.childForFieldName('left')?.text === value.text);
    if (assigned.length) {
      const only = assigned[0]!, right = only.childForFieldName('right')!;
      // `texts = []` filled by `texts.append(...)` is built per call, not a constant.
      const mutated = new RegExp(`\\b${value.text}\\.(append|extend|insert|update|add)\\(`).test(fn.text);
      return assigned.length === 1 && only.type === 'assignment' && only.startIndex < value.startIndex && isLiteral(right) && right.namedChildCount + (right.type === 'string' ? 1 : 0) > 0 && !mutated;
    }
    const params = fn.childForFieldName('parameters')?.descendantsOfType('identifier').some((p) => p?.text === value.text);
    if (params) return false;
  }
  return mod.context.literalNames.has(value.text) && !mod.context.factories.has(value.text);
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  if (!facts.keyTails.length) return [];
  const findings: Finding[] = [];
  for (const call of ctx.module.calls) {
    const text = encodedText(ctx.module, facts, call);
    if (!text) continue;
    const fn = enclosingFunction(call);
    if (!isConstant(ctx.module, text, fn)) continue;
    const loop = enclosingLoop(call);
    const req = requestContext(ctx.module, call);
    if (!req && !loop) continue;
    const where = whereItRuns(req);
    const shown = text.text.length > 40 ? `${text.text.slice(0, 37)}...` : text.text;
    findings.push({
      rule: PY013.id,
      message: `The constant \`${shown}\` is tokenized ${where}: the ids never change. Encode it once at start-up and reuse them.`,
      range: nodeRange(call.childForFieldName('function') ?? call),
    });
  }
  return findings;
}

export const PY013: PythonRule = {
  id: 'PY013',
  name: 'constant-input-encoded-per-request',
  target: 'python',
  defaultSeverity: 'information',
  docs: {
    summary: 'A constant text (a literal, a module-level prompt or label list) is tokenized on every request or loop iteration.',
    whatItDoes:
      'Flags tokenizer calls (`tokenizer(x)`, `tokenizer.encode(x)`, `encode_plus`, `tokenize`, `processor(text=x)`, ' +
      '`clip.tokenize(x)`) whose text is a constant (a string or a list of strings written in the code, a module-level ' +
      'constant, or a local bound once to a literal) when they run on the request path (a handler, or anything a handler ' +
      'calls) or inside a loop. Text that comes from the request, a parameter or anything computed is not flagged.',
    whyItCosts:
      'Tokenizing is CPU work on the request\'s critical path: a long system prompt or a list of hundreds of class labels ' +
      'costs from tens of microseconds to milliseconds per call (more with slow tokenizers, and it holds the GIL), and it ' +
      'gives the same ids every time. Encoding a constant label list for zero-shot classification per request also runs ' +
      'the text tower again when its embeddings are computed from those ids.',
    example: [
      'SYSTEM = "You are a helpful assistant."',
      '',
      '@app.post("/chat")',
      'def chat(req: Chat):',
      '    system_ids = tokenizer.encode(SYSTEM)',
      '    stop_ids = tokenizer.encode("<|im_end|>")',
      '    ids = system_ids + tokenizer.encode(req.text)',
      '    return generate(ids, eos_token_id=stop_ids)',
    ].join('\n'),
    useInstead: [
      'SYSTEM = "You are a helpful assistant."',
      'SYSTEM_IDS = tokenizer.encode(SYSTEM)          # once, at start-up',
      'STOP_IDS = tokenizer.encode("<|im_end|>")',
      '',
      '@app.post("/chat")',
      'def chat(req: Chat):',
      '    ids = SYSTEM_IDS + tokenizer.encode(req.text)',
      '    return generate(ids, eos_token_id=STOP_IDS)',
    ].join('\n'),
  },
  check,
};
