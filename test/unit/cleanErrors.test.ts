/**
 * Errors a user reads are one clear line (what failed, on which file, what to do), never a stack trace,
 * unless --debug asks for it. Runs the built CLI (dist/cli.js) as a user would.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeFailure, hintFor, lastWords, oneLine, STACK_LINE } from '../../server/src/errors';
import { OnnxReadError } from '../../server/src/onnx/reader';
import { encodeModel, floatTensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';
import { DIST, REPO } from '../helpers/paths';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, INFERENCE_LENS_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last stderr line (progress lines come before it). */
const last = (s: string): string => s.trim().split('\n').pop() ?? '';

describe('clean errors (CLI and messages)', function () {
  this.timeout(60_000);
  let dir: string, good: string, corrupt: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-errors-'));
    good = path.join(dir, 'good.onnx');
    fs.writeFileSync(good, encodeModel(model({
      nodes: [node('MatMul', ['x', 'W'], ['y'])], initializers: [floatTensor('W', [128, 128], seededFloats(128 * 128, 1))],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 128])], outputs: [valueInfo('y', DataType.FLOAT, [1, 128])],
    })));
    corrupt = path.join(dir, 'corrupt.onnx');
    fs.writeFileSync(corrupt, fs.readFileSync(good).subarray(0, 200));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a conversion of a corrupt model fails with one line and a non-zero exit', () => {
    const r = cli('quantize', corrupt, '--method', 'int8-dynamic');
    assert.notStrictEqual(r.code, 0);
    assert.ok(!STACK_LINE.test(r.stderr), r.stderr);
    assert.match(last(r.stderr), /^inference-lens quantize: conversion of corrupt\.onnx failed: .*truncated or corrupt \(re-export or re-download the model/);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('text-view of a corrupt model fails with one line', () => {
    const r = cli('text-view', corrupt);
    assert.notStrictEqual(r.code, 0);
    assert.ok(!STACK_LINE.test(r.stderr), r.stderr);
    assert.match(last(r.stderr), /corrupt\.onnx: .*truncated or corrupt/);
  });

  it('a conversion that cannot write its output names the output, says what to do and leaves no temp file', () => {
    const out = path.join(dir, 'missing-folder', 'x.onnx');
    const r = cli('quantize', good, '--method', 'fp16', '--out', out, '--no-ab');
    assert.notStrictEqual(r.code, 0);
    assert.ok(!STACK_LINE.test(r.stderr), r.stderr);
    assert.match(last(r.stderr), /conversion of good\.onnx failed: cannot write .*x\.onnx: its folder does not exist; nothing was written \(check the path/);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['corrupt.onnx', 'good.onnx']);
  });

  it('--debug adds the stack trace', () => {
    const r = cli('quantize', corrupt, '--method', 'int8-dynamic', '--debug');
    assert.notStrictEqual(r.code, 0);
    assert.ok(STACK_LINE.test(r.stderr), r.stderr);
  });

  it('describes any failure in one line, with a hint when one is known', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    assert.strictEqual(describeFailure('conversion', '/m/model.onnx', enospc), 'conversion of model.onnx failed: ENOSPC: no space left on device, write (free some disk space, then run it again)');
    assert.strictEqual(hintFor(new OnnxReadError('x')), 're-export or re-download the model; keep its .onnx.data beside it');
    assert.strictEqual(oneLine(new Error('a\n    at f (x.js:1:2)\nb')), 'a; b');
    assert.strictEqual(oneLine('plain'), 'plain');
    assert.strictEqual(describeFailure('benchmark', undefined, 42), 'benchmark failed: 42');
    assert.ok(STACK_LINE.test(describeFailure('x', undefined, new Error('boom'), true)));
    // A crashed child's stderr reaches the user as its last words, never its stack.
    assert.strictEqual(lastWords('Error: out of memory\n    at f (w.js:1:1)\n    at g (w.js:2:2)\n\nfatal\n'), 'Error: out of memory; fatal');
  });
});
