import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DIST, REPO } from '../helpers/paths';
import { testModel } from '../helpers/testModels';
import { tinyDecoder } from '../helpers/tinyDecoder';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI quantize and compare', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-qcli-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mlp = testModel('mlp_mnist_like.onnx');

  it('quantize --format json: conversion summary and A/B figures', () => {
    const out = path.join(dir, 'mlp.int8.onnx');
    const r = cli('quantize', mlp, '--method', 'int8-dynamic', '--per-channel', '--out', out, '--format', 'json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.conversion.output, out);
    assert.strictEqual(j.conversion.nodesConverted, 2);
    assert.ok(j.conversion.bytesAfter < j.conversion.bytesBefore / 3);
    assert.strictEqual(j.ab.outputs[0].name, 'logits');
    for (const k of ['cosine', 'maxAbsError', 'meanAbsError', 'top1Agreement', 'top5Agreement']) assert.ok(typeof j.ab.outputs[0][k] === 'number', k);
    for (const k of ['p50Ms', 'p95Ms', 'throughput', 'sizeBytes', 'peakRssBytes']) assert.ok(typeof j.ab.perfA[k] === 'number', k);
    assert.match(j.ab.verdict, /ship it|faster but less accurate|not faster on this machine/);
    assert.ok(j.ab.explanation.length > 0);
  });

  it('compare --format json on two models, text by default', () => {
    const out = path.join(dir, 'mlp.fp16.onnx');
    assert.strictEqual(cli('quantize', mlp, '--method', 'fp16', '--out', out, '--no-ab').code, 0);
    const r = cli('compare', mlp, out, '--format', 'json', '--no-bench');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.ab.minCosine > 0.999);
    assert.strictEqual(j.ab.verdict, 'accurate (speed not measured)');
    const t = cli('compare', mlp, out, '--no-bench');
    assert.match(t.stdout, /A\/B mlp_mnist_like\.onnx vs mlp\.fp16\.onnx on 4 synthetic sample\(s\)/);
  });

  it('compare two decoders: judged on the greedy generations from --prompts, --new-tokens steps each', () => {
    const [a, b] = [path.join(dir, 'dec_a.onnx'), path.join(dir, 'dec_b.onnx')];
    fs.writeFileSync(a, tinyDecoder());
    fs.writeFileSync(b, tinyDecoder({ seed: 500 }));
    const prompts = path.join(dir, 'prompts.json');
    fs.writeFileSync(prompts, JSON.stringify([[3, 14, 15], [9, 2, 6, 5, 35]]));
    const r = cli('compare', a, b, '--format', 'json', '--no-bench', '--new-tokens', '3', '--prompts', prompts, '--min-token-agreement', '0');
    assert.strictEqual(r.code, 0, r.stderr);
    const g = JSON.parse(r.stdout).ab.generation;
    assert.deepStrictEqual([g.prompts, g.newTokens, g.perPrompt.map((p: { promptTokens: number }) => p.promptTokens)], [2, 3, [3, 5]]);
    assert.strictEqual(JSON.parse(r.stdout).ab.verdict, 'accurate (speed not measured)', 'goal 0: any agreement is enough');
    fs.writeFileSync(prompts, '[[1, -2]]');
    const bad = cli('compare', a, b, '--no-bench', '--prompts', prompts);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /must hold a JSON list of prompts/);
    fs.writeFileSync(prompts, '[[1, 9999]]');
    const outside = cli('compare', a, b, '--no-bench', '--prompts', prompts);
    assert.strictEqual(outside.code, 1);
    assert.match(outside.stderr, /prompt id 9999 is outside the vocabulary \[0, 64\)/);
  });

  it('exits 2 on usage errors', () => {
    assert.strictEqual(cli('quantize', mlp).code, 2);
    assert.strictEqual(cli('quantize', mlp, '--method', 'int3').code, 2);
    assert.strictEqual(cli('quantize', mlp, '--method', 'int4-weight', '--block-size', '48').code, 2);
    assert.strictEqual(cli('compare', mlp).code, 2);
    assert.strictEqual(cli('quantize', path.join(dir, 'missing.onnx'), '--method', 'fp16').code, 2);
  });
});
