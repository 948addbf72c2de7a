// The gateway's status page (GET /ui): cluster totals, every member with its state, ring share,
// requests/s, upstream p99 and hit rate with 5-minute sparklines, and the recent events. It polls
// GET /monitor/ui.json (uiData.ts, docs/ui.md) once a second and says so plainly when either the
// gateway or the members cannot be reached.
import { renderPage, type Page } from '../../http/ui/pageKit';
import { UI_ROUTES } from '../../shared/routes';

const BODY = `
<header>
  <h1>kamaitachi <small>gateway</small></h1>
  <div class="meta" id="meta">connecting…</div>
  <div class="updated" id="updated"></div>
</header>
<main>
  <div id="lost"></div>
  <div id="alerts"></div>
  <div class="cards" id="cards"></div>
  <section class="panel">
    <h2>Members<span id="members-note"></span></h2>
    <table id="members"><tbody><tr><td class="empty">waiting for the first sample…</td></tr></tbody></table>
  </section>
  <section class="panel">
    <h2>Recent events</h2>
    <ol class="events" id="events"></ol>
  </section>
</main>
<footer>Updates every second from <a href="${UI_ROUTES.data}">${UI_ROUTES.data}</a> (docs/ui.md) ·
  <a href="/monitor/status">/monitor/status</a> · <a href="/monitor/circuitbreaker">/monitor/circuitbreaker</a> · <a href="/metrics">/metrics</a></footer>
`;

