/**
 * `inference-lens init [folder]`: writes a commented inference-lens.json for a workspace from what
 * analyze finds there: the models, the symbolic dims they declare (with the values cost figures use
 * today), the instance, and budgets with headroom over today's estimates, so `analyze --fail-on budget`
 * catches a model that grows or slows. The text is built by a pure function (initConfigText).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FILE } from '../config';
import { DEFAULT_INSTANCE } from '../cost/settings';
import { formatBytes } from '../onnx/summary';
import { analyzePaths } from './analyze';
import { parseArgs, UsageError } from './args';

export interface InitModel {
  /** path relative to the workspace */
  path: string;
  /** what the modelBytes budget compares: the weights, external data included */
  weightBytes: number;
  /** every symbolic dim and the value cost figures use (analyze's `dims`) */
  dims: Record<string, number>;
  p95Ms?: number;
  per1k?: number;
  perMonth?: number;
}

/** Budgets are set this far above today's largest figure: room for noise, not for a regression. */
export const BUDGET_HEADROOM = 1.5;

/** Rounds up to 2 significant digits: budgets people can read and edit. */
function roundUp(v: number): number {
  if (!(v > 0)) return v;
  const step = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Number((Math.ceil(v / step - 1e-9) * step).toPrecision(2));
}

const json = (v: unknown): string => JSON.stringify(v);

export function initConfigText(models: InitModel[], instance: string): string {
  const dims: Record<string, number> = {};
  const users = new Map<string, string[]>();
  for (const m of models) {
    for (const [k, v] of Object.entries(m.dims)) {
      dims[k] ??= v;
      users.set(k, [...(users.get(k) ?? []), m.path]);
    }
  }
  const max = (f: (m: InitModel) => number | undefined): number | undefined => {
    const vals = models.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
    return vals.length ? Math.max(...vals) : undefined;
  };
  const budgets: Record<string, number> = {};
  const sources: Array<[string, number | undefined]> = [
    ['modelBytes', max((m) => m.weightBytes)], ['p95Ms', max((m) => m.p95Ms)], ['costPer1k', max((m) => m.per1k)], ['monthlyCost', max((m) => m.perMonth)],
  ];
  for (const [k, v] of sources) if (v !== undefined) budgets[k] = roundUp(v * BUDGET_HEADROOM);

  const lines = [
    '// Inference Lens settings for this workspace, written by `inference-lens init`.',
    '// Editors and `inference-lens analyze` read the nearest inference-lens.json above a file; it wins over',
    '// editor settings. Schema: schemas/inference-lens.schema.json in the inference-lens package.',
    '{',
  ];
  const entries: string[][] = [];
  if (models.length) {
    entries.push([
      `  // Models found: ${models.map((m) => `${m.path} (${formatBytes(m.weightBytes)} of weights)`).join(', ')}.`,
      '  // Values for their symbolic dims: cost, memory and ONNX011 use them. These are the defaults',
      '  // used today; set each to what production feeds.',
      ...Object.keys(dims).map((k) => `  //   ${k}: ${users.get(k)!.join(', ')}`),
      `  "dims": ${json(dims)}`,
    ]);
  } else {
    entries.push(['  // No .onnx model found here: name symbolic dims and their values, e.g. {"batch": 1, "seq": 128}.', '  "dims": {}']);
  }
  entries.push([
    '  // The instance models are priced on: a catalog id (c7i.xlarge, g5.xlarge, n2-standard-4, Standard_F4s_v2, ...)',
    '  // or one of your own under "instances".',
    `  "instance": ${json(instance)}`,
  ]);
  entries.push(['  // Traffic the monthly cost and the instances needed are computed for.', `  "traffic": ${json({ requestsPerSec: 10, hoursPerDay: 24 })}`]);
  entries.push([
    `  // Budgets, ${BUDGET_HEADROOM}x today's largest estimate (bytes, p95 ms, $ per 1k inferences, $ per month):`,
    '  // a model or model load over one gets ONNX090 / PY090, and `analyze --fail-on budget` exits 1.',
    `  "budgets": ${json(budgets)}`,
  ]);
  entries.push(['  // Per-rule severity: "error" | "warning" | "information" | "hint" | "off", e.g. {"PY002": "off"}.', '  "rules": {}']);
  entries.forEach((e, i) => {
    if (i < entries.length - 1) e[e.length - 1] += ',';
    lines.push(...e);
  });
  lines.push('}', '');
  return lines.join('\n');
}

export async function runInit(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, { force: false, instance: true });
  if (args.positional.length > 1) throw new UsageError('init takes at most one folder');
  const dir = path.resolve(args.positional[0] ?? '.');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const file = path.join(dir, CONFIG_FILE);
  if (fs.existsSync(file) && !args.flags.has('force')) {
    err(`inference-lens init: ${file} exists; --force overwrites it`);
    return 1;
  }
  const instance = args.flags.get('instance');
  const result = await analyzePaths([dir], typeof instance === 'string' ? { cost: { instance } } : {}, err);
  const models: InitModel[] = result.files.filter((f) => f.kind === 'model' && f.model).map((f) => ({
    path: path.relative(dir, path.resolve(f.path)).split(path.sep).join('/'),
    weightBytes: f.model!.weightBytes,
    dims: f.model!.dims ?? {},
    p95Ms: f.model!.cost?.latencyMs.p95,
    per1k: f.model!.cost?.per1k,
    perMonth: f.model!.cost?.perMonth,
  }));
  fs.writeFileSync(file, initConfigText(models, typeof instance === 'string' ? instance : DEFAULT_INSTANCE));
  out(`wrote ${path.relative(process.cwd(), file) || file}: ${models.length} model(s)`);
  return 0;
}
