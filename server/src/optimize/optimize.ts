/**
 * "Optimize model": read the model (structure only), apply every default fix (or the rules named
 * with `only`) in an order where each pass leaves work for the next (folding exposes dead nodes,
 * fusions need clean chains), write a new file beside the original and say what each pass did.
 * The caller runs the A/B (outputs, size, session creation, p50) on the result.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Dim, ModelInfo } from '../onnx/model';
import { readModelFile } from '../onnx/reader';
import { inferShapes } from '../onnx/shapes';
import { dimExpression } from '../onnx/dims';
import { modelFiles, modelSize } from '../quantize/convert';
import { toWModel, WModel } from '../quantize/graph';
import { writeModel } from '../quantize/writer';
import { FOLD_CONSTANTS } from './constantFold';
import { REMOVE_DEAD_NODES } from './deadNodes';
import { MERGE_DUPLICATE_INITIALIZERS } from './duplicateInitializers';
import { EXTERNAL_DATA } from './externalData';
import { CONVERT_FLOAT64 } from './float64';
import { FUSE_ATTENTION } from './fuseAttention';
import { FUSE_GELU } from './fuseGelu';
import { FUSE_FAST_GELU } from './fuseFastGelu';
import { FUSE_LAYER_NORM } from './fuseLayerNorm';
import { FUSE_SKIP_LAYER_NORM } from './fuseSkipLayerNorm';
import type { Evaluator, Pass, PassContext } from './pass';
import { PIN_DIMS } from './pinDims';
import { UPGRADE_OPSET } from './upgradeOpset';
import { REMOVE_REDUNDANT_OPS } from './redundantOps';
import { DROP_UNUSED_INITIALIZERS } from './unusedInitializers';

/** In the order they run. The opset upgrade goes first (LayerNorm fusion needs 17). Dead nodes go first and again after folding and fusion, which leave some behind. */
export const PASSES: Pass[] = [
  UPGRADE_OPSET, CONVERT_FLOAT64, REMOVE_DEAD_NODES, REMOVE_REDUNDANT_OPS, FOLD_CONSTANTS, REMOVE_REDUNDANT_OPS, FUSE_LAYER_NORM, FUSE_GELU, FUSE_FAST_GELU, FUSE_ATTENTION,
  REMOVE_DEAD_NODES, MERGE_DUPLICATE_INITIALIZERS, DROP_UNUSED_INITIALIZERS, PIN_DIMS, EXTERNAL_DATA,
];

/** Rules with a fix here. */
export const FIXABLE_RULES = [...new Set(PASSES.map((p) => p.rule))].sort();

export interface OptimizeOptions {
  /** Rule ids whose fixes to apply (default: every default pass). */
  only?: string[];
  /** Output file (default: beside the input, <name>.opt.onnx). */
  out?: string;
  /**
   * Also fuse residual Add + LayerNormalization into com.microsoft SkipLayerNormalization (with
   * ONNX009). Off by default: onnxruntime-node 1.30's CPU kernel ran 3-4x slower than Add +
   * LayerNormalization here (bench/optimize.ts part 3); it is meant for GPU execution providers.
   */
  skipLayerNorm?: boolean;
  dims?: Record<string, number>;
  /** Constant folding runs models through this (onnxruntime-node in a child); without it folding is skipped. */
  evaluate?: Evaluator;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface PassSummary { rule: string; title: string; changed: number; notes: string[] }

export interface OptimizeSummary {
  input: string;
  output: string;
  dataFile?: string;
  passes: PassSummary[];
  nodesBefore: number;
  nodesAfter: number;
  opsBefore: Record<string, number>;
  opsAfter: Record<string, number>;
  bytesBefore: number;
  bytesAfter: number;
  seconds: number;
}

export function defaultOptimizedPath(input: string, only?: string[]): string {
  const p = path.parse(input);
  const tag = only?.length === 1 ? only[0].toLowerCase() : 'opt';
  return path.join(p.dir, `${p.name}.${tag}.onnx`);
}

/** The passes to run for `only` (validated), or the default set. */
export function selectPasses(only?: string[]): Pass[] {
  if (!only?.length) return PASSES.filter((p) => p.default);
  const ids = only.map((r) => r.trim().toUpperCase());
  for (const id of ids) {
    if (!FIXABLE_RULES.includes(id)) throw new Error(`no fix for '${id}': the rules with one are ${FIXABLE_RULES.join(', ')}`);
  }
  return PASSES.filter((p) => ids.includes(p.rule));
}

function opCounts(m: WModel): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of m.graph.nodes) { const k = `${n.domain ? n.domain + '.' : ''}${n.opType}`; c[k] = (c[k] ?? 0) + 1; }
  return c;
}

