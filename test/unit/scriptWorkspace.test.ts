/**
 * JS/TS across files: per-file summaries (exported helpers that run a model, or create one per call),
 * relative import resolution, the script index, and JS001/JS002/JS005 on calls of imported helpers,
 * with the clean look-alikes that must stay silent. Small projects passed as texts to analyzeCodeFiles.
 */
import * as assert from 'assert';
import * as path from 'path';
import { analyzeCodeFiles, summarizeScript } from '../../server/src/engine';
import { initParsers, languageOfPath } from '../../server/src/code/treeSitter';
import { mergeConfig } from '../../server/src/config';
import { resolveScriptImport, ScriptIndex } from '../../server/src/code/workspace/scripts';
import type { Finding } from '../../server/src/rules/types';

const ROOT = path.resolve('/proj');

/** Findings of every file of a small project (`{ 'lib/embed.js': text }`), by relative path. */
function analyzeProject(files: Record<string, string>): Map<string, Finding[]> {
  const input = Object.entries(files).map(([rel, text]) => ({ file: path.join(ROOT, rel), text, lang: languageOfPath(rel)! }));
  const config = mergeConfig();
  const found = analyzeCodeFiles(input, () => config);
  return new Map(Object.keys(files).map((rel) => [rel, found.get(path.join(ROOT, rel)) ?? []]));
}

