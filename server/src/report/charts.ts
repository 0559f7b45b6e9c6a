/**
 * Inline SVG charts for the report, pure: numbers in, an SVG string out. No styles in attributes
 * (the page's Content-Security-Policy allows only its nonce'd stylesheet): every colour comes from a
 * class the page styles with the editor's theme variables. Each chart is an `role="img"` with a label
 * and `<title>` tooltips on its marks, and carries its data in `data-*` attributes (tests read them).
 */
import { escapeHtml } from './escape';

export interface Box { width: number; height: number }

const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

/** "Nice" ticks (1, 2, 5 × 10^k) covering [lo, hi]: about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A short number for an axis label: 0.012, 1.5, 120, 12k. */
export function axisNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a === 0) return '0';
  return String(Number(v.toPrecision(3)));
}

/** Linear scale from [d0, d1] to [r0, r1]. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

const f = (v: number): string => (Math.round(v * 10) / 10).toString();

function frame(box: Box, label: string, body: string[], cls: string, data: Record<string, string | number> = {}): string {
  const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`).join('');
  return `<svg class="chart ${cls}" viewBox="0 0 ${box.width} ${box.height}" width="100%" role="img" aria-label="${escapeHtml(label)}"${attrs} xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(label)}</title>${body.join('')}</svg>`;
}

function axes(box: Box, x: (v: number) => number, y: (v: number) => number, xTicks: number[], yTicks: number[], xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  const bottom = box.height - PAD.bottom;
  for (const t of yTicks) {
    out.push(`<line class="grid" x1="${PAD.left}" x2="${box.width - PAD.right}" y1="${f(y(t))}" y2="${f(y(t))}"/>`);
    out.push(`<text class="tick" x="${PAD.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${axisNumber(t)}</text>`);
  }
  out.push(`<line class="axis" x1="${PAD.left}" x2="${box.width - PAD.right}" y1="${bottom}" y2="${bottom}"/>`);
  for (const t of xTicks) out.push(`<text class="tick" x="${f(x(t))}" y="${bottom + 16}" text-anchor="middle">${axisNumber(t)}</text>`);
  out.push(`<text class="axis-label" x="${f((PAD.left + box.width - PAD.right) / 2)}" y="${box.height - 4}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  out.push(`<text class="axis-label" x="12" y="${f((PAD.top + bottom) / 2)}" text-anchor="middle" transform="rotate(-90 12 ${f((PAD.top + bottom) / 2)})">${escapeHtml(yLabel)}</text>`);
  return out;
}

// ---- histogram ----

export interface Bin { x0: number; x1: number; count: number }

/** Above this max/min ratio the histogram bins (and its axis) are logarithmic: a noisy machine's tail
 * would otherwise put the whole body of the distribution into the first bar. */
export const LOG_RATIO = 20;

/**
 * Equal-width bins over the samples (equal width in log space when max/min > LOG_RATIO). Bin count:
 * Freedman–Diaconis width, kept between 8 and 2√n (≤ 60). A long tail (max beyond twice the p99) on a
 * linear axis would squash the body into a few bars: the range then stops at 1.5 × p99 and the last
 * bin also counts everything above it (`overflow`).
 */
export function binSamples(samples: readonly number[], p99: number): { bins: Bin[]; overflow: number; log: boolean } {
  if (!samples.length) return { bins: [], overflow: 0, log: false };
  const sorted = [...samples].sort((a, b) => a - b);
  const log = sorted[0] > 0 && sorted[sorted.length - 1] / sorted[0] > LOG_RATIO;
  const t = log ? Math.log : (v: number): number => v;
  const lo = t(sorted[0]), max = t(sorted[sorted.length - 1]);
  const hi = !log && max > 2 * p99 && p99 > lo ? 1.5 * p99 : max;
  const q = (p: number): number => t(sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]);
  const iqr = q(0.75) - q(0.25);
  const fd = iqr > 0 ? 2 * iqr / Math.cbrt(sorted.length) : 0;
  // Few samples cannot fill many bins: at most 2√n of them.
  const cap = Math.min(60, Math.max(8, Math.ceil(2 * Math.sqrt(sorted.length))));
  const n = hi > lo ? Math.min(cap, Math.max(8, fd > 0 ? Math.ceil((hi - lo) / fd) : Math.ceil(Math.sqrt(sorted.length)))) : 1;
  const width = hi > lo ? (hi - lo) / n : 1;
  const back = log ? Math.exp : (v: number): number => v;
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === 0 ? sorted[0] : i === n ? back(hi) : back(lo + i * width)));
  const bins: Bin[] = Array.from({ length: n }, (_, i) => ({ x0: edges[i], x1: edges[i + 1], count: 0 }));
  let overflow = 0;
  for (const v of sorted) {
    if (t(v) > hi) overflow++;
    bins[Math.min(n - 1, Math.max(0, Math.floor((t(v) - lo) / width)))].count++;
  }
  return { bins, overflow, log };
}

