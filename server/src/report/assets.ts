/**
 * The report page's stylesheet and script, inlined under the page's nonce (a webview and a CI
 * artifact both open with no network and no extra files). Colours: VS Code's theme variables, with
 * light/dark fallbacks for a browser; high-contrast themes get borders on every mark.
 */
export const REPORT_STYLE = `
:root {
  --fg: var(--vscode-editor-foreground, #1f2328);
  --bg: var(--vscode-editor-background, #ffffff);
  --muted: var(--vscode-descriptionForeground, #59636e);
  --grid: var(--vscode-editorWidget-border, #d1d9e0);
  --panel: var(--vscode-editorWidget-background, #f6f8fa);
  --focus: var(--vscode-focusBorder, #0969da);
  --hc: var(--vscode-contrastBorder, transparent);
  --c1: var(--vscode-charts-blue, #2f81f7);
  --c2: var(--vscode-charts-orange, #d4761c);
  --c3: var(--vscode-charts-purple, #8250df);
  --ok: var(--vscode-charts-green, #1a7f37);
  --bad: var(--vscode-charts-red, #cf222e);
  --p50: var(--vscode-charts-green, #1a7f37);
  --p95: var(--vscode-charts-orange, #bc4c00);
  --p99: var(--vscode-charts-red, #cf222e);
  --row-hover: var(--vscode-list-hoverBackground, #eaeef2);
  --chosen: var(--vscode-list-inactiveSelectionBackground, #ddf4ff);
  --btn-bg: var(--vscode-button-background, #0969da);
  --btn-fg: var(--vscode-button-foreground, #ffffff);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: var(--vscode-editor-foreground, #e6edf3); --bg: var(--vscode-editor-background, #0d1117);
    --muted: var(--vscode-descriptionForeground, #9198a1); --grid: var(--vscode-editorWidget-border, #30363d);
    --panel: var(--vscode-editorWidget-background, #161b22); --row-hover: var(--vscode-list-hoverBackground, #1f2630);
    --chosen: var(--vscode-list-inactiveSelectionBackground, #1c2d41);
    --c1: var(--vscode-charts-blue, #4493f8); --ok: var(--vscode-charts-green, #3fb950); --bad: var(--vscode-charts-red, #f85149);
    --p50: var(--vscode-charts-green, #3fb950); --p95: var(--vscode-charts-orange, #db6d28); --p99: var(--vscode-charts-red, #f85149);
  }
}
body { font-family: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif); font-size: var(--vscode-font-size, 14px);
  color: var(--fg); background: var(--bg); margin: 0 auto; padding: 0 20px 24px; max-width: 1100px; line-height: 1.45; }
header { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; border-bottom: 1px solid var(--grid); }
h1 { font-size: 1.35em; font-weight: 600; margin: 16px 0 10px; }
h2 { font-size: 1.1em; font-weight: 600; margin: 26px 0 6px; }
code { font-family: var(--vscode-editor-font-family, ui-monospace, monospace); font-size: 0.95em; }
.meta, .note, footer { color: var(--muted); }
.note { margin: 2px 0 8px; font-size: 0.92em; }
footer { margin-top: 32px; font-size: 0.85em; }
.actions button { background: var(--btn-bg); color: var(--btn-fg); border: 1px solid var(--hc); border-radius: 3px; padding: 4px 10px; margin-left: 6px; cursor: pointer; font: inherit; }
.actions button:hover { filter: brightness(1.1); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.card { background: var(--panel); border: 1px solid var(--hc); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card.lead { border-left: 3px solid var(--c1); }
.card-label { color: var(--muted); font-size: 0.85em; }
.card-value { font-size: 1.5em; font-weight: 600; font-variant-numeric: tabular-nums; }
.card-sub { color: var(--muted); font-size: 0.8em; }
.warnings { color: var(--p95); padding-left: 1.2em; }
.verdict { margin: 12px 0; padding: 10px 14px; border-radius: 6px; background: var(--panel); border-left: 4px solid var(--bad); }
.verdict.ok { border-left-color: var(--ok); }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; border: 1px solid var(--grid); color: var(--muted); }
.badge.ok { color: var(--ok); border-color: var(--ok); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; min-width: 50%; }
caption { text-align: left; color: var(--muted); font-size: 0.9em; padding-bottom: 4px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
th { font-weight: 600; }
.num { text-align: right; }
tr.chosen { background: var(--chosen); font-weight: 600; }
tr.has-line { cursor: pointer; }
tr.has-line:hover, tr.has-line:focus { background: var(--row-hover); }
body:not(.interactive) tr.has-line { cursor: default; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px; align-items: start; }
svg.chart { max-width: 720px; display: block; margin: 6px 0; overflow: visible; }
svg .grid { stroke: var(--grid); stroke-width: 1; stroke-dasharray: 2 3; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg text { fill: var(--muted); font-size: 11px; font-family: inherit; }
svg .axis-label { font-size: 11px; }
svg .bar { fill: var(--c1); stroke: var(--hc); }
svg .bar:hover { fill-opacity: 0.8; }
svg .bar-label, svg .bar-value, svg .legend { fill: var(--fg); font-size: 12px; }
svg .marker { stroke-width: 2; stroke-dasharray: 4 2; }
svg .marker.p50 { stroke: var(--p50); } svg .marker.p95 { stroke: var(--p95); } svg .marker.p99 { stroke: var(--p99); }
svg .marker-label { font-weight: 600; }
svg .marker-label.p50 { fill: var(--p50); } svg .marker-label.p95 { fill: var(--p95); } svg .marker-label.p99 { fill: var(--p99); }
svg .shade { fill: var(--muted); fill-opacity: 0.15; }
svg .line { stroke-width: 1.6; fill: none; }
svg .line.s1 { stroke: var(--c1); } svg .line.s2 { stroke: var(--c2); } svg .line.s3 { stroke: var(--c3); }
svg .dot.s1 { fill: var(--c1); } svg .dot.s2 { fill: var(--c2); } svg .dot.s3 { fill: var(--c3); }
svg .dot { stroke: var(--hc); }
body.vscode-high-contrast svg .bar, body.vscode-high-contrast svg .dot { stroke-width: 1; }
`;

/** Interactive mode only: hot-node rows reveal their line; Export buttons ask the extension to save. */
export const REPORT_SCRIPT = `(function () {
  if (typeof acquireVsCodeApi !== 'function') return;
  var api = acquireVsCodeApi();
  function reveal(tr) {
    api.postMessage({ type: 'reveal', node: tr.getAttribute('data-node'), line: Number(tr.getAttribute('data-line')) });
  }
  document.querySelectorAll('tr.has-line').forEach(function (tr) {
    tr.addEventListener('click', function () { reveal(tr); });
    tr.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); reveal(tr); }
    });
  });
  document.querySelectorAll('button[data-export]').forEach(function (b) {
    b.addEventListener('click', function () { api.postMessage({ type: 'export', format: b.getAttribute('data-export') }); });
  });
})();`;