function ruleHits(files: Record<string, string>, file: string, rule: string): Finding[] {
  return (analyzeProject(files).get(file) ?? []).filter((f) => f.rule === rule);
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

/** A lazily created feature-extraction pipeline behind `vectorFor(text)`, in TypeScript. */
const VECTORS_TS = lines(
  "import { pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';",
  'let featurizer: FeatureExtractionPipeline | undefined;',
  'async function featurizerOnce(): Promise<FeatureExtractionPipeline> {',
  "  featurizer ??= await pipeline('feature-extraction', 'some-org/small-encoder');",
  '  return featurizer;',
  '}',
  'export async function vectorFor(passage: string): Promise<number[]> {',
  '  const fx = await featurizerOnce();',
  "  const result = await fx(passage, { pooling: 'mean', normalize: true });",
  '  return Array.from(result.data as Float32Array);',
  '}',
  'export async function warmUp(): Promise<void> {',
  "  await (await featurizerOnce())('warm');",
  '}',
);

describe('JS/TS workspace: imported helpers', () => {
  before(async () => { await initParsers(); });

  describe('import resolution (pure)', () => {
    const known = new Set(['lib/embed.js', 'src/vectors.ts', 'src/util/index.ts', 'src/view.tsx', 'src/legacy.cjs'].map((f) => path.join(ROOT, f)));
    const has = (f: string): boolean => known.has(f);
    const from = path.join(ROOT, 'src/app.ts');

    it('resolves relative specifiers with and without extensions, index files and `.js` written for `.ts`', () => {
      assert.strictEqual(resolveScriptImport(from, './vectors.js', has), path.join(ROOT, 'src/vectors.ts'));
      assert.strictEqual(resolveScriptImport(from, './vectors', has), path.join(ROOT, 'src/vectors.ts'));
      assert.strictEqual(resolveScriptImport(from, '../lib/embed', has), path.join(ROOT, 'lib/embed.js'));
      assert.strictEqual(resolveScriptImport(from, '../lib/embed.js', has), path.join(ROOT, 'lib/embed.js'));
      assert.strictEqual(resolveScriptImport(from, './util', has), path.join(ROOT, 'src/util/index.ts'));
      assert.strictEqual(resolveScriptImport(from, './view.jsx', has), path.join(ROOT, 'src/view.tsx'));
      assert.strictEqual(resolveScriptImport(from, './legacy.cjs', has), path.join(ROOT, 'src/legacy.cjs'));
    });

    it('works on relative paths as the CLI is given them', () => {
      const rel = new Set(['proj/src/vectors.ts', 'proj/lib/embed.js'].map((f) => path.normalize(f)));
      assert.strictEqual(resolveScriptImport(path.normalize('proj/src/app.ts'), '../lib/embed', (f) => rel.has(f)), path.normalize('proj/lib/embed.js'));
      assert.strictEqual(resolveScriptImport(path.normalize('proj/src/app.ts'), './vectors.js', (f) => rel.has(f)), path.normalize('proj/src/vectors.ts'));
    });

    it('ignores bare package specifiers and files it does not know', () => {
      assert.strictEqual(resolveScriptImport(from, 'vectors', has), undefined);
      assert.strictEqual(resolveScriptImport(from, '@scope/embed', has), undefined);
      assert.strictEqual(resolveScriptImport(from, './missing', has), undefined);
    });
  });

  describe('summaries', () => {
    it('lists exported runners and per-call loaders under every export form', () => {
      const s = summarizeScript(lines(
        "const ort = require('onnxruntime-node');",
        "const { pipeline } = require('@xenova/transformers');",
        'let tagger = null;',
        "async function tag(words) { tagger = tagger || await pipeline('token-classification'); return tagger(words); }",
        "async function freshSession() { return ort.InferenceSession.create('ranker.onnx'); }",
        "exports.openRanker = async (file) => { const s = await ort.InferenceSession.create(file); return s; };",
        'module.exports.tag = tag;',
        'module.exports.freshSession = freshSession;',
      ), 'javascript');
      assert.deepStrictEqual(s.runners.map((r) => [r.name, r.kind, r.model]), [['tag', 'pipeline', 'tagger']]);
      assert.deepStrictEqual(s.loaders.map((l) => [l.name, l.loader]).sort(), [['freshSession', 'InferenceSession.create'], ['openRanker', 'InferenceSession.create']]);
    });

    it('exports of classes, instances, aliases and defaults; a lazy loader is not per call', () => {
      const s = summarizeScript(lines(
        "import * as ort from 'onnxruntime-web';",
        'let cached: ort.InferenceSession | undefined;',
        "export async function sessionOnce() { if (!cached) cached = await ort.InferenceSession.create('a.onnx'); return cached; }",
        'class Scorer {',
        "  session = ort.InferenceSession.create('scorer.onnx');",
        '  async score(feeds: Record<string, ort.Tensor>) { return (await this.session).run(feeds); }',
        '}',
        "async function rank(feeds: Record<string, ort.Tensor>) { const s = await sessionOnce(); return s.run(feeds); }",
        'export { rank as rankAll };',
        'export default new Scorer();',
      ), 'typescript');
      assert.deepStrictEqual(s.runners.map((r) => r.name).sort(), ['default.score', 'rankAll']);
      assert.deepStrictEqual(s.loaders, []);
      assert.deepStrictEqual(s.imports, []);
    });

    it('keeps only relative imports, with the name each local binds', () => {
      const s = summarizeScript(lines(
        "import express from 'express';",
        "import embedDefault, { vectorFor as vf } from './vectors.js';",
        "import * as lib from '../lib';",
        "const { openRanker } = require('./ranker');",
        "const legacy = require('./legacy.cjs');",
      ), 'typescript');
      assert.deepStrictEqual(s.imports, [
        { local: 'embedDefault', spec: './vectors.js', name: 'default' },
        { local: 'vf', spec: './vectors.js', name: 'vectorFor' },
        { local: 'lib', spec: '../lib', name: '*' },
        { local: 'openRanker', spec: './ranker', name: 'openRanker' },
        { local: 'legacy', spec: './legacy.cjs', name: '*' },
      ]);
    });

    it('the index tells an importer what each imported name does, and stays empty for other files', () => {
      const index = new ScriptIndex();
      const vectors = path.join(ROOT, 'src/vectors.ts'), app = path.join(ROOT, 'src/app.ts');
      index.set(vectors, summarizeScript(VECTORS_TS, 'typescript'));
      assert.strictEqual(index.set(vectors, summarizeScript(VECTORS_TS, 'typescript')), false, 'same summary: nothing changes');
      index.set(app, summarizeScript("import { vectorFor as embed } from './vectors.js';\nimport * as v from './vectors';\n", 'typescript'));
      const ext = index.externalFor(app);
      assert.deepStrictEqual(ext.runners.map(([callee, r]) => [callee, r.helper, r.model]), [['embed', 'vectorFor', 'fx'], ['v.vectorFor', 'vectorFor', 'fx'], ['v.default.vectorFor', 'vectorFor', 'fx']]);
      assert.deepStrictEqual(index.externalFor(vectors), { runners: [], loaders: [], factories: [], entries: [] });
    });
  });

  describe('JS002 / JS005 on imported runners', () => {
    it('JS002: an ES-imported helper (`.js` specifier for a `.ts` file) awaited per chunk, in a file that names no runtime', () => {
      const hits = ruleHits({
        'src/vectors.ts': VECTORS_TS,
        'src/ingest.ts': lines(
          "import { vectorFor } from './vectors.js';",
          'export async function indexAll(chunks: string[]) {',
          '  const rows: number[][] = [];',
          '  for (const chunk of chunks) {',
          '    rows.push(await vectorFor(chunk));',
          '  }',
          '  return rows;',
          '}',
        ),
      }, 'src/ingest.ts', 'JS002');
      assert.strictEqual(hits.length, 1);
      assert.strictEqual(hits[0].range.start.line, 4);
      assert.match(hits[0].message, /`vectorFor\(\.\.\.\)` \(imported from `\.\/vectors\.js`: it runs the `fx` pipeline/);
      assert.match(hits[0].message, /let `vectorFor` take the whole array/);
    });

    it('JS002: a CommonJS helper required from another folder, and a default export', () => {
      const files = {
        'lib/embed.js': lines(
          "const { pipeline } = require('@xenova/transformers');",
          'let model;',
          'async function embedText(t) {',
          "  if (!model) model = await pipeline('feature-extraction', 'org/encoder');",
          "  const out = await model(t, { pooling: 'mean' });",
          '  return Array.from(out.data);',
          '}',
          'module.exports = { embedText };',
        ),
        'lib/caption.mjs': lines(
          "import { pipeline } from '@huggingface/transformers';",
          "const captioner = await pipeline('image-to-text', 'org/captioner');",
          'export default async function describe(img) { return captioner(img); }',
        ),
        'jobs/run.js': lines(
          "const { embedText } = require('../lib/embed');",
          'async function main(docs) {',
          '  for (let i = 0; i < docs.length; i++) {',
          '    docs[i].vec = await embedText(docs[i].body);',
          '  }',
          '}',
          'module.exports = { main };',
        ),
        'jobs/caption.mjs': lines(
          "import describe from '../lib/caption.mjs';",
          'export async function captionAll(images) {',
          '  const out = [];',
          '  for (const img of images) out.push(await describe(img));',
          '  return out;',
          '}',
        ),
      };
      const all = analyzeProject(files);
      const run = all.get('jobs/run.js')!.filter((f) => f.rule === 'JS002');
      assert.deepStrictEqual(run.map((f) => f.range.start.line), [3]);
      assert.match(run[0].message, /`embedText\(\.\.\.\)` \(imported from `\.\.\/lib\/embed`: it runs the `model` pipeline/);
      const cap = all.get('jobs/caption.mjs')!.filter((f) => f.rule === 'JS002');
      assert.deepStrictEqual(cap.map((f) => f.range.start.line), [3]);
      assert.match(cap[0].message, /`describe\(\.\.\.\)` \(imported from `\.\.\/lib\/caption\.mjs`: it runs the `captioner` pipeline\) .*: let `describe` take the whole array/);
    });

    it('JS005: an imported helper fanned out with `.map` under Promise.all, also through a namespace import', () => {
      const hits = ruleHits({
        'src/vectors.ts': VECTORS_TS,
        'src/search.ts': lines(
          "import * as vec from './vectors';",
          'export async function embedQueries(queries: string[]) {',
          '  return Promise.all(queries.map((q) => vec.vectorFor(q)));',
          '}',
        ),
      }, 'src/search.ts', 'JS005');
      assert.strictEqual(hits.length, 1);
      assert.match(hits[0].message, /`vec\.vectorFor\(\.\.\.\)` \(imported from `\.\/vectors`/);
    });

    it('JS002: a method of an imported class reached through an injected instance, over `chunks.entries()`', () => {
      const hits = ruleHits({
        'src/encoder.service.ts': lines(
          "import { pipeline } from '@xenova/transformers';",
          'export class EncoderService {',
          '  private extractor: any;',
          "  async onModuleInit() { this.extractor = await pipeline('feature-extraction', 'org/encoder'); }",
          '  async encode(passage: string): Promise<number[]> {',
          "    const out = await this.extractor(passage, { pooling: 'mean' });",
          '    return Array.from(out.data);',
          '  }',
          '}',
        ),
        'src/notes/notes.service.ts': lines(
          "import { EncoderService } from '../encoder.service';",
          'export class NotesService {',
          '  constructor(private readonly encoder: EncoderService) {}',
          '  async store(chunks: string[]) {',
          '    for (const [i, chunk] of chunks.entries()) {',
          '      const v = await this.encoder.encode(chunk);',
          '      console.log(i, v.length);',
          '    }',
          '  }',
          '}',
        ),
      }, 'src/notes/notes.service.ts', 'JS002');
      assert.deepStrictEqual(hits.map((h) => h.range.start.line), [5]);
      assert.match(hits[0].message, /`this\.encoder\.encode\(\.\.\.\)` \(imported from `\.\.\/encoder\.service`, where it is `EncoderService\.encode`: it runs the `this\.extractor` pipeline/);
    });

    it('JS002: a model returned by an imported factory (named import, and a dynamic import of a default export)', () => {
      const all = analyzeProject({
        'lib/session.js': lines(
          "import * as ort from 'onnxruntime-node';",
          'let open;',
          "export async function rankerSession() { open ??= ort.InferenceSession.create('ranker.onnx'); return open; }",
          'export function settings() { return { topK: 5 }; }',
        ),
        'lib/pipes.mjs': lines(
          "import { pipeline } from '@huggingface/transformers';",
          'const held = {};',
          'async function pipeFor(task) {',
          '  if (held[task]) return held[task];',
          '  const made = await pipeline(task);',
          '  held[task] = made;',
          '  return made;',
          '}',
          'export default { pipeFor };',
        ),
        'src/rank.js': lines(
          "import { rankerSession, settings } from '../lib/session.js';",
          'export async function rankAll(pairs, toFeeds) {',
          '  const s = await rankerSession();',
          '  const conf = settings();',
          '  const scores = [];',
          '  for (const pair of pairs) scores.push(await s.run(toFeeds(pair, conf)));',
          '  for (const pair of pairs) scores.push(await conf.topK(pair));',
          '  return scores;',
          '}',
        ),
        'src/moods.js': lines(
          'export async function moods(lines) {',
          "  const lib = await import('../lib/pipes.mjs');",
          "  const clf = await lib.default.pipeFor('sentiment-analysis');",
          '  const out = [];',
          '  for (const line of lines) out.push(await clf(line));',
          '  return out;',
          '}',
        ),
      });
      assert.deepStrictEqual(all.get('src/rank.js')!.filter((f) => f.rule === 'JS002').map((f) => f.range.start.line), [5]);
      const moods = all.get('src/moods.js')!.filter((f) => f.rule === 'JS002');
      assert.deepStrictEqual(moods.map((f) => f.range.start.line), [4]);
      assert.match(moods[0].message, /the `clf` pipeline/);
    });

    it('stays silent: other helpers, package imports, batches, ensembles and shadowing local functions', () => {
      const all = analyzeProject({
        'src/vectors.ts': VECTORS_TS,
        'src/score.js': lines(
          'export async function scoreWith(session, feeds) { return session.run(feeds); }',
          "import * as ort from 'onnxruntime-node';",
        ),
        'src/quiet.ts': lines(
          "import { warmUp, vectorFor } from './vectors.js';",
          "import { vectorFor as remote } from 'vector-service';",
          "import { scoreWith } from './score.js';",
          'export async function run(items: string[], batches: string[][], sessions: any[], feeds: any) {',
          '  for (const item of items) await warmUp();',
          '  for (const item of items) await remote(item);',
          '  for (const batch of batches) await vectorFor(batch.join(" "));',
          '  for (const s of sessions) await scoreWith(s, feeds);',
          '  for (const item of items) { const v = await vectorFor(item); if (v[0] > 0.9) return v; }',
          '}',
        ),
        'src/shadow.js': lines(
          "import { vectorFor } from './vectors.js';",
          'function vectorForLocal(x) { return x; }',
          'export async function go(items) {',
          '  const vectorFor = (x) => x.length;',
          '  for (const item of items) await vectorFor(item);',
          '}',
        ),
      });
      const bad = ['src/quiet.ts', 'src/shadow.js'].flatMap((f) => all.get(f)!.filter((x) => /^JS00[125]$/.test(x.rule)).map((x) => `${f}:${x.range.start.line}:${x.rule}`));
      assert.deepStrictEqual(bad, []);
    });
  });

  describe('JS001 on imported per-call loaders', () => {
    const LOADERS = lines(
      "import * as ort from 'onnxruntime-node';",
      'let shared: ort.InferenceSession | null = null;',
      'export async function openDetector() {',
      "  const s = await ort.InferenceSession.create('detector.onnx');",
      '  return s;',
      '}',
      'export async function detectorOnce() {',
      "  if (!shared) shared = await ort.InferenceSession.create('detector.onnx');",
      '  return shared;',
      '}',
      'export async function openModel(file: string) { return ort.InferenceSession.create(file); }',
    );

    it('fires on a route that calls a helper creating a session on every call, naming the helper', () => {
      const hits = ruleHits({
        'src/models.ts': LOADERS,
        'src/server.ts': lines(
          "import express from 'express';",
          "import { openDetector } from './models.js';",
          'const app = express();',
          "app.post('/detect', async (req, res) => {",
          '  const session = await openDetector();',
          '  res.json(await session.run(req.body));',
          '});',
        ),
      }, 'src/server.ts', 'JS001');
      assert.strictEqual(hits.length, 1);
      assert.strictEqual(hits[0].range.start.line, 4);
      assert.match(hits[0].message, /`openDetector\(\.\.\.\)` \(imported from `\.\/models\.js`, where it calls `InferenceSession\.create\(\.\.\.\)` on every call/);
      assert.match(hits[0].message, /on every request/);
    });

    it('stays silent for a lazily cached loader, a load at start-up, one model per loop item and a lazy guard here', () => {
      const hits = ruleHits({
        'src/models.ts': LOADERS,
        'src/server.ts': lines(
          "import express from 'express';",
          "import { detectorOnce, openDetector, openModel } from './models.js';",
          'const app = express();',
          'const ready = openDetector();',
          'let kept: any;',
          "app.post('/detect', async (req, res) => {",
          '  const session = await detectorOnce();',
          '  kept ??= await openDetector();',
          '  res.json(await (await ready).run(req.body));',
          '});',
          'export async function loadAll(files: string[]) {',
          '  for (const f of files) await openModel(f);',
          '}',
        ),
      }, 'src/server.ts', 'JS001');
      assert.deepStrictEqual(hits.map((h) => h.range.start.line), []);
    });
  });

  describe('JS001 through handlers of other files', () => {
    const QA = lines(
      "import { pipeline } from '@huggingface/transformers';",
      'export async function answer(question, context) {',
      "  const qa = await pipeline('question-answering', 'org/reader');",
      '  return qa(question, context);',
      '}',
      'async function tidy(text) { return text.trim(); }',
      'export async function answerTidy(q, c) { return answer(await tidy(q), c); }',
    );

    it('fires in the helper file when a route of another file calls it, and names the chain', () => {
      const all = analyzeProject({
        'src/qa.js': QA,
        'src/routes.js': lines(
          "const { answerTidy } = require('./qa.js');",
          'async function handleAsk(req, res) { res.json(await answerTidy(req.body.q, req.body.c)); }',
          'module.exports = { handleAsk };',
        ),
        'src/server.js': lines(
          "const express = require('express');",
          "const { handleAsk } = require('./routes');",
          'const app = express();',
          "app.post('/ask', (req, res) => handleAsk(req, res));",
        ),
      });
      const hits = all.get('src/qa.js')!.filter((f) => f.rule === 'JS001');
      assert.deepStrictEqual(hits.map((h) => h.range.start.line), [2]);
      assert.match(hits[0].message, /runs in `answer`, called from `answerTidy`, called from `handleAsk` \(routes\.js\), called from a route handler \(app\.post\('\/ask'\)\) in server\.js, so it loads the model on every request/);
    });

    it('stays silent when the helper is only called by a script, not by a handler', () => {
      const all = analyzeProject({
        'src/qa.js': QA,
        'src/batch.js': lines(
          "import { answer } from './qa.js';",
          'export async function main(q, c) { console.log(await answer(q, c)); }',
          'await main(process.argv[2], process.argv[3]);',
        ),
      });
      assert.deepStrictEqual(all.get('src/qa.js')!.filter((f) => f.rule === 'JS001'), []);
    });
  });

  describe('project path aliases and classic workers', () => {
    before(initParsers);

    it('follows a tsconfig-style alias (`@lib/util/vectors`) to the one workspace file it names', () => {
      const files = {
        'site/lib/util/vectors.ts': VECTORS_TS,
        'site/lib/jobs/reindex.ts': lines(
          "import { vectorFor } from '@lib/util/vectors';",
          'export async function reindex(rows: { id: string; title: string }[]): Promise<number[][]> {',
          '  const out: number[][] = [];',
          '  for (const row of rows) {',
          '    out.push(await vectorFor(row.title));',
          '  }',
          '  return out;',
          '}',
        ),
      };
      assert.deepStrictEqual(ruleHits(files, 'site/lib/jobs/reindex.ts', 'JS002').map((f) => f.range.start.line), [4]);
      // An npm scope is not a project alias: nothing resolves, nothing is claimed.
      const npm = { ...files, 'site/lib/jobs/reindex.ts': files['site/lib/jobs/reindex.ts'].replace('@lib/util/vectors', '@acme/vectors') };
      assert.deepStrictEqual(ruleHits(npm, 'site/lib/jobs/reindex.ts', 'JS002'), []);
    });

    it('a classic worker that loads onnxruntime-web with importScripts uses the global `ort`', () => {
      const worker = lines(
        'importScripts("https://cdn.jsdelivr.net/npm/onnxruntime-web/dist/ort.min.js");',
        'self.onmessage = async (event) => {',
        '  postMessage(await detect(event.data));',
        '};',
        'async function detect(pixels) {',
        "  const session = await ort.InferenceSession.create('./detector.onnx');",
        "  return session.run({ images: new ort.Tensor('float32', pixels, [1, 3, 320, 320]) });",
        '}',
      );
      assert.deepStrictEqual(ruleHits({ 'worker.js': worker }, 'worker.js', 'JS001').map((f) => f.range.start.line), [5]);
      assert.deepStrictEqual(ruleHits({ 'worker.js': worker.replace(/^importScripts.*\n/, '') }, 'worker.js', 'JS001'), []);
    });
  });
});