/** Types, ranks and shapes from our shape inference, at the dims used and at a second, different assignment. */
export function typesAndShapes(src: ModelInfo, dims: Record<string, number>): Pick<PassContext, 'types' | 'ranks' | 'shapes' | 'altShapes'> {
  const first = inferShapes(src, dims);
  const out = { types: new Map<string, number>(), ranks: new Map<string, number>(), shapes: new Map<string, Dim[]>(), altShapes: new Map<string, Dim[]>() };
  for (const [name, v] of first.values) {
    if (v.elemType) out.types.set(name, v.elemType);
    if (v.shape) { out.ranks.set(name, v.shape.length); out.shapes.set(name, v.shape); }
  }
  // Every free dim one larger (pinned ones stay; expressions follow their terms): values equal at both assignments are equal at all.
  const alt = Object.fromEntries(Object.entries(first.dimsUsed).filter(([k]) => !dimExpression(k)).map(([k, v]) => [k, dims[k] ?? v + 1]));
  try {
    for (const [name, v] of inferShapes(src, alt).values) if (v.shape) out.altShapes.set(name, v.shape);
  } catch { /* no second assignment: passes that need it stay off */ }
  return out;
}

export async function optimizeModel(input: string, o: OptimizeOptions = {}): Promise<OptimizeSummary> {
  const t0 = performance.now();
  const passes = selectPasses(o.only);
  if (o.skipLayerNorm) passes.splice(passes.indexOf(FUSE_GELU) + 1 || passes.length, 0, FUSE_SKIP_LAYER_NORM);
  const src = readModelFile(input);
  if (src.problems.length) throw new Error(`${path.basename(input)} cannot be optimized: ${src.problems[0].message}`);
  const out = path.resolve(o.out ?? defaultOptimizedPath(input, o.only));
  const originals = new Set(modelFiles(src).map((f) => path.resolve(f)));
  if (originals.has(out) || originals.has(`${out}.data`)) throw new Error(`refusing to write ${out}: it is the original model (or its data); choose another --out`);
  const w = toWModel(src);
  const ctx: PassContext = { model: w, dims: o.dims ?? {}, evaluate: o.evaluate, ...typesAndShapes(src, o.dims ?? {}) };
  const opsBefore = opCounts(w);
  const nodesBefore = w.graph.nodes.length;
  const summary: PassSummary[] = [];
  ctx.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-lens-optimize-'));
  try {
    for (const p of passes) {
      o.signal?.throwIfAborted();
      o.onProgress?.(`${p.rule}: ${p.title}`);
      const r = await p.run(ctx);
      const seen = summary.find((s) => s.rule === p.rule && s.title === p.title);
      if (seen) { seen.changed += r.changed; seen.notes.push(...r.notes); } else summary.push({ rule: p.rule, title: p.title, ...r });
    }
  } finally {
    fs.rmSync(ctx.tmpDir, { recursive: true, force: true });
  }
  o.onProgress?.(`writing ${path.basename(out)}`);
  const sourceHadExternal = src.graph.initializers.some((t) => t.location?.external);
  const res = await writeModel(w, out, { externalData: ctx.externalData ? true : 'auto', sourceHadExternal, signal: o.signal });
  return {
    input: path.resolve(input), output: res.file, dataFile: res.dataFile, passes: summary,
    nodesBefore, nodesAfter: w.graph.nodes.length, opsBefore, opsAfter: opCounts(w),
    bytesBefore: modelSize(src), bytesAfter: res.bytes, seconds: (performance.now() - t0) / 1000,
  };
}
