/**
 * A report as Markdown, for places that show Markdown and not HTML: a CI job summary
 * (`inference-lens report result.json --format md >> "$GITHUB_STEP_SUMMARY"`), a pull-request comment.
 * The same figures as the HTML report's tables, without the charts. Pure.
 */
import { formatMarkdown } from '../bench/report';
import { costText } from '../cli/costFlags';
import { renderAb, renderConversion } from '../cli/quantize';
import type { ReportDoc } from './document';

/** `baseline`: the comparison `bench --baseline` added to the JSON, when there is one. */
export function reportMarkdown(doc: ReportDoc, baseline?: { verdict?: string; reason?: string; against?: string }): string {
  if (doc.kind === 'ab') {
    const verdict = doc.ab.verdict;
    return [
      `### A/B: ${verdict}`, '',
      '```', ...(doc.conversion ? [renderConversion(doc.conversion), ''] : []), renderAb(doc.ab), '```',
    ].join('\n');
  }
  const out = [formatMarkdown(doc.result)];
  if (doc.cost) out.push('', `**Cost**: ${costText(doc.cost)}`);
  else if (doc.costError) out.push('', `**Cost**: ${doc.costError}`);
  if (baseline?.reason) {
    const mark = baseline.verdict === 'regression' ? '❌' : baseline.verdict === 'improvement' ? '✅' : 'ℹ️';
    out.push('', `**Against the baseline** (${baseline.against ?? 'saved run'}): ${mark} ${baseline.reason}`);
  }
  return out.join('\n');
}
