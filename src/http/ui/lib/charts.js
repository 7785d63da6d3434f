// Hand-written SVG charts: bars, grouped bars, lines with points, and a canvas heatmap.
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0ea5e9'];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}
const text = (x, y, str, attrs = {}) => s('text', { x, y, 'font-size': 11, fill: '#334155', ...attrs }, String(str));

function frame(width, height, title) {
  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
  });
  svg.append(text(8, 14, title, { 'font-size': 13, 'font-weight': 600, fill: '#0f172a' }));
  return svg;
}

/** A round axis top (1, 2, 2.5, 5 x 10^k) above `max`, so counts get whole-number ticks. */
export function niceMax(max, integer) {
  if (!(max > 0)) return 1;
  const step = max / 4;
  const mag = 10 ** Math.floor(Math.log10(step));
  const nice =
    [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= step && (!integer || Number.isInteger(m))) ??
    Math.ceil(step);
  return nice * 4;
}

function axes(svg, box, maxY, yLabel) {
  const { x0, y0, x1, y1 } = box;
  svg.append(
    s('line', { x1: x0, y1: y1, x2: x1, y2: y1, stroke: '#94a3b8' }),
    s('line', { x1: x0, y1: y0, x2: x0, y2: y1, stroke: '#94a3b8' }),
  );
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    const y = y1 - ((y1 - y0) * k) / 4;
    svg.append(s('line', { x1: x0, y1: y, x2: x1, y2: y, stroke: '#e2e8f0' }));
    svg.append(text(x0 - 4, y + 4, Number.isInteger(v) ? v : v.toFixed(2), { 'text-anchor': 'end', 'font-size': 10 }));
  }
  if (yLabel)
    svg.append(
      text(12, (y0 + y1) / 2, yLabel, {
        transform: `rotate(-90 12 ${(y0 + y1) / 2})`,
        'text-anchor': 'middle',
        'font-size': 10,
      }),
    );
}

/** Histogram {edges, counts} as bars; returns the svg (data-total = sum of counts, for tests). */
export function histogramChart(hist, { title, xLabel = '', width = 420, height = 220, color = COLORS[0] } = {}) {
  const svg = frame(width, height, title);
  const box = { x0: 46, y0: 26, x1: width - 10, y1: height - 34 };
  const max = niceMax(Math.max(1, ...hist.counts), true);
  axes(svg, box, max, 'count');
  const bw = (box.x1 - box.x0) / hist.counts.length;
  hist.counts.forEach((c, i) => {
    const hgt = ((box.y1 - box.y0) * c) / max;
    const r = s('rect', {
      x: box.x0 + i * bw + 1,
      y: box.y1 - hgt,
      width: Math.max(1, bw - 2),
      height: hgt,
      fill: color,
      class: 'bar',
      'data-count': c,
    });
    r.append(s('title', {}, `${hist.edges[i].toFixed(2)}–${hist.edges[i + 1].toFixed(2)}: ${c}`));
    svg.append(r);
  });
  const ticks = [0, Math.floor(hist.counts.length / 2), hist.counts.length];
  for (const i of ticks)
    svg.append(
      text(box.x0 + i * bw, box.y1 + 14, hist.edges[i].toFixed(2), { 'text-anchor': 'middle', 'font-size': 10 }),
    );
  svg.append(text((box.x0 + box.x1) / 2, height - 4, xLabel, { 'text-anchor': 'middle', 'font-size': 10 }));
  svg.dataset.total = String(hist.counts.reduce((a, b) => a + b, 0));
  return svg;
}

/** Groups (categories) x series, e.g. labels x {gold, teacher}. */
export function groupedBarChart(categories, series, { title, width = 420, height = 220 } = {}) {
  const svg = frame(width, height, title);
  const box = { x0: 46, y0: 26, x1: width - 10, y1: height - 40 };
  const max = niceMax(Math.max(1, ...series.flatMap((se) => se.values)), true);
  axes(svg, box, max, 'count');
  const gw = (box.x1 - box.x0) / Math.max(1, categories.length);
  const bw = (gw * 0.8) / series.length;
  categories.forEach((cat, i) => {
    series.forEach((se, j) => {
      const v = se.values[i];
      const hgt = ((box.y1 - box.y0) * v) / max;
      const x = box.x0 + i * gw + gw * 0.1 + j * bw;
      const r = s('rect', {
        x,
        y: box.y1 - hgt,
        width: Math.max(1, bw - 2),
        height: hgt,
        fill: COLORS[j % COLORS.length],
        class: 'bar',
        'data-count': v,
      });
      r.append(s('title', {}, `${cat} · ${se.name}: ${v}`));
      svg.append(r, text(x + bw / 2 - 1, box.y1 - hgt - 3, v, { 'text-anchor': 'middle', 'font-size': 10 }));
    });
    svg.append(text(box.x0 + i * gw + gw / 2, box.y1 + 14, cat, { 'text-anchor': 'middle' }));
  });
  series.forEach((se, j) => {
    const x = box.x0 + j * 130;
    svg.append(
      s('rect', { x, y: height - 14, width: 10, height: 10, fill: COLORS[j % COLORS.length] }),
      text(x + 14, height - 5, se.name),
    );
  });
  return svg;
}

