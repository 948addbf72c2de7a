// The /data/* path through the gateway against fake slaves: prefix stripping, byte-exact
// forwarding, routing by subject, spreading, failover and every kind of bad upstream answer.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNAPSHOT, ManualMembership, http, members, postJson, startFakeSlave, startTestGateway, type FakeSlave, type TestGateway } from '../helpers';

describe('gateway proxy', () => {
  let a: FakeSlave;
  let b: FakeSlave;
  let gw: TestGateway;
  let membership: ManualMembership;

  before(async () => {
    a = await startFakeSlave('a');
    b = await startFakeSlave('b');
    membership = new ManualMembership(members(a, b));
    gw = await startTestGateway(membership, () => ({ routing: 'owner', upstreamTimeoutMs: 300 }));
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });
  beforeEach(() => {
    a.mode = 'ok';
    b.mode = 'ok';
    a.seen.length = 0;
    b.seen.length = 0;
    // Fresh node states (breakers, ejections) for every test: failures of one must not steer the next.
    membership.set([]);
    membership.set(members(a, b));
  });

  const ownerOf = (subject: string): FakeSlave => (gw.parts.nodes.ring.owner(subject) === 'a' ? a : b);
  const otherThan = (s: FakeSlave): FakeSlave => (s === a ? b : a);

  it('strips the /data prefix and forwards the body and the answer byte for byte', async () => {
    // Odd spacing and key order must survive: the gateway never re-serializes a forwarded body.
    const body = '{ "subjects" : "33:000001,33:000002",\n "ids":"net_profit",  "limit": 2 }';
    const res = await http('POST', `${gw.url}/data${SNAPSHOT}/?x=1`, body);
    const slave = ownerOf('33:000001');
    assert.equal(res.status, 200);
    assert.equal(slave.seen.length, 1);
    assert.equal(slave.seen[0].url, `${SNAPSHOT}/?x=1`);
    assert.equal(slave.seen[0].body, body);
    const direct = await http('POST', `${slave.url}${SNAPSHOT}`, body);
    assert.deepEqual(res.body, direct.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', "the slave's content type, passed through");
  });

  it('routes the same subject to the same slave', async () => {
    for (let i = 0; i < 5; i++) await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: ['33:000003', '33:000004'] });
    const owner = ownerOf('33:000003');
    assert.equal(owner.seen.length, 5);
    assert.equal(otherThan(owner).seen.length, 0);
  });

  it('spreads requests without subjects over the slaves', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', topic: 'stock_a_listing_pool' })).status, 200);
    assert.equal(a.seen.length, 3);
    assert.equal(b.seen.length, 3);
    assert.equal((await http('GET', `${gw.url}/data/health`)).json.status, 'ok');
  });

  it('fails over to the next slave on the ring when the owner refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    // Give the dead address the id of the owner of 33:000005 so it is asked first.
    const owner = ownerOf('33:000005');
    const survivor = otherThan(owner);
    membership.set([
      { id: owner.name, addr: deadUrl },
      { id: survivor.name, addr: survivor.url },
    ]);
    const before = gw.parts.counters.failovers;
    const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000005' });
    assert.equal(res.status, 200);
    assert.equal(survivor.seen.length, 1);
    assert.equal(gw.parts.counters.failovers, before + 1);
    assert.ok(gw.parts.counters.upstream_errors_by_cause.refused >= 1);
  });

  for (const [mode, status, cause] of [
    ['garbage', 502, /not JSON/],
    ['truncated', 502, /truncated/],
    ['hang', 504, /did not answer in time/],
    ['reset', 502, /dropped the connection/],
    ['fail503', 503, /is unavailable/],
  ] as const) {
    it(`answers ${status} naming the slaves when every slave is ${mode}`, async () => {
      a.mode = mode;
      b.mode = mode;
      const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000006' });
      assert.equal(res.status, status);
      assert.equal(res.json.status_code, status);
      assert.match(res.json.status_msg, cause);
      assert.match(res.json.status_msg, /slave a \(http:\/\/127\.0\.0\.1:\d+\)/);
      assert.match(res.json.status_msg, /slave b \(http:\/\/127\.0\.0\.1:\d+\)/);
    });
  }

  it('serves from the other slave when the owner sends garbage', async () => {
    const owner = ownerOf('33:000007');
    owner.mode = 'garbage';
    const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000007' });
    assert.equal(res.status, 200);
    assert.equal(res.json.data[0].subject.subject, '33:000007');
  });

  it('passes a slave 500 and 4xx answers through unchanged', async () => {
    const bad = await http('POST', `${gw.url}/data${SNAPSHOT}`, 'not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.status_msg, 'body must be JSON');
    ownerOf('33:000008').mode = 'fail500';
    const failed = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000008' });
    assert.equal(failed.status, 500);
  });

  it('answers 503 when it knows no slave', async () => {
    membership.set([]);
    const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000001' });
    assert.equal(res.status, 503);
    assert.match(res.json.status_msg, /knows no live slaves/);
    const health = await http('GET', `${gw.url}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(health.json, { status: 'no_slaves', nodes: [], count: 0 });
  });

  it('reports its slaves at /health and its counters at /monitor/status and /metrics', async () => {
    const health = await http('GET', `${gw.url}/health`);
    assert.deepEqual(health.json, { status: 'ok', nodes: [a.url, b.url], count: 2 });
    const status = await http('GET', `${gw.url}/monitor/status`);
    assert.equal(status.json.data.nodes.length, 2);
    assert.ok(status.json.data.requests.requests > 0);
    const metrics = await http('GET', `${gw.url}/metrics`);
    assert.match(metrics.text, /kamaitachi_gateway_requests_total \d+/);
    assert.match(metrics.text, /kamaitachi_gateway_upstream_errors_total\{cause="refused"\} \d+/);
    assert.match(metrics.text, /kamaitachi_gateway_breaker_state\{slave="a"\} \d/);
  });
});
