/** The cost flags shared by `analyze` and `bench`: --instance ID, --traffic RPS[,HOURS]; and the cost line of text output. */
import type { CostSettings } from '../cost/settings';
import type { CostJson } from '../cost/report';
import { formatMs, formatUsd, tokenText } from '../cost/report';
import { UsageError } from './args';

/** Flag values → a cost settings layer (undefined when neither flag is given). */
export function costOverrides(flags: Map<string, string | true>): CostSettings | undefined {
  const out: CostSettings = {};
  const inst = flags.get('instance');
  if (inst !== undefined) {
    if (inst === true || !inst.trim()) throw new UsageError('--instance needs an instance id, e.g. c7i.xlarge');
    out.instance = inst.trim();
  }
  const t = flags.get('traffic');
  if (t !== undefined) {
    const m = t === true ? null : /^\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?$/.exec(t);
    const rps = m ? Number(m[1]) : NaN;
    const hours = m?.[2] !== undefined ? Number(m[2]) : undefined;
    if (!(rps > 0) || (hours !== undefined && !(hours > 0 && hours <= 24))) {
      throw new UsageError('--traffic expects requests/s[,hours/day], e.g. 50 or 50,8');
    }
    out.traffic = hours === undefined ? { requestsPerSec: rps } : { requestsPerSec: rps, hoursPerDay: hours };
  }
  return Object.keys(out).length ? out : undefined;
}

/** "p95 12.3 ms · $0.004 / 1k · $321 / month (3 × c7i.xlarge at 50 req/s) · estimate; cheapest: …" */
export function costText(c: CostJson): string {
  const ge = c.incomplete ? '≥ ' : '';
  const parts = [
    `p95 ${ge}${formatMs(c.latencyMs.p95)} · ${ge}${formatUsd(c.per1k)} / 1k · ${ge}${formatUsd(c.perMonth)} / month (${c.instancesNeeded} × ${c.instance} at ${c.traffic.requestsPerSec} req/s, ${Math.round(c.utilization * 100)}% util.) · ${c.basis}${c.incomplete ? ', incomplete' : ''}`,
  ];
  if (c.cheapest && c.cheapest.instance !== c.instance) parts.push(`cheapest: ${c.cheapest.instance} ${formatUsd(c.cheapest.per1k)} / 1k`);
  if (c.int8Estimate) parts.push(`int8 (est. ×${c.int8Estimate.speedup}): ${formatUsd(c.int8Estimate.per1k)} / 1k`);
  if (c.fp16Estimate) parts.push(`fp16 (est. ×${c.fp16Estimate.speedup}): ${formatUsd(c.fp16Estimate.per1k)} / 1k`);
  if (c.tokens) parts.push(tokenText(c.tokens));
  return parts.join('; ');
}
