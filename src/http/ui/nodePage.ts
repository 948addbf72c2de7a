// A data node's status page (GET /ui): queries/s and hit rate with 5-minute sparklines, cache
// entries and bytes against the budget, hits and misses, the most requested subjects, and the
// applied seq and lag once replication reports them. Polls GET /monitor/ui.json (nodeFeed.ts,
// docs/ui.md) once a second.
import { renderPage, type Page } from './pageKit';
import { UI_ROUTES } from '../../shared/routes';

const BODY = `
<header>
  <h1>kamaitachi <small id="who">data node</small></h1>
  <div class="meta" id="meta">connecting…</div>
  <div class="updated" id="updated"></div>
</header>
<main>
  <div id="lost"></div>
  <div id="alerts"></div>
  <div class="cards" id="cards"></div>
  <div class="split">
    <section class="panel">
      <h2>Top subjects<span id="top-note"></span></h2>
      <table id="top"></table>
    </section>
    <section class="panel">
      <h2>Cache and store</h2>
      <dl class="kv" id="kv"></dl>
    </section>
  </div>
</main>
<footer>Updates every second from <a href="${UI_ROUTES.data}">${UI_ROUTES.data}</a> (docs/ui.md) ·
  <a href="/kamaitachi/api/data/v1/stats">stats</a> · <a href="/metrics">/metrics</a> · <a href="/health">/health</a></footer>
`;

const SCRIPT = `
const DATA_URL = ${JSON.stringify(UI_ROUTES.data)};

function card(label, value, sub, chart) {
  return '<div class="card"><div class="label">' + esc(label) + '</div><div class="value">' + value + '</div>' +
    '<div class="sub">' + sub + '</div>' + (chart || '') + '</div>';
}

function render(d) {
  const s = d.stats, c = s.cache, cap = d.capacity;
  const big = (values, label, fmt, color, max) => spark(values, { w: 300, h: 40, capacity: cap, label: label, fmt: fmt, color: color, max: max, fluid: true });
  const seq = has(s.applied_seq) ? s.applied_seq : s.seq;
  $('who').textContent = s.role + ' · ' + s.node;
  document.title = 'kamaitachi ' + s.role + ' ' + s.node;
  $('meta').innerHTML = '<b>' + esc(s.addr || location.host) + '</b> · ' + esc(s.db) + ' · ' + num(s.total_records) + ' reports of ' + num(s.stock_count) + ' subjects · up ' + duration(s.uptime_s);
  $('updated').textContent = 'updated ' + clock(d.sampled_at);
  const alerts = [];
  if (c.max_bytes && c.bytes / c.max_bytes > 0.98 && c.evictions > 0) alerts.push(['warn', 'The cache is at its byte budget and evicting (' + num(c.evictions) + ' evictions so far); a larger --cache-bytes would keep more answers.']);
  if (has(s.lag) && s.lag > 0) alerts.push(['warn', 'Behind the master by ' + num(s.lag) + ' (applied seq ' + num(seq) + ').']);
  $('alerts').innerHTML = alerts.map((a) => '<div class="alert ' + a[0] + '">' + esc(a[1]) + '</div>').join('');
  const cards = [
    card('Queries / s', perSec(d.requests_per_s), 'snapshot and period answers', big(d.series.requests_per_s, 'queries/s', perSec, 'var(--c1)')),
    card('Hit rate', pct(d.hit_rate), 'since reset: ' + pct(c.hit_rate), big(d.series.hit_rate, 'hit rate', pct, 'var(--c2)', 100)),
    card('Cache', bytes(c.bytes), bar(c.max_bytes ? c.bytes / c.max_bytes : 0, 'of the byte budget') + ' of ' + bytes(c.max_bytes) + ' · ' + num(c.entries) + ' entries',
      big(d.series.cache_bytes, 'cache bytes', bytes, 'var(--c3)', c.max_bytes || undefined)),
    card('Hits / misses', num(c.hits) + '<small> / ' + num(c.misses) + '</small>', num(c.evictions) + ' evictions · ' + num(c.view_builds) + ' view builds', ''),
  ];
  if (has(seq) || has(s.lag)) cards.push(card('Applied seq', num(seq), has(s.lag) ? 'lag ' + num(s.lag) : '', ''));
  $('cards').innerHTML = cards.join('');

  const t = d.top_subjects;
  $('top-note').textContent = 'one request in ' + t.sample_every + ' counted · last 1–2 minutes · ' + num(t.sampled) + ' sampled';
  $('top').innerHTML = t.list.length
    ? '<thead><tr><th>#</th><th>Subject</th><th>Name</th><th class="num">Share of requests</th></tr></thead><tbody>' +
      t.list.map((x, i) => '<tr data-subject="' + esc(x.subject) + '"><td>' + (i + 1) + '</td><td><b>' + esc(x.subject) + '</b></td><td>' + esc(x.name || '') +
        '</td><td class="num">' + num(x.share * 100, 1) + '% ' + bar(x.share, x.count + ' sampled requests') + '</td></tr>').join('') + '</tbody>'
    : '<tbody><tr><td class="empty">No subject queries sampled in the last minutes.</td></tr></tbody>';

  const kv = [
    ['Entries', num(c.entries)], ['Bytes', bytes(c.bytes) + ' of ' + bytes(c.max_bytes)], ['Hits', num(c.hits)], ['Misses', num(c.misses)],
    ['Hit rate since reset', pct(c.hit_rate)], ['Evictions', num(c.evictions)], ['Topic views built', num(c.view_builds)], ['SQLite loads', num(c.sql_loads)],
    ['In-memory data', bytes(c.data_bytes)], ['Reports', num(s.total_records)], ['Subjects', num(s.stock_count)],
    ['Indicators', esc((s.indicators || []).join(', '))], ['Topics', esc((s.topics || []).join(', '))],
  ];
  if (has(seq)) kv.push(['Applied seq', num(seq)]);
  if (has(s.lag)) kv.push(['Lag', num(s.lag)]);
  $('kv').innerHTML = kv.map((p) => '<dt>' + p[0] + '</dt><dd>' + p[1] + '</dd>').join('');
}

poll(DATA_URL, render, lostBanner('this node'));
`;

export const NODE_PAGE: Page = renderPage('kamaitachi node', BODY, SCRIPT);
