/**
 * The model editor's page (what opening a `.onnx` shows): the model at a glance (parameters, MACs and
 * FLOPs at the configured dims, weights by dtype), the op-type table (sortable; measured time when a
 * profile is cached), inputs and outputs, findings with their fixes, the last benchmark and the cost,
 * and the actions. Pure, like the report: same stylesheet, CSP and nonce rules.
 */
import { formatBytesShort, formatMs, formatUsd, type CostJson } from '../cost/report';
import type { BenchResult } from '../bench/types';
import type { ModelSummary } from '../onnx/summary';
import { REPORT_STYLE } from './assets';
import { escapeHtml as esc } from './escape';

export interface ModelPageData {
  file: string;
  summary?: ModelSummary;
  /** findings on the model: message, rule, severity, fix titles */
  findings: Array<{ rule: string; message: string; severity?: string; fixes?: Array<{ title: string }> }>;
  cost?: CostJson;
  costError?: string;
  last?: BenchResult;
}

/** Messages the page posts: a palette action on this model. */
export type ModelPageMessage =
  | { type: 'action'; action: 'benchmark' | 'profile' | 'quantize' | 'optimize' | 'compare' | 'text' | 'report' | 'dims' }
  /** new values for symbolic dims, edited in place on the page */
  | { type: 'dims'; dims: Record<string, number> };

const count = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));
const shape = (s: Array<number | string | null> | null): string => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : 'unknown shape');

const MODEL_SCRIPT = `(function () {
  var api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  var apply = document.getElementById('apply-dims');
  if (apply) apply.addEventListener('click', function () {
    var dims = {}, ok = true;
    document.querySelectorAll('input[data-dim]').forEach(function (i) {
      var v = Number(i.value);
      if (!(v >= 1) || Math.floor(v) !== v) { ok = false; i.setAttribute('aria-invalid', 'true'); } else { i.removeAttribute('aria-invalid'); dims[i.getAttribute('data-dim')] = v; }
    });
    if (ok && api) api.postMessage({ type: 'dims', dims: dims });
  });
  document.querySelectorAll('button[data-action]').forEach(function (b) {
    b.addEventListener('click', function () { if (api) api.postMessage({ type: 'action', action: b.getAttribute('data-action') }); });
  });
  // Sortable op table: a header click (or Enter on it) sorts by that column, numbers descending.
  document.querySelectorAll('table.sortable th[data-col]').forEach(function (th) {
    function sort() {
      var table = th.closest('table'), body = table.tBodies[0], col = Number(th.getAttribute('data-col'));
      var num = th.classList.contains('num');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v') || a.cells[col].textContent, y = b.cells[col].getAttribute('data-v') || b.cells[col].textContent;
        return num ? Number(y) - Number(x) : String(x).localeCompare(String(y));
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll('th[aria-sort]').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', num ? 'descending' : 'ascending');
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
  });
})();`;