const SCRIPT = `
const DATA_URL = ${JSON.stringify(UI_ROUTES.data)};
const STATES = {
  in_ring: ['in ring', 'ok'], half_open: ['breaker half-open', 'warn'], breaker_open: ['breaker open', 'bad'],
  down: ['down', 'bad'], left: ['left', 'idle'], ejected: ['ejected', 'bad'], lagging: ['lagging', 'warn'],
};
const EVENT_TONE = {
  member_joined: 'ok', member_up: 'ok', breaker_closed: 'ok', ejection_ended: 'ok', feed_started: 'idle', member_left: 'idle',
  member_down: 'bad', breaker_opened: 'bad', ejected: 'bad', breaker_half_open: 'warn', resync: 'warn', lagging: 'warn',
};
const COLORS = { rps: 'var(--c1)', hit: 'var(--c2)', p99: 'var(--c3)' };

function card(label, value, sub, chart) {
  return '<div class="card"><div class="label">' + esc(label) + '</div><div class="value">' + value + '</div>' +
    '<div class="sub">' + sub + '</div>' + (chart || '') + '</div>';
}

function cards(d) {
  const c = d.cluster, cap = d.capacity;
  const big = (values, label, fmt, color, max) => spark(values, { w: 300, h: 40, capacity: cap, label: label, fmt: fmt, color: color, max: max, fluid: true });
  const cacheShare = c.cache.max_bytes ? c.cache.bytes / c.cache.max_bytes : 0;
  return [
    card('Members in ring', c.in_ring + '<small> / ' + c.members + '</small>',
      c.down ? '<span class="bad">' + c.down + ' down</span>' : (c.members ? 'all answering' : 'none known'), ringBar(d.members)),
    card('Requests / s', perSec(c.requests_per_s), '5xx answers: ' + perSec(c.errors_per_s) + ' / s',
      big(c.series.requests_per_s, 'requests/s', perSec, COLORS.rps)),
    card('Hit rate', pct(c.hit_rate), has(c.hit_rate) ? 'of cache lookups on the members' : 'idle: no lookups in the last second',
      big(c.series.hit_rate, 'hit rate', pct, COLORS.hit, 100)),
    card('p99 upstream', ms(c.p99_ms), has(c.p99_ms) ? 'gateway → member calls' : 'idle: no upstream calls in the last second',
      big(c.series.p99_ms, 'p99', ms, COLORS.p99)),
    card('Cache', bytes(c.cache.bytes), bar(cacheShare, 'of the byte budget') + ' ' + pct(cacheShare * 100) + ' of ' + bytes(c.cache.max_bytes),
      '<div class="sub">' + num(c.cache.entries) + ' entries on ' + c.members + ' member' + (c.members === 1 ? '' : 's') + '</div>'),
  ].join('');
}

// The hash circle as one bar: each member's share of the keys, coloured by its state.
function ringBar(list) {
  const live = list.filter((m) => m.in_ring);
  if (!live.length) return '';
  return '<div class="ring">' + live.map((m) => '<i class="' + (STATES[m.state] || ['', 'idle'])[1] + '" style="width:' + (m.ring_share * 100).toFixed(2) + '%" title="' +
    esc(m.id + ': ' + num(m.ring_share * 100, 1) + '% of the keys, ' + (STATES[m.state] || [m.state])[0]) + '">' + esc(m.id) + '</i>').join('') + '</div>';
}

function metric(value, values, label, fmt, color, cap, max) {
  return '<div class="metric"><span class="v">' + value + '</span>' + spark(values, { w: 96, h: 26, capacity: cap, label: label, fmt: fmt, color: color, max: max }) + '</div>';
}

function members(d) {
  if (!d.members.length) return '<tbody><tr><td class="empty">No members: the gateway has nothing to route to.</td></tr></tbody>';
  const seq = d.members.some((m) => has(m.applied_seq) || has(m.lag));
  const cap = d.capacity;
  const head = '<thead><tr><th>Member</th><th>State</th><th class="num">Ring share</th><th class="num">Requests / s</th>' +
    '<th class="num">p99</th><th class="num">Hit rate</th><th class="num">Cache</th>' +
    (seq ? '<th class="num">Applied seq</th><th class="num">Lag</th>' : '') + '<th>Breaker</th></tr></thead>';
  const rows = d.members.map((m) => {
    const st = STATES[m.state] || [m.state, 'idle'];
    const why = m.state !== 'in_ring' && m.last_error ? '<div class="why">' + esc(m.last_error) + '</div>' : '';
    const cache = m.cache && has(m.cache.max_bytes)
      ? bytes(m.cache.bytes) + ' ' + bar(m.cache.max_bytes ? m.cache.bytes / m.cache.max_bytes : 0, num(m.cache.entries) + ' entries of ' + bytes(m.cache.max_bytes)) + '<span class="addr">' + num(m.cache.entries) + ' entries · budget ' + bytes(m.cache.max_bytes) + '</span>'
      : '–';
    const br = m.breaker
      ? esc(m.breaker.state.replace('_', '-').toLowerCase()) + '<span class="addr">' + num(m.breaker.failure_ratio * 100) + '% failures' + (m.breaker.opened_count ? ' · opened ' + m.breaker.opened_count + '×' : '') + '</span>'
      : '–';
    return '<tr data-member="' + esc(m.id) + '" data-state="' + esc(m.state) + '"' + (m.state === 'left' ? ' class="gone"' : '') + '>' +
      '<td><b>' + esc(m.id) + '</b><span class="addr">' + esc(m.addr) + '</span></td>' +
      '<td><span class="badge ' + st[1] + '">' + esc(st[0]) + '</span>' + why + '</td>' +
      '<td class="num">' + (m.in_ring ? num(m.ring_share * 100, 1) + '% ' + bar(m.ring_share, 'share of the keys') : '–') + '</td>' +
      '<td class="num">' + metric(perSec(m.requests_per_s), m.series.requests_per_s, 'requests/s', perSec, COLORS.rps, cap) + '</td>' +
      '<td class="num">' + metric(ms(m.p99_ms), m.series.p99_ms, 'p99', ms, COLORS.p99, cap) + '</td>' +
      '<td class="num">' + metric(pct(m.hit_rate), m.series.hit_rate, 'hit rate', pct, COLORS.hit, cap, 100) + '</td>' +
      '<td class="num">' + cache + '</td>' +
      (seq ? '<td class="num">' + num(m.applied_seq) + '</td><td class="num">' + num(m.lag) + '</td>' : '') +
      '<td>' + br + '</td></tr>';
  });
  return head + '<tbody>' + rows.join('') + '</tbody>';
}

function events(d) {
  if (!d.events.length) return '<li class="empty">nothing yet</li>';
  return d.events.slice(0, 100).map((e) =>
    '<li data-kind="' + esc(e.kind) + '"><time>' + clock(e.at) + '</time><span class="badge ' + (EVENT_TONE[e.kind] || 'idle') + '">' +
    esc(e.kind.replace(/_/g, ' ')) + '</span><span>' + esc(e.text) + '</span></li>').join('');
}

function render(d) {
  const m = d.gateway.membership;
  $('meta').innerHTML = '<b>' + esc(location.host) + '</b> · routing <b>' + esc(d.gateway.routing) + '</b> · members from <b>' + esc(m.source) + '</b>' +
    (m.connected ? '' : ' <span class="badge bad">unreachable</span>') + ' · up ' + duration(d.gateway.uptime_s);
  $('updated').textContent = 'updated ' + clock(d.sampled_at);
  $('alerts').innerHTML = d.alerts.map((a) => '<div class="alert ' + esc(a.level) + '">' + esc(a.text) + '</div>').join('');
  $('cards').innerHTML = cards(d);
  const samples = d.cluster.series.requests_per_s.length;
  $('members-note').textContent = samples < d.capacity ? 'sparklines since ' + clock(d.sampling_since) + ' (up to 5 minutes)' : 'sparklines: last 5 minutes';
  $('members').innerHTML = members(d);
  $('events').innerHTML = events(d);
}

poll(DATA_URL, render, lostBanner('the gateway'));
`;

export const GATEWAY_PAGE: Page = renderPage('kamaitachi gateway', BODY, SCRIPT);
