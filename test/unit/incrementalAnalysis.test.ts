import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES } from '../helpers/paths';
import { lineChange, randomChange, rng } from '../helpers/edits';
import { applyChanges, ContentChange, DocumentTrees } from '../../server/src/code/incremental';
import { initParsers } from '../../server/src/code/treeSitter';
import { analyzeCode, analyzeTree } from '../../server/src/engine';
import { mergeConfig } from '../../server/src/config';
import { PythonAnalysis } from '../../server/src/code/python/analysis';
import { modelResolver } from '../../server/src/cost/resolve';
import { ModelCache } from '../../server/src/modelRefs';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';

/** Every Python file of the fixtures: the labelled corpus and each rule's fixtures. */
function pythonFixtures(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.py')) out.push(p);
    }
  };
  walk(path.join(FIXTURES, 'corpus', 'python'));
  walk(path.join(FIXTURES, 'python'));
  return out;
}

describe('incremental analysis (unit by unit)', () => {
  before(() => initParsers());
  const config = mergeConfig();

  // One test per fixture file (30 edits each), the totals checked after them: all files in one test ran
  // past its 30 s timeout at load 7.
  let fast = 0, total = 0, analysedUnits = 0, allUnits = 0;
  for (const [n, file] of pythonFixtures().entries()) {
    it(`gives exactly the findings (fixes included) of a fresh analysis after every edit: ${path.relative(FIXTURES, file)}`, () => {
      const next = rng(7000 + n);
      const uri = `file:///${n}.py`;
      const trees = new DocumentTrees();
      const analysis = new PythonAnalysis();
      let text = fs.readFileSync(file, 'utf8');
      analyzeTree(text, trees.treeFor(uri, 'python', text), 'python', config, undefined, analysis);
      for (let i = 0; i < 30; i++) {
        // Whole-line edits (typed statements, deletions, renames) and keystroke-level ones.
        const change: ContentChange = next() < 0.7 ? lineChange(text, next) : randomChange(text, next);
        const after = applyChanges(text, [change])!;
        trees.change(uri, text, [change]);
        text = after;
        const tree = trees.treeFor(uri, 'python', text);
        const got = analyzeTree(text, tree, 'python', config, undefined, analysis);
        // From scratch on the same tree: tree-sitter's error recovery may build a different tree for broken text
        // when it re-parses incrementally than when it parses afresh, and that is not ours to test here.
        assert.deepStrictEqual(got, analyzeTree(text, tree, 'python', config), `${path.relative(FIXTURES, file)} after edit ${i}: ${JSON.stringify(change)}`);
        total++;
        if (!analysis.lastStats.full) {
          fast++;
          analysedUnits += analysis.lastStats.analysed;
          allUnits += analysis.lastStats.units;
        }
      }
      trees.close(uri);
    });
  }

  it('mostly re-analyses one unit', () => {
    console.log(`      ${total} edits: ${fast} incremental, re-analysing ${analysedUnits} of ${allUnits} units`);
    // The property above holds trivially if every edit falls back to a full analysis: make sure most do not.
    assert.ok(fast / total > 0.6, `only ${fast} of ${total} edits were incremental`);
    assert.ok(analysedUnits / allUnits < 0.3, `incremental edits re-analysed ${analysedUnits} of ${allUnits} units`);
  });

  it('re-analyses only the edited unit of a large file, and everything when an import changes', () => {
    const unit = (i: number): string => `\n\n@app.post("/r${i}")\ndef r${i}(req):\n    m = torch.load("m${i}.pt")\n    return m(req.x)\n`;
    let text = 'import torch\nfrom fastapi import FastAPI\n\napp = FastAPI()\n' + Array.from({ length: 200 }, (_, i) => unit(i)).join('');
    const analysis = new PythonAnalysis();
    const trees = new DocumentTrees();
    const first = analyzeTree(text, trees.treeFor('u', 'python', text), 'python', config, undefined, analysis);
    assert.strictEqual(first.filter((f) => f.rule === 'PY001').length, 200);
    const edit = (from: string, to: string): void => {
      const at = text.indexOf(from);
      const before = text.slice(0, at).split('\n');
      const change = { range: { start: { line: before.length - 1, character: before[before.length - 1].length }, end: { line: before.length - 1, character: before[before.length - 1].length + from.length } }, text: to };
      trees.change('u', text, [change]);
      text = applyChanges(text, [change])!;
    };
    edit('m = torch.load("m100.pt")', 'm = torch.load("m100.pt", map_location="cpu")');
    const second = analyzeTree(text, trees.treeFor('u', 'python', text), 'python', config, undefined, analysis);
    assert.deepStrictEqual(analysis.lastStats, { analysed: 1, units: 203, full: false }, JSON.stringify(analysis.lastStats));
    assert.deepStrictEqual(second, analyzeCode(text, 'python', config));
    edit('import torch', 'import torch as T');
    analyzeTree(text, trees.treeFor('u', 'python', text), 'python', config, undefined, analysis);
    assert.strictEqual(analysis.lastStats.full, true);
  });

  describe('rules that read model files', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-incr-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (cols: number): void => {
      const m = model({
        nodes: [node('MatMul', ['x', 'w'], ['y'])], initializers: [floatTensor('w', [512, cols], seededFloats(512 * cols, 3))],
        inputs: [valueInfo('x', DataType.FLOAT, [1, 512])], outputs: [valueInfo('y', DataType.FLOAT, [1, cols])],
      });
      fs.writeFileSync(path.join(dir, 'encoder.onnx'), encodeModel(m));
    };

    it('keep their findings while the model is unchanged and re-check them when it changes', () => {
      write(1024); // 2 MiB of float32 weights: worth quantizing
      const cache = new ModelCache();
      const resolver = (): ReturnType<typeof modelResolver> => modelResolver(path.join(dir, 'serve.py'), [], cache, config);
      let text = 'import onnxruntime as ort\n\nsession = ort.InferenceSession("encoder.onnx", providers=["CPUExecutionProvider"])\n\n\ndef other():\n    return 1\n';
      const analysis = new PythonAnalysis();
      const trees = new DocumentTrees();
      const py011 = (): number => analyzeTree(text, trees.treeFor('m', 'python', text), 'python', config, resolver(), analysis).filter((f) => f.rule === 'PY011').length;
      assert.strictEqual(py011(), 1);
      const change = { range: { start: { line: 6, character: 11 }, end: { line: 6, character: 12 } }, text: '2' };
      trees.change('m', text, [change]);
      text = applyChanges(text, [change])!;
      assert.strictEqual(py011(), 1);
      assert.deepStrictEqual(analysis.lastStats, { analysed: 1, units: 3, full: false });
      // The model shrinks below the threshold: the unchanged code's finding goes away.
      write(8);
      const future = new Date(Date.now() + 5000);
      fs.utimesSync(path.join(dir, 'encoder.onnx'), future, future);
      assert.strictEqual(py011(), 0);
    });
  });
});
