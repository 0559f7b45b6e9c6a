/**
 * Fuzzing the model path: seed models (generated here, plus small real ones from the repository's test
 * models; `npm run fuzz` may name larger ones in ../shared/models), and one case = mutated bytes through
 * the reader and everything after it: shapes, cost, every model rule, the summary, the text view and its
 * line map, node and tensor hovers. A case must end in a result or an OnnxReadError (the engine's
 * ONNX000); anything else is a crash, named by its stage.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { defaultConfig } from '../../server/src/config';
import { nodeHoverMarkdown, tensorHoverMarkdown } from '../../server/src/lsp/modelHover';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { modelCost } from '../../server/src/onnx/cost';
import { DataType, ModelInfo } from '../../server/src/onnx/model';
import { INLINE_LIMIT, OnnxReadError, readModelSource } from '../../server/src/onnx/reader';
import { BufferSource, ByteSource } from '../../server/src/onnx/source';
import { summarize, summaryMarkdown, weightTensors } from '../../server/src/onnx/summary';
import { lineOf, renderTextView } from '../../server/src/onnx/textView';
import { placeOnView } from '../../server/src/rules/onnx/place';
import { modelRules } from '../../server/src/rules/registry';
import type { Finding } from '../../server/src/rules/types';
import { SHARED_MODELS } from './paths';
import { hasTestModel, testModel } from './testModels';
import { mutate, rng } from './mutate';

/** A byte source that fails on any read outside the buffer: the reader must check lengths first. */
export class CheckedSource implements ByteSource {
  private inner: BufferSource;
  maxRead = 0;
  constructor(private readonly buf: Buffer) { this.inner = new BufferSource(buf); }
  get size(): number { return this.buf.length; }
  read(offset: number, length: number): Buffer {
    assert.ok(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.buf.length,
      `read of ${length} bytes at ${offset} outside a ${this.buf.length}-byte file`);
    this.maxRead = Math.max(this.maxRead, length);
    return this.inner.read(offset, length);
  }
  close(): void { /* nothing */ }
}

/** Small models that reach the folding, subgraph, attribute and cost paths. */
export function generatedSeeds(): Buffer[] {
  const F = DataType.FLOAT;
  const mlp = model({
    nodes: [node('MatMul', ['x', 'W1'], ['h']), node('Add', ['h', 'b1'], ['a']), node('Relu', ['a'], ['r']), node('Gemm', ['r', 'W2'], ['y'], { transB: 1, alpha: 1.5 })],
    initializers: [floatTensor('W1', [16, 32], seededFloats(512, 1)), floatTensor('b1', [32], seededFloats(32, 2)), floatTensor('W2', [8, 32], seededFloats(256, 3))],
    inputs: [valueInfo('x', F, ['batch', 16])], outputs: [valueInfo('y', F, ['batch', 8])],
  });
  const shapes = model({
    nodes: [
      node('Shape', ['x'], ['s']), node('Gather', ['s', 'zero'], ['b'], { axis: 0 }), node('Unsqueeze', ['b', 'zero1'], ['bu']),
      node('Concat', ['bu', 'tail'], ['ns'], { axis: 0 }), node('Reshape', ['x', 'ns'], ['xr']),
      node('ConstantOfShape', ['tail'], ['c'], { value: floatTensor('v', [1], [0.5]) }),
      node('Range', ['r0', 'r1', 'r2'], ['rg']), node('Conv', ['img', 'K'], ['conv'], { pads: [1, 1, 1, 1], strides: [1, 1] }),
      node('Transpose', ['xr'], ['t'], { perm: [1, 0] }), node('Split', ['t'], ['t1', 't2'], { axis: 0 }),
      node('Slice', ['s', 'zero1', 'one1'], ['sl']), node('Einsum', ['xr', 'xr'], ['e'], { equation: 'ij,ij->i' }),
    ],
    initializers: [
      int64Tensor('zero', [], [0]), int64Tensor('zero1', [1], [0]), int64Tensor('one1', [1], [1]), int64Tensor('tail', [1], [-1]),
      int64Tensor('r0', [], [0]), int64Tensor('r1', [], [10]), int64Tensor('r2', [], [2]), floatTensor('K', [4, 3, 3, 3], seededFloats(108, 4)),
    ],
    inputs: [valueInfo('x', F, ['n', 4, 4]), valueInfo('img', F, [1, 3, 'h', 'w'])],
    outputs: [valueInfo('xr', F, [null, null]), valueInfo('c', F, [null]), valueInfo('rg', DataType.INT64, [5]), valueInfo('conv', F, [1, 4, 'h', 'w']), valueInfo('t1', F, [null, null]), valueInfo('sl', DataType.INT64, [1]), valueInfo('e', F, [null])],
  });
  const branch = (op: string): import('onnx-proto').onnx.IGraphProto => ({
    name: op, node: [node(op, ['x'], [`o_${op}`])], output: [valueInfo(`o_${op}`, F, ['n'])], input: [], initializer: [],
  });
  const sub = model({
    nodes: [node('ReduceSum', ['x'], ['s'], { keepdims: 0 }), node('Greater', ['s', 'z'], ['cond']),
      node('If', ['cond'], ['y'], { then_branch: { graph: branch('Relu') }, else_branch: { graph: branch('Neg') } })],
    initializers: [floatTensor('z', [], [0])],
    inputs: [valueInfo('x', F, ['n'])], outputs: [valueInfo('y', F, ['n'])],
  });
  return [encodeModel(mlp), encodeModel(shapes), encodeModel(sub)];
}

