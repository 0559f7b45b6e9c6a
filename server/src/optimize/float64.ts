/**
 * ONNX003's fix: float64 weights, Constants, Casts and intermediate values become float32; a float64
 * graph input is cast to float32 right after it and a float64 output cast back just before it, so
 * callers keep the model's signature. Safe only where every op computes in the type of its inputs:
 * a graph with a node that picks its own output type (`dtype` attributes, as RandomNormal or EyeLike)
 * or float64 inside a subgraph is left unchanged, with the reason.
 */
import type { onnx } from 'onnx-proto';
import { DataType } from '../onnx/model';
import { nameFactory } from '../quantize/graph';
import { tensorFloats } from '../quantize/tensorData';
import type { Pass, PassContext, PassResult } from './pass';
import { attr, renameValue } from './rewire';

const D = DataType.DOUBLE, F = DataType.FLOAT;

function elemOf(v: onnx.IValueInfoProto): number | undefined {
  return v.type?.tensorType?.elemType ?? undefined;
}

function hasDouble(g: onnx.IGraphProto): boolean {
  return [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])].some((v) => elemOf(v) === D) ||
    (g.initializer ?? []).some((t) => t.dataType === D) ||
    (g.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.t?.dataType === D || (n.opType === 'Cast' && a.name === 'to' && a.i === D) ||
      (a.g && hasDouble(a.g)) || (a.graphs ?? []).some(hasDouble)));
}

function toFloatTensor(t: onnx.ITensorProto): void {
  const raw = t.rawData && t.rawData.length ? Buffer.from(t.rawData) : Buffer.from(Float64Array.from(t.doubleData ?? []).buffer);
  const f = new Float32Array(raw.length / 8);
  for (let i = 0; i < f.length; i++) f[i] = raw.readDoubleLE(i * 8);
  t.dataType = F; t.rawData = new Uint8Array(f.buffer); t.doubleData = [];
}

function run(ctx: PassContext): PassResult {
  const g = ctx.model.graph;
  const doubleInputs = g.inputs.filter((v) => elemOf(v) === D);
  const doubleOutputs = g.outputs.filter((v) => elemOf(v) === D);
  const doubleInits = g.inits.filter((i) => i.dataType === D);
  const touched = g.nodes.filter((n) => (n.opType === 'Cast' && attr(n, 'to')?.i === D) || (n.attribute ?? []).some((a) => a.t?.dataType === D));
  const valueInfos = g.valueInfo.filter((v) => elemOf(v) === D);
  if (!doubleInputs.length && !doubleOutputs.length && !doubleInits.length && !touched.length && !valueInfos.length) return { changed: 0, notes: [] };
  const picksType = g.nodes.find((n) => attr(n, 'dtype') || (n.opType !== 'Cast' && attr(n, 'to')));
  if (picksType) return { changed: 0, notes: [`float64 left as it is: ${picksType.opType} '${picksType.name}' chooses its own output type, so converting around it is not safe`] };
  const inSubgraph = g.nodes.find((n) => (n.attribute ?? []).some((a) => (a.g && hasDouble(a.g)) || (a.graphs ?? []).some(hasDouble)));
  if (inSubgraph) return { changed: 0, notes: [`float64 left as it is: the subgraph of ${inSubgraph.opType} '${inSubgraph.name}' uses it`] };
  const fresh = nameFactory(g);
  for (const i of doubleInits) {
    const src = i.source, prev = i.produce;
    i.dataType = F;
    i.source = undefined;
    i.produce = () => {
      if (src) { const f = tensorFloats(src); return Buffer.from(f.buffer, f.byteOffset, f.byteLength); }
      const b = prev!();
      const f = new Float32Array(b.length / 8);
      for (let k = 0; k < f.length; k++) f[k] = b.readDoubleLE(k * 8);
      return Buffer.from(f.buffer);
    };
  }
  for (const n of touched) {
    for (const a of n.attribute ?? []) {
      if (a.t?.dataType === D) toFloatTensor(a.t);
      if (n.opType === 'Cast' && a.name === 'to' && a.i === D) a.i = F;
    }
  }
  for (const v of valueInfos) v.type!.tensorType!.elemType = F;
  // Boundaries: the signature stays float64, the inside computes in float32.
  const head: onnx.INodeProto[] = [];
  for (const v of doubleInputs) {
    const f32 = fresh(`${v.name}_f32`);
    renameValue(g, v.name!, f32);
    head.push({ opType: 'Cast', domain: '', name: fresh(`Cast_${v.name}_to_f32`), input: [v.name!], output: [f32], attribute: [{ name: 'to', type: 2, i: F }] });
  }
  for (const v of doubleOutputs) {
    const f32 = fresh(`${v.name}_f32`);
    for (const n of g.nodes) n.output = (n.output ?? []).map((o) => (o === v.name ? f32 : o));
    for (const n of g.nodes) n.input = (n.input ?? []).map((x) => (x === v.name ? f32 : x));
    g.nodes.push({ opType: 'Cast', domain: '', name: fresh(`Cast_${v.name}_to_f64`), input: [f32], output: [v.name!], attribute: [{ name: 'to', type: 2, i: D }] });
  }
  // renameValue also renamed graph outputs that were inputs passed through: restore the signature.
  for (const v of doubleInputs) g.outputs.forEach((o) => { if (o.name === `${v.name}_f32`) o.name = v.name; });
  g.nodes.unshift(...head);
  for (const [k, t] of ctx.types) if (t === D) ctx.types.set(k, F);
  for (const v of [...doubleInputs, ...doubleOutputs]) ctx.types.set(v.name!, D); // the signature stays float64
  const changed = doubleInits.length + touched.length + doubleInputs.length + doubleOutputs.length;
  const notes = [`converted ${doubleInits.length} float64 initializer${doubleInits.length === 1 ? '' : 's'} and ${touched.length} Cast/Constant node${touched.length === 1 ? '' : 's'} to float32`];
  if (doubleInputs.length || doubleOutputs.length) notes.push(`kept the float64 signature with ${doubleInputs.length + doubleOutputs.length} boundary Cast${doubleInputs.length + doubleOutputs.length > 1 ? 's' : ''}`);
  return { changed, notes };
}

export const CONVERT_FLOAT64: Pass = { rule: 'ONNX003', title: 'Convert float64 to float32', default: true, run };
