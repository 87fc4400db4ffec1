import type { ReportModel } from './model.js';

/**
 * A run report as one self-contained HTML file: the model as JSON, uPlot's script and style inlined
 * (no network: it opens from a disk, a mail, an artifact store), a little script that draws each
 * chart. Pure: the model and uPlot's files in, the page out.
 */
export interface ChartLibrary {
  /** uPlot's IIFE build (defines the global uPlot) */
  js: string;
  css: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: nothing in it may close the element or open a comment */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
/** a library inside <script>: a literal "</script" in it would end the element */
const scriptText = (js: string) => js.replace(/<\/script/gi, '<\\/script');

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }
th { color: #555; font-weight: 600; } .kv td:first-child { color: #555; white-space: nowrap; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; }
.chart { margin: 8px 0 20px; } .note { color: #777; font-size: 12px; }
`;

/** Runs in the page: draws each chart of the model with uPlot; window.elfReport tells tests what was drawn. */
const DRAW = `
(function () {
  var model = JSON.parse(document.getElementById('elf-model').textContent);
  var drawn = [];
  model.charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    var opts = {
      width: Math.min(1060, el.clientWidth || 1060), height: 260,
      scales: { x: { time: c.time } },
      axes: [{ label: c.time ? undefined : 'things, worst first' }, { label: c.unit, size: 60 }],
      series: [{}].concat(c.series.map(function (s) { return { label: s.label, stroke: s.color, width: 1.5, spanGaps: false, points: { show: c.x.length < 60 } }; })),
    };
    var plot = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
    var points = c.series.reduce(function (n, s) { return n + s.values.filter(function (v) { return v !== null; }).length; }, 0);
    el.setAttribute('data-points', String(points));
    drawn.push({ id: c.id, points: points, plot: plot });
  });
  window.elfReport = { charts: drawn.map(function (d) { return { id: d.id, points: d.points }; }) };
})();
`;

function kvTable(rows: Array<[string, string]>): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function table(t: ReportModel['tables'][number]): string {
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<h2>${escapeHtml(t.title)}</h2><table>${head}${body}</table>${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''}`;
}

export function renderReportHtml(model: ReportModel, lib: ChartLibrary): string {
  const charts = model.charts
    .map((c) => `<section class="chart"><h2>${escapeHtml(c.title)}</h2><div id="chart-${escapeHtml(c.id)}" class="plot"></div>${c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : ''}</section>`)
    .join('\n');
  const noCharts = model.charts.length === 0 ? '<p class="note">no per-second figures in this summary (it was written without --report)</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${lib.css}</style>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<p class="sub">${escapeHtml(model.subtitle)}</p>
<div class="grid"><div><h2>Figures</h2>${kvTable(model.figures)}</div><div><h2>Parameters</h2>${kvTable(model.params)}</div></div>
${charts}${noCharts}
${model.tables.map(table).join('\n')}
<script id="elf-model" type="application/json">${scriptJson(model)}</script>
<script>${scriptText(lib.js)}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
