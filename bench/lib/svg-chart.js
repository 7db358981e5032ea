'use strict';
// A small line chart as plain SVG (no dependencies): numeric axes (x optionally logarithmic),
// one coloured polyline with dots per series, a legend. Used by bench/charts.js.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 720;
const H = 420;
const M = { left: 70, right: 190, top: 40, bottom: 60 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v) => (Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(2));

/** About five round ticks from 0 (or `lo`) to `hi`. */
function ticks(lo, hi) {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 && out.length < 20; v += nice) out.push(v);
  return out;
}

/**
 * @param {{title: string, xLabel: string, yLabel: string, logX?: boolean, xTicks?: number[],
 *   series: {name: string, points: [number, number][]}[], note?: string}} chart
 * @returns {string} the SVG document
 */
function lineChart(chart) {
  const series = chart.series.filter((s) => s.points.length > 0);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const fx = chart.logX ? Math.log10 : (v) => v;
  const [x0, x1] = xs.length ? [Math.min(...xs.map(fx)), Math.max(...xs.map(fx))] : [0, 1];
  const yMax = ys.length ? Math.max(...ys) * 1.1 : 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (v) => M.left + (x1 === x0 ? pw / 2 : ((fx(v) - x0) / (x1 - x0)) * pw);
  const Y = (v) => M.top + ph - (v / yMax) * ph;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#333"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#333"/>`,
  ];
  for (const t of ticks(0, yMax)) {
    out.push(`<line x1="${M.left}" y1="${Y(t)}" x2="${M.left + pw}" y2="${Y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end">${num(t)}</text>`);
  }
  for (const t of chart.xTicks ?? [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${X(t)}" y="${M.top + ph + 16}" text-anchor="middle">${num(t)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 22}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${X(p[0])},${Y(p[1])}`).join(' ')}"/>`);
    for (const p of pts)
      out.push(
        `<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="3" fill="${c}"><title>${esc(`${s.name}: ${num(p[0])}, ${num(p[1])}`)}</title></circle>`,
      );
    const ly = M.top + 10 + i * 18;
    out.push(`<rect x="${W - M.right + 14}" y="${ly - 9}" width="12" height="12" fill="${c}"/>`);
    out.push(`<text x="${W - M.right + 32}" y="${ly + 1}">${esc(s.name)}</text>`);
  });
  if (chart.note) out.push(`<text x="${M.left}" y="${H - 6}" font-size="10" fill="#666">${esc(chart.note)}</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}

module.exports = { lineChart };
