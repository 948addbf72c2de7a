// The --html report: one self-contained page (inline CSS, inline SVG, no script, no network)
// with the numbers of the text report, the latency percentile curve, a latency histogram and
// throughput over time. Everything on it comes from the BenchResult.
import type { BenchResult } from './result';
import { bars, chart, esc, niceMax, polyline, type Tick } from './svgChart';
import { describeErrors, hitRateText, ms, textReport } from './reportText';
import { fmt } from './summarize';

const BLUE = '#2f6fdb';
const RED = '#d64545';

export function htmlReport(r: BenchResult): string {
  const l = r.latency_ms;
  const cards: Array<[string, string]> = [
    ['Total', String(r.total)],
    ['Success', String(r.success)],
    ['Failed', String(r.failed)],
    ['Duration', `${r.duration_s.toFixed(3)} s`],
    ['QPS', fmt(r.qps)],
    ['p99', l ? `${ms(l.p99)} ms` : '-'],
    ['Hit rate', r.hit_rate?.percent != null ? `${r.hit_rate.percent.toFixed(2)}%` : 'n/a'],
  ];
  const verdictClass = r.verdict.passed === true ? 'pass' : r.verdict.passed === false ? 'fail' : '';
  const latencyRow = l
    ? `<tr>${[l.avg, l.p50, l.p90, l.p95, l.p99, l.p99_9, l.max].map((v) => `<td>${ms(v)}</td>`).join('')}</tr>`
    : '<tr><td colspan="7">no successful requests</td></tr>';
  const perTarget = r.per_target
    .map((t) => `<tr><td>${esc(t.target)}</td><td>${t.total}</td><td>${t.success}</td><td>${t.failed}</td><td>${fmt(t.qps)}</td><td>${t.latency_ms ? ms(t.latency_ms.p50) : '-'}</td><td>${t.latency_ms ? ms(t.latency_ms.p99) : '-'}</td></tr>`)
    .join('');
  const c = r.config;
  const config: Array<[string, string]> = [
    ['targets', c.targets.join(', ')],
    ['bound', c.requests === null ? `${c.max_seconds} s` : `${c.requests} requests, at most ${c.max_seconds} s`],
    ['concurrent', String(c.concurrent)],
    ['repeat', c.repeat > 0 ? `${c.repeat} (hot data)` : `0 (random, ${c.distinct_requests} distinct)`],
    ['warm-up', c.warmup],
    ['seed', String(c.seed)],
    ['timeout', `${c.timeout_ms} ms`],
    ['subjects', String(c.subjects)],
    ['indicators', c.indicators.join(', ')],
    ['started', r.started_at],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>kamaitachi bench - scenario ${r.scenario.id}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1160px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:#5a6272;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:8px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#5a6272;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.verdict{margin:14px 0;padding:10px 14px;border-radius:8px;background:#f1f3f7}.verdict.pass{background:#e5f5ea}.verdict.fail{background:#fbeaea}
table{border-collapse:collapse;margin:4px 0}td,th{border-bottom:1px solid #e4e8ef;padding:4px 12px;text-align:right}th{background:#f6f7fa}
td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fff;border:1px solid #dde2ea;border-radius:8px;font-size:11px;fill:#333}
svg .title{font-size:13px;font-weight:600}svg .grid{stroke:#eceff4}svg .axis{stroke:#8a93a3}
pre{background:#f6f7fa;padding:12px;border-radius:8px;overflow:auto;font-size:12px}
</style></head><body>
<h1>kamaitachi bench - scenario ${r.scenario.id}</h1>
<p class="sub">${esc(r.scenario.name)}<br>${esc(c.targets.join(', '))} - ${c.concurrent} connections - ${esc(r.started_at)}</p>
<div class="cards">${cards.map(([k, v]) => `<div class="card"><span>${k}</span><b>${esc(v)}</b></div>`).join('')}</div>
<div class="verdict ${verdictClass}"><b>Verdict:</b> ${esc(r.verdict.text)}${r.original ? ` - the original measured ~${r.original.qps} QPS, hit rate ~${r.original.hit_rate}%` : ''}<br>
<b>Cache hit rate:</b> ${esc(hitRateText(r))}${r.failed > 0 ? `<br><b>Failures:</b> ${esc(describeErrors(r.errors))}` : ''}</div>
<h2>Latency (ms, successful requests)</h2>
<table><tr><th>avg</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>${latencyRow}</table>
<div class="charts">
${percentileChart(r)}
${histogramChart(r)}
${throughputChart(r)}
</div>
<h2>Per target</h2>
<table><tr><th>target</th><th>total</th><th>success</th><th>failed</th><th>qps</th><th>p50 ms</th><th>p99 ms</th></tr>${perTarget}</table>
${errorTables(r)}
<h2>Run</h2>
<table>${config.map(([k, v]) => `<tr><td>${k}</td><td style="text-align:left">${esc(v)}</td></tr>`).join('')}</table>
<h2>Text report</h2>
<pre>${esc(textReport(r))}</pre>
</body></html>
`;
}

/** x = log10(1 / (1 - p)): 0 at p0, 1 at p90, 2 at p99, ... */
function percentileChart(r: BenchResult): string {
  const pts = r.curves.percentiles;
  if (pts.length === 0) return '';
  const tx = (p: number) => (p >= 100 ? lastX(pts) : -Math.log10(1 - p / 100));
  const data = pts.map(([p, v]) => [tx(p), v] as const);
  const xMax = lastX(pts);
  const ticks: Tick[] = [];
  const names = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  for (let i = 0; i < names.length && i <= xMax; i++) ticks.push([i, names[i]]);
  const yMax = niceMax(Math.max(...pts.map(([, v]) => v)));
  return chart({ title: 'Latency by percentile', xLabel: 'percentile', yLabel: 'latency (ms)', x: [0, xMax], y: [0, yMax], xTicks: ticks }, (sx, sy) =>
    polyline(data, sx, sy, BLUE),
  );
}

function lastX(pts: ReadonlyArray<readonly [number, number]>): number {
  const below = pts.filter(([p]) => p < 100);
  const x = below.length ? -Math.log10(1 - below[below.length - 1][0] / 100) : 0;
  return Math.max(1, Math.ceil(x * 2) / 2 + 0.25);
}

/** Log-spaced bins drawn on a log10 x axis. */
function histogramChart(r: BenchResult): string {
  const bins = r.curves.histogram;
  if (bins.length === 0) return '';
  const lx = (v: number) => Math.log10(Math.max(v, 1e-4));
  const x0 = lx(bins[0][0]);
  const x1 = lx(bins[bins.length - 1][1]);
  const ticks: Tick[] = [];
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) ticks.push([e, `${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}`]);
  for (const v of [bins[0][0], bins[bins.length - 1][1]]) if (!ticks.some(([t]) => Math.abs(t - lx(v)) < 0.15 * (x1 - x0))) ticks.push([lx(v), ms(v)]);
  const yMax = niceMax(Math.max(...bins.map(([, , n]) => n)));
  return chart({ title: 'Latency histogram', xLabel: 'latency (ms, log scale)', yLabel: 'requests', x: [x0, x1], y: [0, yMax], xTicks: ticks }, (sx, sy) =>
    bars(bins.map(([a, b, n]) => [lx(a), lx(b), n] as const), sx, sy, BLUE),
  );
}

function throughputChart(r: BenchResult): string {
  const pts = r.curves.throughput;
  if (pts.length === 0) return '';
  const step = pts.length > 1 ? pts[1][0] - pts[0][0] : r.duration_s;
  // Each point is drawn at the middle of its slot.
  const ok = pts.map(([t, v]) => [t + step / 2, v] as const);
  const failed = pts.map(([t, , v]) => [t + step / 2, v] as const);
  const anyFailed = failed.some(([, v]) => v > 0);
  const xMax = Math.max(r.duration_s, step);
  const yMax = niceMax(Math.max(...pts.map(([, a, b]) => Math.max(a, b))));
  const ticks: Tick[] = [];
  const tStep = niceStep(xMax / 6);
  for (let t = 0; t <= xMax + 1e-9; t += tStep) ticks.push([t, `${Math.round(t * 100) / 100}s`]);
  const legend: Array<[string, string]> = [['successful/s', BLUE]];
  if (anyFailed) legend.push(['failed/s', RED]);
  return chart(
    { title: 'Throughput over time', xLabel: 'time since start (s)', yLabel: 'requests/s', x: [0, xMax], y: [0, yMax], xTicks: ticks, width: 1140 },
    (sx, sy) => polyline(ok, sx, sy, BLUE) + (anyFailed ? polyline(failed, sx, sy, RED) : ''),
    legend,
  );
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  return ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

function errorTables(r: BenchResult): string {
  if (r.failed === 0) return '';
  const statuses = Object.entries(r.errors.by_status);
  const kinds = Object.entries(r.errors.by_kind).filter(([, n]) => n > 0);
  return (
    '<h2>Errors</h2><table><tr><th>kind</th><th>count</th><th>first seen</th></tr>' +
    kinds.map(([k, n]) => `<tr><td>${k}</td><td>${n}</td><td style="text-align:left">${esc(r.errors.samples[k] ?? '')}</td></tr>`).join('') +
    '</table>' +
    (statuses.length
      ? '<table><tr><th>HTTP status</th><th>count</th></tr>' + statuses.map(([s, n]) => `<tr><td>${s}</td><td>${n}</td></tr>`).join('') + '</table>'
      : '')
  );
}
