/**
 * Static shapes checked against a real run. ONNX Runtime's profiling trace records the shapes each node's
 * outputs had; with graph optimisation off, its nodes keep the model's names, so every node of the file
 * can be compared with the static inference at the dims the run used. Pure: a model, its inference and a
 * profile's nodes → what agrees, what differs, what could not be compared.
 */
import type { Dim, GraphInfo, ModelInfo, NodeInfo } from '../onnx/model';
import type { ShapeInference } from '../onnx/shapes';
import type { InputDescription, NodeTime } from './types';

export interface ShapeMismatch { node: string; opType: string; output: string; inferred: Array<number | null> | null; run: number[] }

export interface ShapeCheck {
  /** outputs whose static shape equals the shape in the run */
  agreed: number;
  mismatches: ShapeMismatch[];
  /** profiled nodes of the file that were not compared, and why (a body that runs many times, no shapes) */
  skipped: { node: string; why: string }[];
}

/** The dims a run used, by the names the static inference resolves (`batch`, `seq`, `x[2]` for unnamed dims). */
export function dimsOfRun(model: ModelInfo, inputs: readonly InputDescription[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of model.graph.inputs) {
    const ran = inputs.find((x) => x.name === i.name);
    if (!ran || !i.shape || ran.dims.length !== i.shape.length) continue;
    i.shape.forEach((d: Dim, axis: number) => {
      if (typeof d === 'string') out[d] = ran.dims[axis];
      else if (d === null || d < 0) out[`${i.name}[${axis}]`] = ran.dims[axis];
    });
    // A scalar integer input set to a value (a sample rate) is a dim too, but the trace does not tell its value.
  }
  return out;
}

/** Every node of the model by name, with whether it sits in a Loop or Scan body (its shapes may change per iteration). */
function nodesByName(model: ModelInfo): Map<string, { node: NodeInfo; repeated: boolean }> {
  const out = new Map<string, { node: NodeInfo; repeated: boolean }>();
  const walk = (g: GraphInfo, repeated: boolean): void => {
    for (const n of g.nodes) {
      if (n.name && !out.has(n.name)) out.set(n.name, { node: n, repeated });
      for (const a of n.attributes.values()) {
        if (a.kind === 'graph') walk(a.value, repeated || n.opType === 'Loop' || n.opType === 'Scan');
      }
    }
  };
  walk(model.graph, false);
  return out;
}

export function checkShapesAsRun(model: ModelInfo, inf: ShapeInference, profiled: readonly NodeTime[]): ShapeCheck {
  const byName = nodesByName(model);
  const check: ShapeCheck = { agreed: 0, mismatches: [], skipped: [] };
  for (const p of profiled) {
    const found = byName.get(p.name);
    if (!found) continue; // a node ORT made (fusion, layout change): not a node of the file
    if (found.repeated) { check.skipped.push({ node: p.name, why: 'inside a Loop or Scan body' }); continue; }
    if (!p.outputShapes) { check.skipped.push({ node: p.name, why: 'the trace has no shapes for it' }); continue; }
    // ORT lists the outputs that exist, in order; optional outputs left empty are not there.
    const outputs = found.node.outputs.filter(Boolean);
    p.outputShapes.forEach((run, i) => {
      const name = outputs[i];
      if (!name) return;
      const inferred = inf.values.get(name)?.shape ?? null;
      const same = inferred !== null && inferred.length === run.length && inferred.every((d, k) => d === run[k]);
      if (same) check.agreed++;
      else check.mismatches.push({ node: p.name, opType: p.opType, output: name, inferred: inferred as Array<number | null> | null, run });
    });
  }
  return check;
}
