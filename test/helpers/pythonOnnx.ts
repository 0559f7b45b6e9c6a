/**
 * Debian's python3-onnx as an independent oracle: finds a Python that can `import onnx` (or none, and
 * the tests that need it skip), runs onnx.shape_inference on a model with its symbolic input dims
 * fixed to the values our inference used, and runs `onnx.checker.check_model(full_check=True)`.
 */
import { spawnSync } from 'child_process';

let cached: string | null | undefined;

/** A python executable with the onnx package, or null. */
export function pythonWithOnnx(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) { cached = exe; break; }
  }
  return cached;
}

const INFER = `
import json, sys, onnx
from onnx import shape_inference
path, dims = sys.argv[1], json.loads(sys.argv[2])
m = onnx.load(path, load_external_data=False)
inits = {t.name for t in m.graph.initializer}
for i in m.graph.input:
    if i.name in inits: continue
    for axis, d in enumerate(i.type.tensor_type.shape.dim):
        key = d.dim_param if d.dim_param else ('%s[%d]' % (i.name, axis) if not d.HasField('dim_value') else None)
        if key is not None and key in dims:
            d.ClearField('dim_param'); d.dim_value = dims[key]
m = shape_inference.infer_shapes(m, data_prop=True)
out = {}
def walk(g):
    for v in list(g.value_info) + list(g.output):
        t = v.type.tensor_type
        if not t.HasField('shape'): continue
        out[v.name] = {'elemType': t.elem_type, 'shape': [d.dim_value if d.HasField('dim_value') else None for d in t.shape.dim]}
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH: walk(a.g)
            for sg in a.graphs: walk(sg)
walk(m.graph)
print(json.dumps(out))
`;

export interface PyValue { elemType: number; shape: Array<number | null> }

/** onnx.shape_inference's types and shapes of every value it types, with input dims fixed to `dims`. */
export function pythonShapes(python: string, model: string, dims: Record<string, number>): Record<string, PyValue> {
  const r = spawnSync(python, ['-c', INFER, model, JSON.stringify(dims)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python onnx shape inference failed on ${model}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, PyValue>;
}

/** Runs the full checker (with shape inference); returns null when valid, else the checker's message. */
export function checkModel(file: string): string | null {
  const exe = pythonWithOnnx();
  if (!exe) throw new Error('python3-onnx is not installed');
  // On a loaded proto, not the path: onnx 1.12's check_model(path, full_check=True) writes the inferred
  // shapes back into the file, which would change the model a test goes on to analyse.
  const r = spawnSync(exe, ['-c', 'import onnx, sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr.trim().split('\n').pop() ?? 'check failed');
}
