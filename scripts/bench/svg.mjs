// A small hand-written SVG line chart: p99 latency (log scale) against offered load, one line per system.
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function latencyChart(series, title) {
  const W = 720,
    H = 420,
    L = 70,
    R = 230,
    T = 40,
    B = 50;
  const pts = series.flatMap((s) => s.points);
  const xMax = Math.max(...pts.map((p) => p.offered)) * 1.05;
  const ys = pts.map((p) => p.p99).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(...ys))),
    hi = Math.ceil(Math.log10(Math.max(...ys)));
  const x = (v) => L + (v / xMax) * (W - L - R);
  const y = (v) => T + (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14">${esc(title)}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${L - 8}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`,
    );
  }
  const step = xMax > 20000 ? 5000 : xMax > 8000 ? 2000 : 1000;
  for (let v = 0; v <= xMax; v += step)
    out.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${H - B}" y2="${H - B + 5}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${H - B + 18}" text-anchor="middle">${v / 1000}k</text>`,
    );
  out.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">offered load (messages/s, all senders)</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">p99 send-to-receive latency</text>`,
  );
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = [...s.points].sort((a, b) => a.offered - b.offered);
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map((q) => `${x(q.offered).toFixed(1)},${y(q.p99).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const q of p)
      out.push(
        `<circle cx="${x(q.offered).toFixed(1)}" cy="${y(q.p99).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.name}: offered ${q.offered}/s, achieved ${Math.round(q.achieved)}/s, p99 ${q.p99.toFixed(2)} ms`)}</title></circle>`,
      );
    out.push(
      `<rect x="${W - R + 15}" y="${T + i * 22}" width="12" height="12" fill="${c}"/>`,
      `<text x="${W - R + 32}" y="${T + i * 22 + 10}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
