import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataType } from '../../server/src/onnx/model';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { readModelBuffer } from '../../server/src/onnx/reader';
import { allNodes } from '../../server/src/rules/onnx/graph';
import { lineOf, renderTextView } from '../../server/src/onnx/textView';
import { assertTextViews } from '../helpers/models';
import { testModelsDir } from '../helpers/testModels';

function build(): ReturnType<typeof readModelBuffer> {
  const body: onnx.IGraphProto = {
    name: 'then_body', node: [node('Neg', ['h'], ['t'])], output: [valueInfo('t', DataType.FLOAT, ['batch', 4])],
  };
  const other: onnx.IGraphProto = { name: 'else_body', node: [node('Identity', ['h'], ['e'])], output: [valueInfo('e', DataType.FLOAT, ['batch', 4])] };
  return readModelBuffer(encodeModel(model({
    nodes: [
      node('Gemm', ['x', 'fc.weight', 'fc.bias'], ['h'], { transB: 1, alpha: 0.5 }),
      node('If', ['cond'], ['y'], { then_branch: { graph: body }, else_branch: { graph: other } }),
      node('MatMulNBits', ['y', 'fc.weight'], ['z'], { bits: 4, block_size: 32 }, { domain: 'com.microsoft' }),
    ],
    initializers: [floatTensor('fc.weight', [4, 8], seededFloats(32, 1)), floatTensor('fc.bias', [4], [1.5, 2, 3, 4])],
    inputs: [valueInfo('x', DataType.FLOAT, ['batch', 8]), valueInfo('cond', DataType.BOOL, [])],
    outputs: [valueInfo('z', DataType.FLOAT, ['batch', null])],
    extraOpsets: { 'com.microsoft': 1 },
  })));
}