/** Lines over a shared x; each series {name, points: [[x, y], ...]}. */
export function lineChart(
  series,
  { title, xLabel = '', yMax, width = 420, height = 220, diagonal = false, xMin = 0, xMax } = {},
) {
  const svg = frame(width, height, title);
  const box = { x0: 46, y0: 26, x1: width - 10, y1: height - 40 };
  const xs = series.flatMap((se) => se.points.map((p) => p[0]));
  const lo = xMin;
  const hi = xMax ?? Math.max(...xs);
  const top = yMax ?? niceMax(Math.max(1e-9, ...series.flatMap((se) => se.points.map((p) => p[1]))), false);
  axes(svg, box, top);
  const X = (x) => box.x0 + ((x - lo) / (hi - lo || 1)) * (box.x1 - box.x0);
  const Y = (y) => box.y1 - (y / top) * (box.y1 - box.y0);
  if (diagonal)
    svg.append(
      s('line', {
        x1: X(lo),
        y1: Y(lo),
        x2: X(hi),
        y2: Y(Math.min(hi, top)),
        stroke: '#94a3b8',
        'stroke-dasharray': '4 3',
      }),
    );
  series.forEach((se, j) => {
    const c = COLORS[j % COLORS.length];
    if (se.points.length > 1)
      svg.append(
        s('polyline', {
          points: se.points.map((p) => `${X(p[0])},${Y(p[1])}`).join(' '),
          fill: 'none',
          stroke: c,
          'stroke-width': 2,
        }),
      );
    for (const p of se.points) {
      const dot = s('circle', { cx: X(p[0]), cy: Y(p[1]), r: 3.5, fill: c, class: 'point' });
      dot.append(s('title', {}, `${se.name}: (${p[0]}, ${p[1].toFixed(3)})`));
      svg.append(dot);
    }
    svg.append(
      s('rect', { x: box.x0 + j * 140, y: height - 14, width: 10, height: 10, fill: c }),
      text(box.x0 + j * 140 + 14, height - 5, se.name),
    );
  });
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    svg.append(
      text(X(v), box.y1 + 14, Number.isInteger(v) ? v : v.toFixed(1), { 'text-anchor': 'middle', 'font-size': 10 }),
    );
  }
  svg.append(text(box.x1, box.y1 + 26, xLabel, { 'text-anchor': 'end', 'font-size': 10 }));
  return svg;
}

/** n x n matrix (row-major Float array) on a canvas; darker = more attention. */
export function heatmapCanvas(values, n, { cell = 18, labels } = {}) {
  // room for token strings on the left and (rotated) on top
  const longest = Math.max(2, ...(labels ?? []).map((l) => l.length));
  const pad = labels ? Math.min(110, 12 + longest * 6) : 28;
  const canvas = document.createElement('canvas');
  canvas.width = pad + n * cell;
  canvas.height = pad + n * cell;
  canvas.className = 'heatmap';
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = values[i * n + j] / (max || 1);
      const shade = Math.round(255 - v * 220);
      ctx.fillStyle = `rgb(${shade}, ${shade}, 255)`;
      ctx.fillRect(pad + j * cell, pad + i * cell, cell - 1, cell - 1);
    }
  }
  ctx.fillStyle = '#334155';
  ctx.font = '10px sans-serif';
  for (let i = 0; i < n; i++) {
    const label = labels?.[i] ?? String(i);
    ctx.fillText(label, 2, pad + i * cell + cell * 0.7);
    ctx.save();
    ctx.translate(pad + i * cell + cell * 0.7, pad - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(label, 0, 0);
    ctx.restore();
  }
  return canvas;
}
