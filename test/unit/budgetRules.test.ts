import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCode, analyzeModelFile } from '../../server/src/engine';
import { initParsers } from '../../server/src/code/treeSitter';
import { mergeConfig, parseConfig } from '../../server/src/config';
import { ModelCache } from '../../server/src/modelRefs';
import { modelResolver } from '../../server/src/cost/resolve';
import { expectedLines } from '../helpers/rules';
import { FIXTURES } from '../helpers/paths';
import { testModel, testModelsDir } from '../helpers/testModels';

const withBudgets = (budgets: Record<string, number>) => mergeConfig(parseConfig({ budgets }, 'test'));

describe('ONNX090 model over budget', () => {
  const file = testModel('mlp_mnist_like.onnx');

  it('fires for each budget exceeded, saying by how much and from what', () => {
    const f = analyzeModelFile(file, withBudgets({ modelBytes: 1e6, p95Ms: 1e-6 })).findings.filter((x) => x.rule === 'ONNX090');
    assert.strictEqual(f.length, 2, f.map((x) => x.message).join('\n'));
    assert.match(f.map((x) => x.message).join('\n'), /p95 latency .* \(estimate\) on c7i\.xlarge exceeds the p95Ms budget/);
    assert.match(f.map((x) => x.message).join('\n'), /weights 2\.1 MB exceeds the modelBytes budget of 1\.0 MB by 1\.1 MB \(\+114%\)/);
    assert.strictEqual(f[0].severity, 'warning');
  });

  it('prefers a measurement when the caller has one', () => {
    const f = analyzeModelFile(file, withBudgets({ p95Ms: 1 }), { p50Ms: 2, p95Ms: 3, inferencesPerSec: 500, basis: 'measured' }).findings;
    assert.match(f.find((x) => x.rule === 'ONNX090')!.message, /^p95 latency 3\.00 ms \(measured\) on c7i\.xlarge exceeds the p95Ms budget of 1\.00 ms by 2\.00 ms \(\+200%\)/);
  });

  it('stays silent without budgets and clears once the budget is met', () => {
    const onnx090 = (c: ReturnType<typeof mergeConfig>) => analyzeModelFile(file, c).findings.filter((x) => x.rule === 'ONNX090');
    assert.deepStrictEqual(onnx090(mergeConfig()), []);
    assert.deepStrictEqual(onnx090(withBudgets({ modelBytes: 1e7, p95Ms: 1e4, costPer1k: 10, monthlyCost: 1e6 })), []);
  });
});

describe('PY090 model load over budget', () => {
  before(initParsers);
  const run = (name: string, budgets: Record<string, number>) => {
    const codeFile = path.join(FIXTURES, 'python', 'PY090', name);
    const text = fs.readFileSync(codeFile, 'utf8');
    const config = withBudgets(budgets);
    const env = modelResolver(codeFile, [testModelsDir()], new ModelCache(), config);
    return { text, findings: analyzeCode(text, 'python', config, env).filter((f) => f.rule === 'PY090') };
  };

  it('fires on every load of a model that exceeds a budget', () => {
    const { text, findings } = run('fires.py', { p95Ms: 1e-6 });
    assert.deepStrictEqual(findings.map((f) => f.range.start.line), expectedLines(text, 'PY090'));
    assert.match(findings[0].message, /^mlp_mnist_like\.onnx: p95 latency .* \(estimate\) on c7i\.xlarge exceeds the p95Ms budget/);
  });

  it('stays silent on look-alikes that load nothing it can price', () => {
    assert.deepStrictEqual(run('clean.py', { p95Ms: 1e-6 }).findings, []);
  });

  it('clears when the budget is met, and without budgets', () => {
    assert.deepStrictEqual(run('fires.py', { p95Ms: 1e5 }).findings, []);
    assert.deepStrictEqual(run('fires.py', {}).findings, []);
  });
});