/** Ticks of a log axis: 1, 2, 5 × 10^k within [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) { const v = Number((m * 10 ** k).toPrecision(6)); if (v >= lo && v <= hi) out.push(v); }
  }
  return out;
}

export interface Marker { label: string; value: number; cls: string }

/** Latency histogram with vertical markers (p50/p95/p99); a logarithmic axis for heavy-tailed runs. */
export function histogramSvg(samples: readonly number[], markers: Marker[], p99: number, box: Box = { width: 640, height: 240 }): string {
  const { bins, overflow, log } = binSamples(samples, p99);
  if (!bins.length) return '';
  const lo = bins[0].x0, hi = bins[bins.length - 1].x1 === lo ? lo + 1 : bins[bins.length - 1].x1;
  const top = Math.max(...bins.map((b) => b.count));
  const t = log ? Math.log : (v: number): number => v;
  const sx = scale(t(lo), t(hi), PAD.left, box.width - PAD.right);
  const x = (v: number): number => sx(t(v));
  const y = scale(0, top, box.height - PAD.bottom, PAD.top);
  const body = axes(box, x, y, log ? logTicks(lo, hi) : niceTicks(lo, hi, 6), niceTicks(0, top, 4), log ? 'latency (ms, log scale)' : 'latency (ms)', 'runs');
  bins.forEach((b, i) => {
    const x0 = x(b.x0), x1 = bins.length === 1 ? x(hi) : x(b.x1);
    const last = i === bins.length - 1 && overflow > 0;
    body.push(`<rect class="bar" x="${f(x0 + 0.5)}" y="${f(y(b.count))}" width="${f(Math.max(1, x1 - x0 - 1))}" height="${f(y(0) - y(b.count))}" ` +
      `data-count="${b.count}" data-x0="${b.x0}" data-x1="${b.x1}"><title>${axisNumber(b.x0)}–${last ? '' : axisNumber(b.x1)}${last ? '… ms (and above)' : ' ms'}: ${b.count} run${b.count === 1 ? '' : 's'}</title></rect>`);
  });
  markers.forEach((m, i) => {
    const mx = x(Math.min(hi, Math.max(lo, m.value)));
    body.push(`<line class="marker ${m.cls}" x1="${f(mx)}" x2="${f(mx)}" y1="${PAD.top}" y2="${box.height - PAD.bottom}" data-label="${escapeHtml(m.label)}" data-value="${m.value}"><title>${escapeHtml(m.label)} ${axisNumber(m.value)} ms</title></line>`);
    body.push(`<text class="marker-label ${m.cls}" x="${f(mx + 3)}" y="${PAD.top + 10 + i * 12}">${escapeHtml(m.label)}</text>`);
  });
  const label = `Latency histogram of ${samples.length} runs${log ? ' (log scale)' : ''}: ${markers.map((m) => `${m.label} ${axisNumber(m.value)} ms`).join(', ')}${overflow ? `; ${overflow} runs above ${axisNumber(hi)} ms in the last bar` : ''}`;
  return frame(box, label, body, 'histogram', { samples: samples.length, bins: bins.length, overflow, scale: log ? 'log' : 'linear' });
}

// ---- line charts ----

export interface Series { name: string; cls: string; points: Array<[number, number]> }

/**
 * Lines over a shared x axis; `shade` greys an x range (the warm-up). Points are drawn as dots when
 * there are few of them (sweeps), as a plain line when there are many (traces).
 */
