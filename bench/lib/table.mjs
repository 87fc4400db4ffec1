// Plain-text tables for stdout and markdown tables for BENCHMARKS.md.

const cell = (v) => (v === undefined || v === null ? '—' : String(v));

export function textTable(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map(cell));
  const widths = headers.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(headers, rows) {
  const r = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  return [r(headers), r(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(r)].join('\n');
}

/** 12345.6 → "12,346" */
export const int = (x) => (x === undefined || x === null || Number.isNaN(x) ? undefined : Math.round(x).toLocaleString('en-US'));
export const fixed = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? undefined : x.toFixed(d));
export const pct = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? undefined : `${(x * 100).toFixed(d)}%`);
