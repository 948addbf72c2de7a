// What the gateway's and the data nodes' status pages share: the stylesheet, the browser-side
// helpers (number formats, inline-SVG sparklines, the once-a-second poll of the data endpoint)
// and serving a page. Pages are plain strings bundled with the rest of the code: no CDN, no
// build step at run time. The browser code is written in plain JS (the project's TypeScript has
// no DOM types); the integration test loads each page in Chromium and fails on any console error.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export const PAGE_CSS = `
:root{--bg:#f4f6f8;--panel:#fff;--ink:#17202e;--muted:#5f6b7a;--line:#e2e6ea;--accent:#2563eb;
--ok:#11703f;--okbg:#dcf3e5;--warn:#8a5a00;--warnbg:#fff1cc;--bad:#b42318;--badbg:#fde4e1;--idle:#5f6b7a;--idlebg:#eceff2;
--c1:#2563eb;--c2:#0e9f6e;--c3:#c2410c}
@media (prefers-color-scheme:dark){:root{--bg:#0f141a;--panel:#171e26;--ink:#e6ebf0;--muted:#93a1b0;--line:#26303b;
--accent:#60a5fa;--ok:#5fd394;--okbg:#12311f;--warn:#f5c451;--warnbg:#3a2d08;--bad:#ff8a80;--badbg:#3d1512;--idle:#93a1b0;--idlebg:#222b35;
--c1:#60a5fa;--c2:#34d399;--c3:#fb923c}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:var(--bg);color:var(--ink)}
header{display:flex;align-items:baseline;flex-wrap:wrap;gap:6px 18px;padding:12px 24px;background:var(--panel);border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0;font-weight:650}
h1 small{font-weight:500;color:var(--muted);margin-left:6px}
.meta{color:var(--muted);font-size:13px}
.meta b{color:var(--ink);font-weight:550}
.updated{margin-left:auto;color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
main{padding:16px 24px;max-width:1440px;margin:0 auto}
.alert{padding:10px 14px;border-radius:6px;margin-bottom:12px;font-weight:550;border:1px solid transparent}
.alert.error{background:var(--badbg);color:var(--bad);border-color:var(--bad)}
.alert.warn{background:var(--warnbg);color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 14px 8px}
.card .label{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em;font-weight:600}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.25}
.card .value small{font-size:16px;color:var(--muted);font-weight:500}
.card .sub{color:var(--muted);font-size:12px;min-height:18px}
.card .spark{margin-top:4px;width:100%}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;margin-bottom:16px;overflow-x:auto}
.panel h2{font-size:11px;margin:0;padding:9px 14px;border-bottom:1px solid var(--line);text-transform:uppercase;color:var(--muted);letter-spacing:.05em;font-weight:600}
.panel h2 span{text-transform:none;letter-spacing:0;font-weight:400;margin-left:8px}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px}
@media (max-width:1000px){.split{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 12px;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:middle}
tr:last-child td{border-bottom:0}
th{font-size:11px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
td .addr{display:block;color:var(--muted);font-size:12px}
tr.gone td{opacity:.55}
.badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:650}
.badge.ok{background:var(--okbg);color:var(--ok)}
.badge.warn{background:var(--warnbg);color:var(--warn)}
.badge.bad{background:var(--badbg);color:var(--bad)}
.badge.idle{background:var(--idlebg);color:var(--idle)}
.metric{display:flex;align-items:center;justify-content:flex-end;gap:8px}
.metric .v{min-width:58px;text-align:right}
.bar{display:inline-block;width:72px;height:7px;background:var(--idlebg);border-radius:4px;overflow:hidden;vertical-align:middle}
.bar>i{display:block;height:100%;background:var(--accent)}
.bar.full>i{background:var(--warn)}
.ring{display:flex;height:18px;margin-top:10px;border-radius:4px;overflow:hidden;gap:2px}
.ring i{display:block;font-style:normal;font-size:11px;line-height:18px;text-align:center;overflow:hidden;white-space:nowrap;color:var(--panel);font-weight:600}
.ring i.ok{background:var(--ok)}
.ring i.warn{background:var(--warn)}
.ring i.bad{background:var(--bad)}
.ring i.idle{background:var(--idle)}
.bad{color:var(--bad)}
.why{color:var(--muted);font-size:12px;white-space:normal;max-width:340px}
.events{list-style:none;margin:0;padding:0;max-height:330px;overflow-y:auto;font-size:13px}
.events li{padding:6px 14px;border-bottom:1px solid var(--line);display:flex;gap:10px;align-items:baseline}
.events li:last-child{border-bottom:0}
.events time{color:var(--muted);font-variant-numeric:tabular-nums;flex:none}
.events .badge{flex:none;font-size:11px;padding:1px 7px}
.empty{color:var(--muted);padding:12px 14px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0;padding:10px 14px}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;font-variant-numeric:tabular-nums}
footer{color:var(--muted);font-size:12px;padding:0 24px 20px;text-align:center}
footer a{color:inherit}
`;

/** Browser helpers shared by both pages; each page's own script follows them. */
export const CLIENT_KIT = `
'use strict';
const $ = (id) => document.getElementById(id);
const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
const has = (v) => v !== null && v !== undefined;
function num(v, digits) {
  if (!has(v)) return '–';
  const d = digits || 0;
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
const perSec = (v) => (!has(v) ? '–' : num(v, v < 10 && v !== 0 ? 1 : 0));
const pct = (v) => (!has(v) ? '–' : num(v, v >= 99.95 || v === 0 ? 0 : 1) + '%');
function ms(v) {
  if (!has(v)) return '–';
  if (v < 1) return num(v * 1000, 0) + ' µs';
  if (v < 10) return num(v, 2) + ' ms';
  if (v < 1000) return num(v, 0) + ' ms';
  return num(v / 1000, 2) + ' s';
}
function bytes(b) {
  if (!has(b)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return (i === 0 ? String(b) : b.toFixed(b >= 100 ? 0 : 1)) + ' ' + units[i];
}
const clock = (t) => new Date(t).toLocaleTimeString('en-GB', { hour12: false });
function duration(s) {
  if (!has(s)) return '–';
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}
function bar(fraction, title) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  return '<span class="bar' + (f > 0.95 ? ' full' : '') + '" title="' + esc(title || '') + '"><i style="width:' + (f * 100).toFixed(1) + '%"></i></span>';
}
// values: oldest first, null for a gap; drawn right-aligned on a window of at least a minute
// that widens with the history up to o.capacity samples, so a young feed does not draw a speck.
function spark(values, o) {
  const w = o.w, h = o.h, n = Math.max(2, Math.min(o.capacity, Math.max(60, values.length)));
  let max = o.max;
  let peak = 0;
  for (const v of values) if (has(v) && v > peak) peak = v;
  if (!has(max)) max = peak > 0 ? peak * 1.15 : 1;
  const dx = w / (n - 1);
  const off = n - values.length;
  let line = '';
  let area = '';
  let seg = [];
  const flush = () => {
    if (seg.length === 1) line += 'M' + seg[0] + 'l0.01,0';
    else if (seg.length > 1) {
      line += 'M' + seg.join('L');
      area += 'M' + seg[0].split(',')[0] + ',' + h + 'L' + seg.join('L') + 'L' + seg[seg.length - 1].split(',')[0] + ',' + h + 'Z';
    }
    seg = [];
  };
  values.forEach((v, i) => {
    if (!has(v)) return flush();
    const y = h - 1.5 - (Math.min(v, max) / max) * (h - 3);
    seg.push(((off + i) * dx).toFixed(1) + ',' + y.toFixed(1));
  });
  flush();
  const last = values.length ? values[values.length - 1] : null;
  const tip = o.label + ': now ' + o.fmt(last) + ', peak ' + o.fmt(peak) + ' (last ' + duration(values.length) + ')';
  return '<svg class="spark" viewBox="0 0 ' + w + ' ' + h + '" width="' + (o.fluid ? '100%' : w) + '" height="' + h + '" preserveAspectRatio="none" role="img" aria-label="' + esc(tip) + '">' +
    '<title>' + esc(tip) + '</title>' +
    '<line x1="0" y1="' + (h - 0.5) + '" x2="' + w + '" y2="' + (h - 0.5) + '" stroke="var(--line)" stroke-width="1"/>' +
    (area ? '<path d="' + area + '" fill="' + o.color + '" fill-opacity="0.13" stroke="none"/>' : '') +
    (line ? '<path d="' + line + '" fill="none" stroke="' + o.color + '" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>' : '') +
    '</svg>';
}
// The lost callback of poll() both pages use: a banner in #lost naming what cannot be reached
// ("the gateway", "this node"), emptied once it answers again.
function lostBanner(what) {
  return (info) => {
    $('lost').innerHTML = info
      ? '<div class="alert error">Cannot reach ' + what + ' at ' + esc(location.host) + ' since ' + clock(info.since) + ' (' + esc(info.error) +
        '). The figures below are stale; retrying every second.</div>'
      : '';
  };
}
// Fetches url once a second (measured from the start of the previous fetch); render gets the
// envelope's data, lost gets {since, failures, error} while the server cannot be reached, null after.
function poll(url, render, lost) {
  let failures = 0;
  let since = 0;
  const once = async () => {
    const started = Date.now();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 2500);
    let data = null;
    try {
      const res = await fetch(url, { cache: 'no-store', signal: ctl.signal });
      const body = await res.json();
      if (!res.ok || !body || body.status_code !== 0) throw new Error(body && body.status_msg ? body.status_msg : 'HTTP ' + res.status);
      data = body.data;
    } catch (e) {
      failures++;
      if (!since) since = Date.now();
      lost({ since: since, failures: failures, error: e && e.name === 'AbortError' ? 'no answer within 2.5 s' : String((e && e.message) || e) });
    } finally {
      clearTimeout(timer);
      setTimeout(once, Math.max(0, 1000 - (Date.now() - started)));
    }
    if (data) {
      failures = 0;
      since = 0;
      lost(null);
      render(data);
    }
  };
  once();
}
`;

export interface Page {
  readonly html: Buffer;
  /**
   * A Content-Security-Policy that runs exactly this page's inline script and lets it fetch only
   * from the same origin. Styles stay 'unsafe-inline': the bars are sized with style attributes.
   */
  readonly csp: string;
}

/** Assembles a self-contained page; its script is the shared kit followed by `script`. */
export function renderPage(title: string, body: string, script: string): Page {
  const js = CLIENT_KIT + script;
  const html =
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    // An empty icon, or the browser asks for /favicon.ico and logs the 404.
    `<link rel="icon" href="data:,">` +
    `<title>${title}</title><style>${PAGE_CSS}</style></head>` +
    `<body>${body}<script>${js}</script></body></html>\n`;
  const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const csp = `default-src 'none'; script-src ${hash(js)}; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`;
  return { html: Buffer.from(html), csp };
}

export function sendPage(res: ServerResponse, page: Page): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': page.html.length,
    'cache-control': 'no-cache',
    'content-security-policy': page.csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(page.html);
}
