// The gateway's status feed against fake slaves: rates, percentiles and hit rates per member and
// for the cluster, member states (health from the gateway's own health checker), events, alerts,
// and that nobody is called for the page until someone looks.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusFeed, stateOf } from '../../../src/gateway/ui/statusFeed';
import type { MemberFlags } from '../../../src/gateway/ui/uiData';
import { ManualMembership, SNAPSHOT, http, members, postJson as post, startFakeSlave, startTestGateway, waitFor, type FakeSlave, type TestGateway } from '../../helpers';

describe('status feed', () => {
  let a: FakeSlave;
  let b: FakeSlave;
  let membership: ManualMembership;
  let gw: TestGateway;
  const feeds: StatusFeed[] = [];

  /** A feed that samples only when the test calls tick(). */
  const feedOf = (memberFlags?: (id: string) => MemberFlags | undefined): StatusFeed => {
    const feed = new StatusFeed({ nodes: gw.parts.nodes, membership, counters: gw.parts.counters, routing: 'owner', startedAt: Date.now(), intervalMs: 3_600_000, memberFlags });
    feeds.push(feed);
    return feed;
  };
  const member = (feed: StatusFeed, id: string) => feed.snapshot().members.find((m) => m.id === id)!;
  const subjectOwnedBy = (id: string): string => {
    for (let i = 1; i < 10_000; i++) {
      const s = `33:${String(i).padStart(6, '0')}`;
      if (gw.parts.nodes.ring.owner(s) === id) return s;
    }
    throw new Error(`${id} owns no subject: it is not on the ring`);
  };

  beforeEach(async () => {
    a = await startFakeSlave('a');
    b = await startFakeSlave('b');
    membership = new ManualMembership(members(a, b));
    // Ejection would take a failing member out of the ring before its breaker opens; the
    // breaker's events are what one test here looks at (ejection has its own suite).
    gw = await startTestGateway(membership, (c) => ({ ejection: { ...c.ejection, consecutiveErrors: 0 } }));
  });
  afterEach(async () => {
    for (const f of feeds.splice(0)) f.stop();
    await gw.close();
    await a.close();
    await b.close();
  });
  it('calls no member until the page or its data is requested', async () => {
    await post(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000001' });
    assert.equal(gw.parts.feed.started, false);
    assert.ok(![...a.seen, ...b.seen].some((r) => r.url.includes('/stats')));
    const page = await http('GET', `${gw.url}/ui`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(page.text, /<title>kamaitachi gateway<\/title>/);
    assert.equal(gw.parts.feed.started, true);
    const data = await http('GET', `${gw.url}/monitor/ui.json`);
    assert.equal(data.json.data.kind, 'kamaitachi-gateway-ui');
    assert.deepEqual(
      data.json.data.members.map((m: { id: string }) => m.id),
      ['a', 'b'],
    );
  });

  it('turns counters, upstream latencies and stats calls into per-member and cluster figures', async () => {
    const feed = feedOf();
    feed.ensureStarted();
    await gw.parts.health.checkAll();
    assert.ok(feed.snapshot().members.every((m) => m.reachable === true), 'both pass their health check');
    await feed.tick(); // baseline of the cache counters
    for (let i = 0; i < 6; i++) assert.equal((await post(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subjectOwnedBy('a') })).status, 200);
    a.stats = { entries: 5, bytes: 5000, hits: 90, misses: 10 };
    b.stats = { entries: 1, bytes: 100, hits: 30, misses: 10 };
    await feed.tick(); // requests and latencies of the interval; the probe sees the new counters
    await feed.tick(); // hit rates of the previous interval
    const snap = feed.snapshot();
    const ma = snap.members.find((m) => m.id === 'a')!;
    const mb = snap.members.find((m) => m.id === 'b')!;
    assert.equal(ma.state, 'in_ring');
    assert.ok(ma.series.requests_per_s.some((v) => v !== null && v > 0), 'requests/s of a');
    assert.ok(ma.series.p99_ms.some((v) => v !== null && v > 0), 'p99 of a');
    assert.ok(mb.series.requests_per_s.every((v) => v === 0), 'b got nothing');
    assert.equal(ma.hit_rate, 90);
    assert.equal(mb.hit_rate, 75);
    assert.equal(snap.cluster.hit_rate, 85.71);
    assert.ok(snap.cluster.series.requests_per_s.some((v) => v !== null && v > 0));
    assert.deepEqual(ma.cache, { entries: 5, bytes: 5000, max_bytes: 268435456 });
    assert.ok(Math.abs(ma.ring_share + mb.ring_share - 1) < 0.001);
    assert.equal(snap.cluster.members, 2);
    assert.equal(snap.cluster.in_ring, 2);
    assert.deepEqual(snap.alerts, []);
  });

  it("shows the gateway's health verdicts: down after two missed checks, out of the ring, logged, and says when none answers", async () => {
    const feed = feedOf();
    feed.ensureStarted();
    await gw.parts.health.checkAll();
    assert.ok(feed.snapshot().members.every((m) => m.reachable === true), 'both pass their health check');
    await b.close();
    await gw.parts.health.checkAll();
    assert.equal(member(feed, 'b').state, 'in_ring', 'one miss is not enough');
    await gw.parts.health.checkAll();
    let snap = feed.snapshot();
    assert.equal(member(feed, 'b').state, 'down');
    assert.equal(member(feed, 'b').in_ring, false, 'routing took it out of the ring');
    assert.equal(member(feed, 'a').ring_share, 1);
    assert.match(member(feed, 'b').last_error ?? '', /ECONNREFUSED|ECONNRESET/);
    // Health events reach the gateway's own feed (this test's feed is a second one over the same nodes).
    assert.ok(gw.parts.feed.snapshot().events.some((e) => e.kind === 'member_down' && e.member === 'b'));
    assert.equal(snap.alerts[0]?.level, 'warn');
    assert.match(snap.alerts[0]?.text ?? '', /1 of 2 members not answering: b/);

    await a.close();
    await gw.parts.health.checkAll();
    await gw.parts.health.checkAll();
    snap = feed.snapshot();
    assert.equal(member(feed, 'a').state, 'down');
    assert.equal(snap.alerts[0]?.level, 'error');
    assert.match(snap.alerts[0]?.text ?? '', /cannot reach any member/);
  });

  it('logs members leaving and joining, and a breaker opening', async () => {
    const feed = feedOf();
    feed.ensureStarted();
    membership.set(members(a));
    assert.equal(member(feed, 'b').state, 'left');
    assert.equal(member(feed, 'b').in_ring, false);
    assert.equal(member(feed, 'a').ring_share, 1);
    membership.set(members(a, b));
    assert.equal(member(feed, 'b').state, 'in_ring');
    const kinds = feed.snapshot().events.map((e) => `${e.kind} ${e.member}`);
    assert.deepEqual(kinds.slice(0, 2), ['member_joined b', 'member_left b']);

    a.mode = 'fail503';
    for (let i = 0; i < 10; i++) await post(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subjectOwnedBy('a') });
    await feed.tick();
    assert.ok(feed.snapshot().events.some((e) => e.kind === 'breaker_opened' && e.member === 'a'));
    assert.ok(['breaker_open', 'down'].includes(member(feed, 'a').state));
    assert.equal(member(feed, 'a').breaker?.state, 'OPEN');
  });

  it('shows what the memberFlags hook reports: ejected, lagging, applied seq and lag', () => {
    const feed = feedOf((id) => (id === 'a' ? { lagging: true, applied_seq: 41, lag: 3 } : undefined));
    const ma = member(feed, 'a');
    assert.equal(ma.state, 'lagging');
    assert.equal(ma.applied_seq, 41);
    assert.equal(ma.lag, 3);
    assert.equal('applied_seq' in member(feed, 'b'), false, 'absent until known');
    assert.equal(stateOf(false, true, 'CLOSED', { ejected: true }), 'ejected');
    assert.equal(stateOf(false, false, 'OPEN', { ejected: true }), 'down');
    assert.equal(stateOf(false, undefined, 'HALF_OPEN', undefined), 'half_open');
    assert.equal(stateOf(true, false, undefined, undefined), 'left');
  });
});
