/**
 * `npm run test:corpus`: scores every rule over the real-code corpus (test/corpus-real/, files fetched by
 * `npm run corpus:fetch`). Prints per-rule precision and recall on `dev` with every miss, and `test` and
 * `holdout`, `holdout2`, `holdout3`, `holdout4` as totals only (`--show` prints its misses too, once the rules are final). Fails when `dev` falls below
 * precision 0.9 or recall 0.8, and when no corpus file is present at all.
 *   node scripts/run-ts.mjs scripts/corpus-score.ts [--split dev|test|holdout|holdout2|holdout3|holdout4|all] [--show] [--rule PY001]
 */
import { loadProjects, Miss, scoreSplit, Split, SPLITS, totals } from '../test/helpers/realCorpus';

const MIN_PRECISION = 0.9;
const MIN_RECALL = 0.8;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const which = (flag('--split') ?? 'all') as Split | 'all';
  const show = args.includes('--show');
  const onlyRule = flag('--rule');
  const projects = loadProjects();
  let failed = false, scored = 0;
  for (const split of which === 'all' ? SPLITS : [which]) {
    const r = await scoreSplit(split, projects);
    scored += r.files;
    const t = totals(r.scores);
    console.log(`\n${split}: ${r.projects} projects, ${r.files} files (${r.missingFiles} not fetched), ${t.tp + t.fn} labelled findings, ${r.negatives} labelled non-findings`);
    console.log(`${split}: precision ${t.precision.toFixed(3)}, recall ${t.recall.toFixed(3)} (TP ${t.tp}, FP ${t.fp}, FN ${t.fn})`);
    if (split === 'dev' || show) {
      console.log(r.table);
      const misses = r.misses.filter((m) => !onlyRule || m.rule === onlyRule);
      if (misses.length) console.log(misses.map(format).join('\n'));
    }
    if (split === 'dev' && r.files && (t.precision < MIN_PRECISION || t.recall < MIN_RECALL)) {
      console.log(`dev is below precision ${MIN_PRECISION} / recall ${MIN_RECALL}`);
      failed = true;
    }
  }
  if (!scored) {
    console.log('no corpus file present: run `npm run corpus:fetch` first (see test/corpus-real/README.md)');
    return 1;
  }
  return failed ? 1 : 0;
}

function format(m: Miss): string {
  return `${m.kind} ${m.rule} ${m.repo}:${m.file}:${m.line}${m.message ? `  ${m.message.slice(0, 140)}` : ''}${m.reason ? `  [label: ${m.reason.slice(0, 140)}]` : ''}`;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(2); });