describe('text view', () => {
  it('renders the onnx.printer form: header, typed signature, initializers by type and shape, one node per line', () => {
    const m = build();
    const v = renderTextView(m);
    const lines = v.text.split('\n');
    assert.strictEqual(lines[0], '<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1], producer_name: "inference-lens">');
    assert.strictEqual(v.headerLine, 0);
    assert.deepStrictEqual(lines.slice(1, 9), [
      'graph (', '   float[batch,8] x,', '   bool[] cond', ') => (', '   float[batch,?] z', ')', '<', '   float[4,8] fc.weight,   # 128 B',
    ]);
    assert.ok(v.text.includes('h = Gemm <transB = 1, alpha = 0.5> (x, fc.weight, fc.bias)'));
    assert.ok(v.text.includes('z = com.microsoft.MatMulNBits <bits = 4, block_size = 32> (y, fc.weight)'));
    // The subgraph is nested and indented below its node.
    const ifLine = v.nodeLines.get(m.graph.nodes[1])!;
    assert.strictEqual(lines[ifLine], '   y = If (cond)');
    assert.strictEqual(lines[ifLine + 1], '      # then_branch:');
    assert.strictEqual(lines[ifLine + 2], '      then_body (');
    // Weights never appear, only their type and shape.
    assert.ok(!v.text.includes('1.5'));
  });

  it('maps every node, initializer, input and output to its line, and each line back', () => {
    const m = build();
    const v = renderTextView(m);
    const lines = v.text.split('\n');
    for (const { node: n } of allNodes(m)) {
      const line = v.nodeLines.get(n)!;
      assert.ok(lines[line].trim().startsWith(`${n.outputs[0]} = `), lines[line]);
      assert.strictEqual(v.lineNodes[line], n);
    }
    assert.match(lines[lineOf(v, { kind: 'tensor', name: 'fc.bias' })], /float\[4\] fc\.bias/);
    assert.match(lines[lineOf(v, { kind: 'tensor', name: 'x' })], /float\[batch,8\] x/);
    assert.match(lines[lineOf(v, { kind: 'tensor', name: 'h' })], /^ {3}h = Gemm/); // a value → its producer
    assert.strictEqual(lineOf(v, { kind: 'graph' }), 0);
    assert.strictEqual(v.lineCount, lines.length - 1);
  });

  it('quotes names the ONNX parser does not take bare', () => {
    const m = readModelBuffer(encodeModel(model({
      nodes: [node('Relu', ['in put'], ['907'])], inputs: [valueInfo('in put', DataType.FLOAT, [1])], outputs: [valueInfo('907', DataType.FLOAT, [1])],
    })));
    assert.ok(renderTextView(m).text.includes('"907" = Relu ("in put")'));
  });

  it('renders every in-repository test model with one line per node and no weight data', () => {
    assertTextViews(fs.readdirSync(testModelsDir()).filter((x) => x.endsWith('.onnx')).map((f) => path.join(testModelsDir(), f)));
  });

  it('reads negative int attributes exactly (10-byte varints: axis = -1 is not 0)', () => {
    const m = readModelBuffer(encodeModel(model({
      nodes: [node('Softmax', ['x'], ['y'], { axis: -1 }), node('Concat', ['y', 'x'], ['z'], { axis: -9007199254740991 })],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 4])], outputs: [valueInfo('z', DataType.FLOAT, [2, 4])],
    })));
    assert.deepStrictEqual(m.graph.nodes[0].attributes.get('axis'), { kind: 'int', value: -1 });
    assert.deepStrictEqual(m.graph.nodes[1].attributes.get('axis'), { kind: 'int', value: -9007199254740991 });
    assert.ok(renderTextView(m).text.includes('y = Softmax <axis = -1> (x)'));
  });

  it('keeps small Constant values readable (shape constants) and elides large ones', () => {
    const m = readModelBuffer(encodeModel(model({
      nodes: [
        node('Constant', [], ['shape'], { value: { name: 'shape', dataType: DataType.INT64, dims: [2], rawData: new Uint8Array(new BigInt64Array([1n, -1n]).buffer) } }),
        node('Constant', [], ['big'], { value: floatTensor('big', [16], seededFloats(16, 2)) }),
        node('Reshape', ['x', 'shape'], ['r']), node('Add', ['r', 'big'], ['y']),
      ],
      inputs: [valueInfo('x', DataType.FLOAT, [4, 4])], outputs: [valueInfo('y', DataType.FLOAT, [1, 16])],
    })));
    const text = renderTextView(m).text;
    assert.ok(text.includes('shape = Constant <value = int64[2] {1,-1}> ()'), text);
    assert.ok(text.includes('big = Constant <value = float[16] {…}> ()'), text);
  });
});

describe('onnx-text grammar and language contribution', () => {
  const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
  const grammar = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'syntaxes', 'onnx-text.tmLanguage.json'), 'utf8'));

  it('is registered in package.json with its language configuration', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'onnx-text');
    assert.ok(lang && fs.existsSync(path.join(REPO_ROOT, lang.configuration)));
    const g = pkg.contributes.grammars.find((x: { language: string }) => x.language === 'onnx-text');
    assert.strictEqual(g.scopeName, grammar.scopeName);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, g.path)));
  });

  it('has patterns that compile and pick out op, namespace, types and attributes of a node line', () => {
    const regexes: Record<string, RegExp> = {};
    for (const [name, rule] of Object.entries<{ match?: string; begin?: string; end?: string }>(grammar.repository)) {
      for (const key of ['match', 'begin', 'end'] as const) if (rule[key]) regexes[`${name}.${key}`] = new RegExp(rule[key]!, 'g');
    }
    const line = '   y = com.microsoft.MatMulNBits <bits = 4, block_size = 32> (x, float[4,8] w)';
    const m = new RegExp(grammar.repository.node.begin).exec(line)!;
    assert.strictEqual(m[1], 'com.microsoft.');
    assert.strictEqual(m[2], 'MatMulNBits');
    const rest = line.slice(m.index + m[0].length); // attributes are matched inside the node region only
    assert.deepStrictEqual([...rest.matchAll(regexes['attribute.match'])].map((x) => x[1]), ['bits', 'block_size']);
    assert.deepStrictEqual([...line.matchAll(regexes['typed-value.match'])].map((x) => x[0]), ['float[4,8]']);
    assert.ok(regexes['comment.match'].test('   float[4] b   # 16 B'));
  });
});