export function lineSvg(series: Series[], o: { xLabel: string; yLabel: string; label: string; shade?: [number, number]; shadeLabel?: string; logX?: boolean; yCap?: number; box?: Box }): string {
  const box = o.box ?? { width: 640, height: 240 };
  const all = series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (!all.length) return '';
  const tx = o.logX ? (v: number): number => Math.log2(v) : (v: number): number => v;
  const xs = all.map(([a]) => tx(a));
  const x0 = Math.min(...xs, o.shade ? tx(o.shade[0]) : Infinity), x1 = Math.max(...xs);
  // yCap: a few huge outliers would flatten every other run into the axis; they are drawn at the cap.
  const yTop = o.yCap ?? (Math.max(...all.map(([, b]) => b)) * 1.08 || 1);
  const sx = scale(x0, x1 === x0 ? x0 + 1 : x1, PAD.left, box.width - PAD.right);
  const x = (v: number): number => sx(tx(v));
  const yRaw = scale(0, yTop, box.height - PAD.bottom, PAD.top);
  const y = (v: number): number => yRaw(Math.min(v, yTop));
  const xTicks = o.logX ? [...new Set(all.map(([a]) => a))].sort((a, b) => a - b) : niceTicks(x0, x1, 6);
  const body: string[] = [];
  if (o.shade) {
    const a = x(o.shade[0]), b = x(o.shade[1]);
    body.push(`<rect class="shade" x="${f(a)}" y="${PAD.top}" width="${f(Math.max(1, b - a))}" height="${box.height - PAD.bottom - PAD.top}" data-from="${o.shade[0]}" data-to="${o.shade[1]}"><title>${escapeHtml(o.shadeLabel ?? '')}</title></rect>`);
    if (o.shadeLabel) body.push(`<text class="shade-label" x="${f(a + 4)}" y="${PAD.top + 12}">${escapeHtml(o.shadeLabel)}</text>`);
  }
  body.push(...axes(box, x, y, xTicks, niceTicks(0, yTop, 4), o.xLabel, o.yLabel));
  for (const s of series) {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    body.push(`<polyline class="line ${s.cls}" fill="none" points="${pts.map(([a, b]) => `${f(x(a))},${f(y(b))}`).join(' ')}" data-series="${escapeHtml(s.name)}" data-points="${pts.length}"/>`);
    if (pts.length <= 40) for (const [a, b] of pts) body.push(`<circle class="dot ${s.cls}" cx="${f(x(a))}" cy="${f(y(b))}" r="3.5" data-x="${a}" data-y="${b}"><title>${escapeHtml(s.name)}: ${axisNumber(b)} at ${axisNumber(a)}</title></circle>`);
  }
  if (series.length > 1) {
    series.forEach((s, i) => {
      const lx = box.width - PAD.right - 120, ly = PAD.top + 4 + i * 14;
      body.push(`<line class="line ${s.cls}" x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}"/><text class="legend" x="${lx + 20}" y="${ly + 4}">${escapeHtml(s.name)}</text>`);
    });
  }
  return frame(box, o.label, body, 'lines', { series: series.length });
}

// ---- horizontal bars ----

export interface BarRow { label: string; value: number; note?: string }

/** Horizontal bars, largest first as given (hot ops: self time per op type). */
export function barsSvg(rows: BarRow[], o: { label: string; unit: string; width?: number }): string {
  if (!rows.length) return '';
  const width = o.width ?? 640, rowH = 22, left = 150;
  const height = rows.length * rowH + 28;
  const top = Math.max(...rows.map((r) => r.value)) || 1;
  const x = scale(0, top, left, width - 90);
  const body: string[] = [];
  rows.forEach((r, i) => {
    const yy = 8 + i * rowH;
    body.push(`<text class="bar-label" x="${left - 6}" y="${yy + 14}" text-anchor="end">${escapeHtml(r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label)}</text>`);
    body.push(`<rect class="bar" x="${left}" y="${yy + 2}" width="${f(Math.max(1, x(r.value) - left))}" height="${rowH - 6}" data-label="${escapeHtml(r.label)}" data-value="${r.value}"><title>${escapeHtml(r.label)}: ${axisNumber(r.value)} ${escapeHtml(o.unit)}${r.note ? ` (${escapeHtml(r.note)})` : ''}</title></rect>`);
    body.push(`<text class="bar-value" x="${f(x(r.value) + 4)}" y="${yy + 14}">${axisNumber(r.value)} ${escapeHtml(o.unit)}${r.note ? ` · ${escapeHtml(r.note)}` : ''}</text>`);
  });
  return frame({ width, height }, o.label, body, 'bars', { rows: rows.length });
}