export function renderModelPage(d: ModelPageData, o: { nonce: string; cspSource?: string }): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('the model page needs a nonce of at least 16 base64 characters');
  const name = d.file.split(/[\\/]/).pop() ?? d.file;
  const csp = ["default-src 'none'", `style-src 'nonce-${o.nonce}'`, `script-src 'nonce-${o.nonce}'`, `img-src data:${o.cspSource ? ` ${o.cspSource}` : ''}`].join('; ');
  const s = d.summary;
  const body: string[] = [];
  const actions = [['benchmark', 'Benchmark'], ['profile', 'Profile'], ['quantize', 'Quantize…'], ['optimize', 'Optimize…'], ['compare', 'Compare…'], ['text', 'Open as Text']]
    .map(([a, t]) => `<button type="button" data-action="${a}">${t}</button>`).join('');
  if (!s) {
    body.push(`<p class="bad">This model could not be read.</p><ul>${d.findings.map((f) => `<li>${esc(f.message)}</li>`).join('')}</ul>`);
  } else {
    const cards = [
      ['parameters', count(s.params), `${s.nodes} nodes`],
      ['MACs', s.macs !== undefined ? `${s.incomplete ? '≥ ' : ''}${count(s.macs)}` : 'unknown', 'per inference'],
      ['FLOPs', s.flops !== undefined ? `${s.incomplete ? '≥ ' : ''}${count(s.flops)}` : 'unknown', s.dims && Object.keys(s.dims).length ? `at ${Object.entries(s.dims).map(([k, v]) => `${k}=${v}`).join(', ')}` : 'static shapes'],
      ['weights', formatBytesShort(s.weightBytes), `file ${formatBytesShort(s.fileSize)}${s.externalData ? ' + external data' : ''}`],
    ];
    if (d.cost) cards.push(['p95', formatMs(d.cost.latencyMs.p95), d.cost.basis], ['$ per 1k', formatUsd(d.cost.per1k), d.cost.instance], ['$ per month', formatUsd(d.cost.perMonth), `${d.cost.traffic.requestsPerSec} req/s`]);
    body.push(`<div class="cards">${cards.map(([l, v, sub]) => `<div class="card"><div class="card-label">${esc(l)}</div><div class="card-value">${esc(v)}</div><div class="card-sub">${esc(sub)}</div></div>`).join('')}</div>`);
    if (s.dims && Object.keys(s.dims).length) {
      // Editable in place: Apply writes inferenceLens.dims and every figure here (and in hovers) follows.
      const inputs = Object.entries(s.dims).map(([k, v]) => `<label><code>${esc(k)}</code> <input type="number" min="1" step="1" data-dim="${esc(k)}" value="${v}" aria-label="value of dim ${esc(k)}"></label>`).join(' ');
      body.push(`<p class="note dims">Symbolic dims: ${inputs} <button type="button" id="apply-dims">Apply</button> <button type="button" class="link" data-action="dims">Settings…</button></p>`);
    }
    if (d.costError) body.push(`<p class="note">Cost: ${esc(d.costError)}</p>`);

    // Measured time per model op type: each profiled node counts for the model node it maps to (a fused
    // FusedMatMul for the model's MatMul); nodes ORT invented (layout reorders) count nowhere.
    const measured = new Map<string, number>();
    for (const n of d.last?.profile?.nodes ?? []) {
      const op = n.modelOpType ?? (s.opCounts[n.opType] ? n.opType : undefined);
      if (op) measured.set(op, (measured.get(op) ?? 0) + n.ms);
    }
    const ops = Object.entries(s.opCounts).map(([op, n]) => {
      const c = s.opTypes?.[op];
      return { op, n, macs: c?.macs ?? 0, params: c?.params ?? 0, ms: measured.get(op) };
    }).sort((a, b) => b.macs - a.macs || b.n - a.n);
    const th = (label: string, col: number, num: boolean): string => `<th scope="col" data-col="${col}" tabindex="0"${num ? ' class="num"' : ''}>${label}</th>`;
    body.push(`<section id="ops"><h2>Operators</h2><p class="note">Click a column to sort${measured.size ? '; measured time from the last profile' : ''}.</p><div class="table-wrap"><table class="sortable"><caption>Op types</caption><thead><tr>${th('op', 0, false)}${th('count', 1, true)}${th('MACs', 2, true)}${th('params', 3, true)}${th('measured ms', 4, true)}</tr></thead><tbody>` +
      ops.map((r) => `<tr><td>${esc(r.op)}</td><td class="num" data-v="${r.n}">${r.n}</td><td class="num" data-v="${r.macs}">${r.macs ? count(r.macs) : '–'}</td><td class="num" data-v="${r.params}">${r.params ? count(r.params) : '–'}</td><td class="num" data-v="${r.ms ?? -1}">${r.ms !== undefined ? r.ms.toPrecision(3) : '–'}</td></tr>`).join('') +
      '</tbody></table></div></section>');

    const dtypes = Object.entries(s.weightBytesByType).sort((a, b) => b[1] - a[1]);
    body.push(`<section id="weights"><h2>Weights by type</h2><div class="table-wrap"><table><thead><tr><th>type</th><th class="num">bytes</th><th class="num">share</th></tr></thead><tbody>${dtypes.map(([t, b]) => `<tr><td>${esc(t)}</td><td class="num">${formatBytesShort(b)}</td><td class="num">${s.weightBytes ? ((b / s.weightBytes) * 100).toFixed(1) : '0'} %</td></tr>`).join('')}</tbody></table></div></section>`);
    const io = (label: string, xs: typeof s.inputs): string => xs.map((x) => `<tr><td>${label}</td><td><code>${esc(x.name)}</code></td><td>${esc(x.type)}</td><td>${esc(shape(x.shape))}</td></tr>`).join('');
    body.push(`<section id="io"><h2>Inputs and outputs</h2><div class="table-wrap"><table><tbody>${io('input', s.inputs)}${io('output', s.outputs)}</tbody></table></div></section>`);
  }
  if (s && d.findings.length) {
    body.push(`<section id="findings"><h2>Findings</h2><ul class="findings">${d.findings.map((f) => `<li><strong>${esc(f.rule)}</strong> ${esc(f.message)}${f.fixes?.length ? `<div class="note">fix: ${f.fixes.map((x) => esc(x.title)).join(' · ')}</div>` : ''}</li>`).join('')}</ul></section>`);
  }
  if (d.last) {
    const l = d.last;
    body.push(`<section id="last"><h2>Last benchmark</h2><p>p50 ${formatMs(l.latencyMs.p50)} · p95 ${formatMs(l.latencyMs.p95)} · ${l.throughput.inferencesPerSec.toPrecision(3)} /s · ${esc(l.ep)}, batch ${l.batch} · ${esc(l.measuredAt.replace('T', ' ').slice(0, 16))} <button type="button" class="link" data-action="report">Open Report</button></p></section>`);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${esc(name)}</title>
<style nonce="${o.nonce}">${REPORT_STYLE}
button.link { background: none; border: none; color: var(--focus); cursor: pointer; padding: 0; font: inherit; text-decoration: underline; }
th[data-col] { cursor: pointer; } th[aria-sort]::after { content: ' ▾'; }
ul.findings li { margin-bottom: 6px; }
.dims input { width: 5em; background: var(--panel); color: var(--fg); border: 1px solid var(--grid); padding: 1px 4px; }
.dims input[aria-invalid] { border-color: var(--bad); }</style></head>
<body class="interactive">
<header><h1>${esc(name)}</h1><nav class="actions" aria-label="Actions">${actions}</nav></header>
<main>
${body.join('\n')}
</main>
<script nonce="${o.nonce}">${MODEL_SCRIPT}</script>
</body></html>`;
}
