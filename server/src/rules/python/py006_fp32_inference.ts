import type { Finding, Fix, PythonContext, PythonRule } from '../types';
import { Binding, LocalBinding, usedForInference, loaderHasKeyword, modelFacts } from '../../code/python/models';
import { nodeRange } from '../helpers';
import { requestContext } from '../../code/python/serving';
import { enclosingClass, enclosingLoop, keywordArg } from '../../code/python/semantics';
import { appendArguments, ensureImport, insertAfter, ownLineStatement } from './fixes';

/** The file already chooses a precision somewhere: trust it. */
/** Convolutional families: their cost is not in Linear layers. */
const CONV_FAMILIES = /ResNet|ConvNext|RegNet|MobileNet|EfficientNet|Yolo|Detr|UNet|VGG|DenseNet/i;

/** Diffusion pipelines: fp16 is their standard precision on a GPU (half the memory, about twice the speed). */
const DIFFUSERS = /^diffusers\.\w*Pipeline\w*\.from_pretrained$/;

function linearHeavy(facts: ReturnType<typeof modelFacts>, b: Binding): boolean {
  if (b.kind === 'hf-model') {
    // A workspace class with a transformers base (`BertForNER.from_pretrained`): its own layers decide.
    const own = facts.moduleClasses.get(b.loader.replace(/\.from_pretrained$/, ''));
    if (own) return own.linearHeavy;
    return b.loader.startsWith('transformers.') && !CONV_FAMILIES.test(b.loader);
  }
  if (b.kind === 'pipeline') return DIFFUSERS.test(b.loader) && facts.usesAccelerator;
  if (b.kind === 'encoder') return b.loader.endsWith('.SentenceTransformer');
  return b.kind === 'torch' && !!facts.moduleClasses.get(b.loader)?.linearHeavy;
}

function check(ctx: PythonContext): Finding[] {
  const facts = modelFacts(ctx.module);
  if (facts.trains || ctx.module.context.flags.precisionChosen) return [];
  const findings: Finding[] = [];
  for (const b of usedForInference(ctx.module, facts, true)) {
    if (!linearHeavy(facts, b) || loaderHasKeyword(b.call, 'model_kwargs')) continue;
    // Remote code (ChatGLM, Qwen, ...) builds its layers in the dtype its config names, often float16 already.
    if (keywordArg(b.call, 'trust_remote_code')?.text === 'True') continue;
    // A backbone inside a torch module class is a part: the precision is chosen where the whole model is.
    const cls = /^self\./.test(b.key) ? enclosingClass(b.call)?.childForFieldName('name')?.text : undefined;
    if (cls && facts.moduleClasses.has(cls)) continue;
    // Loaded per request or per item: PY001's finding comes first; precision follows once the load is hoisted.
    if (requestContext(ctx.module, b.call) || enclosingLoop(b.call)) continue;
    const gpu = facts.usesAccelerator;
    findings.push({
      rule: PY006.id,
      message: `\`${b.key}\` runs in float32: its cost is in Linear layers, which run ${gpu ? '2-4x faster in float16/bfloat16 on a GPU with half the memory' : 'about 2x faster with int8 dynamic quantization on a CPU at a quarter of the weight size'}. ` +
        'Check accuracy on your data, then switch.',
      range: nodeRange(b.call.childForFieldName('function') ?? b.call),
      fixes: fixesFor(ctx, b, gpu),
    });
  }
  return findings;
}

function fixesFor(ctx: PythonContext, b: LocalBinding, gpu: boolean): Fix[] {
  const torch = ensureImport(ctx.module, 'torch');
  const stmt = ownLineStatement(ctx.text, b.call);
  if (gpu) {
    if (b.kind === 'hf-model' || b.kind === 'pipeline') {
      const edit = appendArguments(b.call, `torch_dtype=${torch.name}.float16`);
      return edit ? [{ title: 'Load in float16 (`torch_dtype=torch.float16`)', edits: [...torch.edits, edit] }] : [];
    }
    return stmt ? [{ title: `Convert \`${b.key}\` to float16 (\`.half()\`)`, edits: [insertAfter(ctx.text, stmt, `${b.key}.half()`)] }] : [];
  }
  if (!stmt) return [];
  return [{
    title: `Quantize \`${b.key}\`'s Linear layers to int8 (quantize_dynamic)`,
    edits: [...torch.edits, insertAfter(ctx.text, stmt,
      `${b.key} = ${torch.name}.ao.quantization.quantize_dynamic(${b.key}, {${torch.name}.nn.Linear}, dtype=${torch.name}.qint8)`)],
  }];
}

export const PY006: PythonRule = {
  id: 'PY006',
  name: 'fp32-linear-heavy-inference',
  target: 'python',
  defaultSeverity: 'information',
  docs: {
    summary: 'A Linear-heavy model (transformer, sentence encoder, MLP) serves in float32 where lower precision would do.',
    whatItDoes:
      'Flags transformers models, sentence-transformers encoders and nn.Module classes built from Linear layers that are ' +
      'loaded without a dtype and used for inference in a file that never chooses a precision (no `torch_dtype`, `.half()`, ' +
      'autocast, bitsandbytes or `quantize_dynamic`). The quick fix fits the device the file uses: `torch_dtype=torch.float16` ' +
      '(or `.half()`) when it runs on a GPU, `torch.ao.quantization.quantize_dynamic` on a CPU. Convolutional families ' +
      '(ResNet, ConvNeXt, YOLO...) are left alone, and so are `trust_remote_code` loads (their code picks the dtype from the ' +
      'config) and backbones loaded inside a model class (the whole model is where precision is chosen). Diffusers ' +
      'pipelines loaded without `torch_dtype` in a GPU file are flagged too: float16 is their standard precision there.',
    whyItCosts:
      'Transformer inference is dominated by matrix multiplies over the weights. In float16/bfloat16 tensor cores run them ' +
      '2-4x faster and the weights take half the memory (so twice the batch or replicas per GPU). On CPUs, int8 dynamic ' +
      'quantization of Linear layers typically gives ~2x throughput and 4x smaller weights, usually within a fraction ' +
      'of a point of accuracy. Float32 pays the full price for precision inference rarely needs.',
    example: [
      'model = AutoModelForSequenceClassification.from_pretrained(NAME).to("cuda")',
    ].join('\n'),
    useInstead: [
      'model = AutoModelForSequenceClassification.from_pretrained(NAME, torch_dtype=torch.float16).to("cuda")',
      '',
      '# CPU serving:',
      'model = AutoModelForSequenceClassification.from_pretrained(NAME)',
      'model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)',
    ].join('\n'),
  },
  check,
};
