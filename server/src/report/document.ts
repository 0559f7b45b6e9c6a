/**
 * What a report shows: a benchmark/profile result (with its cost when priced) or an A/B comparison
 * (with the conversion that produced B, when there was one). `reportDocOf` accepts exactly what the
 * CLI prints with `--format json` (`bench`, `quantize`, `compare`), so CI artifacts feed `report`.
 */
import type { BenchResult } from '../bench/types';
import type { CostJson } from '../cost/report';
import type { AbReport } from '../quantize/ab';
import type { ConversionSummary } from '../quantize/convert';

export interface BenchDoc { kind: 'bench'; result: BenchResult; cost?: CostJson; costError?: string }
export interface AbDoc { kind: 'ab'; ab: AbReport; conversion?: ConversionSummary }
export type ReportDoc = BenchDoc | AbDoc;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A report document from parsed JSON, or an error that says what the JSON should have been. */
export function reportDocOf(json: unknown): ReportDoc {
  if (!isObj(json)) throw new Error('expected a JSON object (the output of bench, quantize or compare with --format json)');
  if (isObj(json.ab)) {
    const ab = json.ab;
    if (!Array.isArray(ab.outputs) || typeof ab.verdict !== 'string') throw new Error('"ab" has no outputs or verdict: not an A/B result');
    return { kind: 'ab', ab: ab as unknown as AbReport, ...(isObj(json.conversion) && { conversion: json.conversion as unknown as ConversionSummary }) };
  }
  if (isObj(json.conversion)) throw new Error('a conversion without its A/B check (quantize --no-ab): nothing to compare; run quantize without --no-ab');
  if (isObj(json.latencyMs) && isObj(json.model) && isObj(json.throughput)) {
    const { cost, costError, ...result } = json;
    return {
      kind: 'bench', result: result as unknown as BenchResult,
      ...(isObj(cost) && { cost: cost as unknown as CostJson }), ...(typeof costError === 'string' && { costError }),
    };
  }
  throw new Error('not a benchmark, profile or A/B result (expected the JSON of `bench`, `quantize` or `compare` with --format json)');
}

/** The file name the report is about, for titles. */
export function reportSubject(doc: ReportDoc): string {
  const base = (p: string): string => p.split(/[\\/]/).pop() ?? p;
  return doc.kind === 'bench' ? base(doc.result.model.path) : `${base(doc.ab.a)} vs ${base(doc.ab.b)}`;
}
