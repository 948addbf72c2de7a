// Active health checks: every member's /health on the checker's own connections; two misses in a
// row take a node out of the ring, two passes bring it back; with every member down the gateway
// still tries them all.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualMembership, SNAPSHOT, http, members, postJson, startFakeSlave, startTestGateway, waitFor, type FakeSlave, type TestGateway } from '../helpers';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

// Long enough that a loaded machine answers a live fake in time; a hung one costs this per check.
const HEALTH_TIMEOUT_MS = 600;

async function setup(intervalMs = 0): Promise<{ a: FakeSlave; b: FakeSlave; gw: TestGateway }> {
  const a = await startFakeSlave('a');
  const b = await startFakeSlave('b');
  closers.push(() => a.close(), () => b.close());
  const gw = await startTestGateway(new ManualMembership(members(a, b)), (c) => ({ health: { ...c.health, intervalMs, timeoutMs: HEALTH_TIMEOUT_MS } }));
  closers.push(() => gw.close());
  return { a, b, gw };
}

const healthCalls = (s: FakeSlave): number => s.seen.filter((r) => r.url === '/health').length;

describe('health checks', () => {
  it('takes a node that misses two checks in a row out of the ring, and brings it back after two passes', async () => {
    const { a, b, gw } = await setup();
    const checks = gw.parts.health;
    await checks.checkAll();
    await checks.checkAll();
    assert.equal(gw.parts.nodes.get('b')!.health, 'up');
    b.mode = 'hang';
    await checks.checkAll();
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a', 'b'], 'one miss is not enough');
    await checks.checkAll();
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a']);
    assert.match(gw.parts.nodes.get('b')!.healthError ?? '', new RegExp(`no answer .* within ${HEALTH_TIMEOUT_MS} ms`));

    // Every key goes straight to a: no call waits for b, nothing fails over.
    for (let i = 1; i <= 10; i++) assert.equal((await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: `33:${String(i).padStart(6, '0')}` })).status, 200);
    assert.equal(gw.parts.counters.failovers, 0);
    assert.equal(gw.parts.counters.upstream_errors, 0);
    const status = (await http('GET', `${gw.url}/monitor/status`)).json.data;
    assert.deepEqual(
      status.nodes.map((n: { id: string; state: string; health: string }) => [n.id, n.state, n.health]),
      [
        ['a', 'in_ring', 'up'],
        ['b', 'down', 'down'],
      ],
    );

    b.mode = 'ok';
    await checks.checkAll();
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a'], 'one pass is not enough');
    await checks.checkAll();
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a', 'b']);
    const events = gw.parts.feed
      .snapshot()
      .events.filter((e) => e.member === 'b')
      .map((e) => `${e.kind} ${e.member}`);
    assert.deepEqual(events.slice(0, 2), ['member_up b', 'member_down b']);
    assert.ok(healthCalls(a) >= 5);
  });

  it('checks every member on its own every health_interval_ms, so a dead idle node leaves the ring after two intervals', async () => {
    const { a, b, gw } = await setup(100);
    await waitFor(() => healthCalls(a) >= 2 && healthCalls(b) >= 2, 'checks of both members');
    await b.close();
    await waitFor(() => gw.parts.nodes.ring.nodes.length === 1, 'b out of the ring', 3000);
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a']);
    assert.match(gw.parts.nodes.get('b')!.healthError ?? '', /ECONNREFUSED/);
  });

  it('keeps every member on the ring when all of them are down: a try beats a certain 503', async () => {
    const { a, b, gw } = await setup();
    a.mode = 'fail503';
    b.mode = 'fail503';
    await gw.parts.health.checkAll();
    await gw.parts.health.checkAll();
    assert.ok(gw.parts.nodes.all().every((n) => n.health === 'down'));
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['a', 'b']);
    a.mode = 'ok';
    assert.equal((await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000001' })).status, 200);
  });
});
