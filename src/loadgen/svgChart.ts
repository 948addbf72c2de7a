// Minimal inline-SVG charts for the HTML report: a frame with axes and ticks, lines and bars in
// it. Produced as strings at report time so the page needs no script and no network.

export type Scale = (v: number) => number;
export type Tick = readonly [value: number, label: string];

export interface Frame {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Domain of x as drawn (callers pass log-transformed values for log axes). */
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  readonly xTicks: readonly Tick[];
  /** Default: about five round ticks over y. */
  readonly yTicks?: readonly Tick[];
  readonly width?: number;
  readonly height?: number;
}

const PAD = { left: 70, right: 20, top: 34, bottom: 48 };

/** A chart: `draw` gets the scales and returns the SVG of the data. */
export function chart(f: Frame, draw: (sx: Scale, sy: Scale) => string, legend: ReadonlyArray<readonly [string, string]> = []): string {
  const w = f.width ?? 560;
  const h = f.height ?? 300;
  const [x0, x1] = f.x[1] > f.x[0] ? f.x : [f.x[0], f.x[0] + 1];
  const [y0, y1] = f.y[1] > f.y[0] ? f.y : [f.y[0], f.y[0] + 1];
  const sx: Scale = (v) => PAD.left + ((v - x0) / (x1 - x0)) * (w - PAD.left - PAD.right);
  const sy: Scale = (v) => h - PAD.bottom - ((v - y0) / (y1 - y0)) * (h - PAD.top - PAD.bottom);
  const yTicks = f.yTicks ?? niceTicks(y0, y1);
  const grid = yTicks
    .map(([v, label]) => `<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${n(sy(v))}" y2="${n(sy(v))}" class="grid"/>` + `<text x="${PAD.left - 6}" y="${n(sy(v) + 4)}" text-anchor="end">${esc(label)}</text>`)
    .join('');
  const xt = f.xTicks
    .map(([v, label]) => `<line x1="${n(sx(v))}" x2="${n(sx(v))}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom + 5}" class="axis"/>` + `<text x="${n(sx(v))}" y="${h - PAD.bottom + 18}" text-anchor="middle">${esc(label)}</text>`)
    .join('');
  const leg = legend.map(([name, color], i) => `<rect x="${w - PAD.right - 130}" y="${PAD.top + 4 + i * 16}" width="10" height="10" fill="${color}"/><text x="${w - PAD.right - 115}" y="${PAD.top + 13 + i * 16}">${esc(name)}</text>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(f.title)}">` +
    `<text x="${w / 2}" y="18" text-anchor="middle" class="title">${esc(f.title)}</text>` +
    grid +
    `<g>${draw(sx, sy)}</g>` +
    `<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom}" class="axis"/>` +
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${h - PAD.bottom}" class="axis"/>` +
    xt +
    `<text x="${(PAD.left + w - PAD.right) / 2}" y="${h - 8}" text-anchor="middle">${esc(f.xLabel)}</text>` +
    `<text transform="translate(16 ${(PAD.top + h - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(f.yLabel)}</text>` +
    leg +
    '</svg>'
  );
}

export function polyline(points: ReadonlyArray<readonly [number, number]>, sx: Scale, sy: Scale, color: string): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ');
  return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
}

/** Bars from x0 to x1 of height y. */
export function bars(items: ReadonlyArray<readonly [number, number, number]>, sx: Scale, sy: Scale, color: string): string {
  const base = sy(0);
  return items
    .map(([a, b, y]) => {
      const x = sx(a);
      const width = Math.max(1, sx(b) - x - 1);
      return `<rect x="${n(x)}" y="${n(sy(y))}" width="${n(width)}" height="${n(Math.max(0, base - sy(y)))}" fill="${color}"/>`;
    })
    .join('');
}

/** About `count` ticks at round values (1, 2, 5 x 10^k) from lo to hi. */
export function niceTicks(lo: number, hi: number, count = 5): Tick[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push([v, label(v)]);
  return ticks;
}

/** Rounds an upper bound up to a round number so the top tick closes the chart. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  return ([1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * mag >= v) ?? 10) * mag;
}

function label(v: number): string {
  const r = Math.round(v * 1e6) / 1e6;
  return Math.abs(r) >= 10_000 ? `${r / 1000}k` : String(r);
}

function n(v: number): string {
  return v.toFixed(1);
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
