/**
 * A merged decoder (Optimum's decoder_model_merged.onnx: an If on use_cache_branch around the graphs
 * with and without the cache) against the same decoder unmerged, both built by code with the same
 * weights (test/helpers/tinyDecoder.ts), timed by `bench --generate` in the child in alternating
 * rounds: what one file for prefill and decode costs per step (the If's dispatch, and the optimizer
 * seeing each branch as a subgraph). The tiny decoder's steps take a fraction of a millisecond, so
 * this is the overhead's upper bound; on a real model the same fixed cost is a smaller share.
 *
 * Run: npm run bench -- generate-merged   (GEN_ROUNDS, default 7)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBenchmark } from '../server/src/bench/runner';
import { table } from '../server/src/bench/report';
import { tinyDecoder, tinyMergedDecoder } from '../test/helpers/tinyDecoder';
import { median } from './lib/timing';

const ROUNDS = Number(process.env.GEN_ROUNDS ?? 7);
const generate = { promptTokens: 32, newTokens: 64 };

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-genmerged-'));
  try {
    const files = { unmerged: path.join(dir, 'decoder_model.onnx'), merged: path.join(dir, 'decoder_model_merged.onnx') };
    fs.writeFileSync(files.unmerged, tinyDecoder());
    fs.writeFileSync(files.merged, tinyMergedDecoder());
    const tps: Record<string, number[]> = { unmerged: [], merged: [] }, ttft: Record<string, number[]> = { unmerged: [], merged: [] }, step: Record<string, number[]> = { unmerged: [], merged: [] };
    const ids: Record<string, string> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of (r % 2 ? ['merged', 'unmerged'] : ['unmerged', 'merged']) as Array<keyof typeof files>) {
        const g = (await runBenchmark(files[name], { minRuns: 1, minTimeS: 1, maxTimeS: 5, generate })).generation!;
        tps[name].push(g.tokensPerSec); ttft[name].push(g.ttftMs.p50); step[name].push(g.interTokenMs.p50);
        ids[name] = g.generatedIds.join(' ');
      }
    }
    const rows = [['decoder', 'decode tok/s', 'vs unmerged', 'inter-token p50 ms', 'TTFT p50 ms', 'vs unmerged']];
    for (const name of ['unmerged', 'merged']) {
      rows.push([name, median(tps[name]).toFixed(0), (median(tps[name]) / median(tps.unmerged)).toFixed(2), median(step[name]).toFixed(3),
        median(ttft[name]).toFixed(3), (median(ttft[name]) / median(ttft.unmerged)).toFixed(2)]);
    }
    console.log(`tiny decoder (TINY: 2 layers, d 16, vocab 64), prompt ${generate.promptTokens}, ${generate.newTokens} steps; medians of ${ROUNDS} alternating rounds of 1 s each`);
    console.log(table(rows).join('\n'));
    console.log(`same ids: ${ids.merged === ids.unmerged}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => { console.error(e); process.exit(1); });
