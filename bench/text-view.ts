/**
 * Text view of a 100k-node model: renderTextView vs JSON.stringify of the same node list (the
 * cheapest way to turn the graph into text, measured in the same run), and vs Python's onnx.printer
 * (or onnx.helper.printable_graph on onnx < 1.13) on the same file when python3-onnx is installed.
 * Prints a table of medians and ratios; no assertion on absolute times.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../server/src/onnx/builder';
import { DataType } from '../server/src/onnx/model';
import { readModelFile } from '../server/src/onnx/reader';
import { renderTextView } from '../server/src/onnx/textView';
import { time } from './lib/timing';

const NODES = Number(process.env.NODES ?? 100_000);

/** A deep residual MLP-like chain: MatMul, Add, Relu, LayerNorm-ish ops with attributes, shared small weights. */
function buildLarge(file: string): void {
  const nodes = [];
  let prev = 'x';
  for (let i = 0; nodes.length < NODES; i++) {
    nodes.push(node('MatMul', [prev, `w${i % 16}`], [`mm${i}`]));
    nodes.push(node('Add', [`mm${i}`, `b${i % 16}`], [`add${i}`]));
    nodes.push(node('Relu', [`add${i}`], [`relu${i}`]));
    nodes.push(node('Softmax', [`relu${i}`], [`sm${i}`], { axis: -1 }));
    prev = `sm${i}`;
  }
  const initializers = [];
  for (let k = 0; k < 16; k++) initializers.push(floatTensor(`w${k}`, [64, 64], seededFloats(4096, k)), floatTensor(`b${k}`, [64], seededFloats(64, 100 + k)));
  fs.writeFileSync(file, encodeModel(model({
    nodes: nodes.slice(0, NODES), initializers, inputs: [valueInfo('x', DataType.FLOAT, ['batch', 64])],
    outputs: [valueInfo(nodes[Math.min(NODES, nodes.length) - 1].output![0], DataType.FLOAT, ['batch', 64])],
  })));
}

const PY = `
import sys, time, onnx
m = onnx.load(sys.argv[1])
try:
    from onnx import printer
    fn, name = (lambda: printer.to_text(m)), 'onnx.printer.to_text'
except ImportError:
    fn, name = (lambda: onnx.helper.printable_graph(m.graph)), 'onnx.helper.printable_graph (onnx ' + onnx.__version__ + ' has no onnx.printer)'
ts = []
for _ in range(3):
    t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
print(name); print(sorted(ts)[1])
`;

function python(file: string): { name: string; ms: number } | undefined {
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', PY, file], { encoding: 'utf8', timeout: 600_000 });
    if (r.status === 0) {
      const [name, ms] = r.stdout.trim().split('\n');
      return { name, ms: Number(ms) };
    }
  }
  return undefined;
}

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'il-bench-')), 'large.onnx');
buildLarge(file);
const m = readModelFile(file);
const nodes = m.graph.nodes;
const render = time(() => renderTextView(m));
const json = time(() => JSON.stringify(nodes.map((n) => ({ ...n, attributes: Object.fromEntries(n.attributes) }))));
const view = renderTextView(m);
const py = python(file);

const rows: Array<[string, number]> = [
  [`renderTextView (${nodes.length} nodes → ${view.lineCount} lines, ${(view.text.length / 1e6).toFixed(1)} MB, line map)`, render],
  ['baseline: JSON.stringify of the same node list', json],
];
if (py) rows.push([`python3 ${py.name} on the same file`, py.ms]);
console.log(`text view, ${nodes.length} nodes (${(fs.statSync(file).size / 1e6).toFixed(1)} MB file); median ms`);
console.log('| what | ms | ratio vs renderTextView |');
console.log('| --- | ---: | ---: |');
for (const [what, ms] of rows) console.log(`| ${what} | ${ms.toFixed(1)} | ${(ms / render).toFixed(2)}× |`);
if (!py) console.log('(python3-onnx not installed: Python baseline skipped)');
fs.rmSync(path.dirname(file), { recursive: true, force: true });