/**
 * Small real models, read into memory: the in-repository test models by default (a clone alone has them);
 * other names (`npm run fuzz` over larger models) from the shared folder, when it exists.
 */
export function realSeeds(names = ['mlp_mnist_like.onnx', 'silero_vad.onnx', 'mlp_mnist_like_external.onnx']): Buffer[] {
  const pathOf = (n: string): string => (hasTestModel(n) ? testModel(n) : path.join(SHARED_MODELS, n));
  return names.map(pathOf).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
}

export type Outcome = 'error' | 'problems' | 'clean';

export class FuzzCrash extends Error {
  constructor(readonly stage: string, readonly error: unknown) {
    super(`${stage}: ${(error as Error)?.name ?? ''}: ${(error as Error)?.message ?? error}\n${(error as Error)?.stack ?? ''}`);
  }
}

function stage<T>(name: string, fn: () => T): T {
  try { return fn(); } catch (e) { throw e instanceof FuzzCrash ? e : new FuzzCrash(name, e); }
}

/** `file`: the path the model claims to be at (its external data is looked up beside it). */
export function runCase(bytes: Buffer, file: string): Outcome {
  const src = new CheckedSource(bytes);
  let m: ModelInfo;
  try {
    m = readModelSource(src, file);
  } catch (e) {
    if (e instanceof OnnxReadError) return 'error';
    throw new FuzzCrash('read', e);
  }
  stage('read bounds', () => {
    for (const { tensor } of weightTensors(m)) {
      if (tensor.inline) assert.ok(tensor.inline.length <= INLINE_LIMIT);
      const loc = tensor.location;
      if (loc && !loc.external) assert.ok(loc.offset >= 0 && loc.offset + loc.length <= bytes.length, tensor.name);
    }
  });
  const config = defaultConfig();
  const cost = stage('shapes and cost', () => modelCost(m, { batch: 1 }));
  stage('cost is finite', () => assert.ok(Number.isFinite(cost.macs) && Number.isFinite(cost.flops) && Number.isFinite(cost.peakActivationBytes)));
  const findings: Finding[] = [];
  for (const rule of modelRules()) findings.push(...stage(`rule ${rule.id}`, () => rule.check({ model: m, config, cost })));
  const view = stage('text view', () => renderTextView(m));
  stage('placing findings', () => placeOnView(findings, view));
  stage('summary', () => summaryMarkdown('fuzz.onnx', summarize(m)));
  stage('hovers', () => {
    for (const n of m.graph.nodes.slice(0, 8)) { nodeHoverMarkdown(m, n, findings, cost); lineOf(view, { kind: 'node', node: n }); }
    for (const t of m.graph.initializers.slice(0, 8)) lineOf(view, { kind: 'tensor', name: t.name });
    for (const t of m.graph.initializers.slice(0, 8)) tensorHoverMarkdown(m, t.name, findings);
  });
  return m.problems.length ? 'problems' : 'clean';
}

export interface FuzzStats {
  cases: number;
  outcomes: Record<Outcome, number>;
  byMutation: Record<string, number>;
  crashes: { seed: number; stage: string; message: string; bytes: Buffer }[];
  /** Cases over `slowMs` (the long run reports them; tests do not time anything). */
  slow: { seed: number; ms: number; bytes: Buffer }[];
}

export interface FuzzHooks {
  onCrash?: (c: FuzzStats['crashes'][number]) => void;
  onSlow?: (c: FuzzStats['slow'][number]) => void;
  slowMs?: number;
  /** called every 1,000 cases */
  onProgress?: (stats: FuzzStats) => void;
}

/**
 * `cases` seeded cases over `seeds`: each applies 1–3 mutations to a seed. Case `i` depends only on
 * (`seed`, `i`), so any crash replays alone.
 */
export function fuzz(seeds: readonly Buffer[], cases: number, seed: number, file: string, hooks: FuzzHooks = {}): FuzzStats {
  const stats: FuzzStats = { cases: 0, outcomes: { error: 0, problems: 0, clean: 0 }, byMutation: {}, crashes: [], slow: [] };
  for (let i = 0; i < cases; i++) {
    const caseSeed = (seed * 1_000_003 + i) >>> 0;
    const bytes = caseBytes(seeds, caseSeed, stats.byMutation);
    stats.cases++;
    const t0 = performance.now();
    try {
      stats.outcomes[runCase(bytes, file)]++;
    } catch (e) {
      const c = { seed: caseSeed, stage: e instanceof FuzzCrash ? e.stage : 'harness', message: (e as Error).message, bytes };
      stats.crashes.push(c);
      hooks.onCrash?.(c);
    }
    const ms = performance.now() - t0;
    if (hooks.slowMs !== undefined && ms > hooks.slowMs) { const c = { seed: caseSeed, ms, bytes }; stats.slow.push(c); hooks.onSlow?.(c); }
    if (stats.cases % 1000 === 0) hooks.onProgress?.(stats);
  }
  return stats;
}

/** The bytes of one case: a seed model and 1–3 mutations, from `caseSeed` alone. */
export function caseBytes(seeds: readonly Buffer[], caseSeed: number, byMutation: Record<string, number> = {}): Buffer {
  const next = rng(caseSeed);
  let bytes = seeds[Math.floor(next() * seeds.length)];
  const rounds = 1 + Math.floor(next() * 3);
  for (let r = 0; r < rounds; r++) {
    const m = mutate(bytes, next, seeds);
    bytes = m.bytes;
    byMutation[m.kind] = (byMutation[m.kind] ?? 0) + 1;
  }
  return bytes;
}

