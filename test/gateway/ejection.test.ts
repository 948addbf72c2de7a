// Outlier ejection: failures in a row take a node out of the ring for a while, doubled on each
// repeat, never more than half the nodes at once; shown as `ejected` and logged as an event.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ejectionMs, mayEject } from '../../src/gateway/ejection';
import type { EjectionConfig } from '../../src/config/gateway';
import { ManualMembership, SNAPSHOT, http, members, postJson, startFakeSlave, startTestGateway, waitFor, type FakeSlave, type TestGateway } from '../helpers';

const CFG: EjectionConfig = { consecutiveErrors: 3, baseMs: 300, maxMs: 1000, maxPercent: 50 };

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function setup(healthIntervalMs = 0, ejection = CFG): Promise<{ a: FakeSlave; b: FakeSlave; gw: TestGateway; clock: { t: number } }> {
  const a = await startFakeSlave('a');
  const b = await startFakeSlave('b');
  closers.push(() => a.close(), () => b.close());
  // Ejection times are stamped with this clock; their timers run in real time.
  const clock = { t: 1_000_000 };
  const gw = await startTestGateway(new ManualMembership(members(a, b)), (c) => ({ ejection, breaker: { ...c.breaker, minRequests: 1000 }, health: { ...c.health, intervalMs: healthIntervalMs } }), { now: () => clock.t });
  closers.push(() => gw.close());
  return { a, b, gw, clock };
}

/** A subject the ring gives to `id` right now. */
function ownedBy(gw: TestGateway, id: string): string {
  for (let i = 1; i < 10_000; i++) {
    const s = `33:${String(i).padStart(6, '0')}`;
    if (gw.parts.nodes.ring.owner(s) === id) return s;
  }
  throw new Error(`${id} is not on the ring`);
}

const ask = (gw: TestGateway, subject: string) => postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subject });

describe('outlier ejection', () => {
  it('doubles the ejection time on each repeat up to the cap, and never ejects beyond max_ejection_percent', () => {
    assert.deepEqual([0, 1, 2, 3, 60].map((r) => ejectionMs(CFG, r)), [300, 600, 1000, 1000, 1000]);
    assert.equal(mayEject(CFG, 0, 2), true);
    assert.equal(mayEject(CFG, 1, 2), false, 'one of two is half');
    assert.equal(mayEject(CFG, 0, 1), false, 'the only node stays');
    assert.equal(mayEject(CFG, 1, 5), true);
    assert.equal(mayEject(CFG, 2, 5), false, '50% of 5, rounded down, is 2');
  });

  it('takes a node out of the ring after consecutive_errors failures in a row, shows and logs it, and takes it back after ejection_base_ms', async () => {
    const { a, gw, clock } = await setup();
    const subject = ownedBy(gw, 'a');
    a.mode = 'fail503';
    for (let i = 0; i < 3; i++) assert.equal((await ask(gw, subject)).status, 200, 'served by b meanwhile');
    const node = gw.parts.nodes.get('a')!;
    assert.equal(node.ejectedUntil, clock.t + 300);
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['b']);
    const dataCalls = (): number => a.seen.filter((r) => r.url.startsWith(SNAPSHOT)).length;
    const seenBefore = dataCalls();
    assert.equal((await ask(gw, subject)).status, 200);
    assert.equal(dataCalls(), seenBefore, 'an ejected node gets no requests');

    const status = (await http('GET', `${gw.url}/monitor/status`)).json.data;
    const sa = status.nodes.find((n: { id: string }) => n.id === 'a');
    assert.equal(sa.state, 'ejected');
    assert.equal(sa.in_ring, false);
    assert.equal(sa.ejections, 1);
    const ui = (await http('GET', `${gw.url}/monitor/ui.json`)).json.data;
    assert.equal(ui.members.find((m: { id: string }) => m.id === 'a').state, 'ejected');
    assert.ok(ui.events.some((e: { kind: string; member: string; text: string }) => e.kind === 'ejected' && e.member === 'a' && /ejected for 300 ms after 3 failures/.test(e.text)));
    assert.match((await http('GET', `${gw.url}/metrics`)).text, /kamaitachi_gateway_slave_in_ring\{slave="a"\} 0/);

    a.mode = 'ok';
    await waitFor(() => gw.parts.nodes.ring.nodes.includes('a'), 'a back in the ring');
    assert.equal(node.ejectedUntil, 0);
    assert.equal((await ask(gw, subject)).status, 200);
    assert.equal(dataCalls(), seenBefore + 1, 'a serves its keys again');
    assert.ok(gw.parts.feed.snapshot().events.some((e) => e.kind === 'ejection_ended' && e.member === 'a'));
  });

  it('ejects a node again for twice as long when it fails again soon after, and starts over after a long good spell', async () => {
    const { a, gw, clock } = await setup();
    const subject = ownedBy(gw, 'a');
    const node = gw.parts.nodes.get('a')!;
    a.mode = 'fail503';
    for (let i = 0; i < 3; i++) await ask(gw, subject);
    await waitFor(() => node.ejectedUntil === 0, 'the first ejection to end');
    clock.t += 100;
    for (let i = 0; i < 3; i++) await ask(gw, subject);
    assert.equal(node.ejectedUntil, clock.t + 600, 'twice the base');
    await waitFor(() => node.ejectedUntil === 0, 'the second ejection to end');
    clock.t += 5000; // longer than max_ejection_ms in the ring
    for (let i = 0; i < 3; i++) await ask(gw, subject);
    assert.equal(node.ejectedUntil, clock.t + 300, 'back to the base');
    assert.equal(node.ejections, 3);
  });

  it('keeps a node out past its ejection time while its health checks fail, and takes it back once they pass', async () => {
    const { a, gw } = await setup(100, { ...CFG, baseMs: 1000 });
    const node = gw.parts.nodes.get('a')!;
    a.mode = 'fail503'; // its /health answers 503 too
    // Three failures in a row, as the data path records them (the suite's first test goes through it).
    for (let i = 0; i < 3; i++) gw.parts.nodes.recordFailure(node, 'is unavailable: answered 503', 1);
    assert.notEqual(node.ejectedUntil, 0);
    // Twice the ejection time: the ejection alone would have ended by now.
    await new Promise((r) => setTimeout(r, 2000));
    assert.notEqual(node.ejectedUntil, 0, 'still ejected');
    assert.deepEqual(gw.parts.nodes.ring.nodes, ['b']);
    a.mode = 'ok';
    await waitFor(() => node.ejectedUntil === 0 && gw.parts.nodes.ring.nodes.includes('a'), 'a back once its checks pass');
  });

  it('ejects no more than half the nodes when all of them fail, and does not count 500s', async () => {
    const { a, b, gw } = await setup();
    a.mode = 'fail503';
    b.mode = 'fail503';
    for (let i = 0; i < 8; i++) await ask(gw, `33:${String(i + 1).padStart(6, '0')}`);
    const ejected = gw.parts.nodes.all().filter((n) => n.ejectedUntil !== 0);
    assert.equal(ejected.length, 1);
    assert.equal(gw.parts.nodes.ring.nodes.length, 1);

    const survivor = gw.parts.nodes.ring.nodes[0] === 'a' ? a : b;
    survivor.mode = 'fail500';
    const state = gw.parts.nodes.get(survivor.name)!;
    const before = state.consecutiveErrors;
    for (let i = 0; i < 6; i++) assert.equal((await ask(gw, '33:000001')).status, 500);
    assert.equal(state.consecutiveErrors, before, 'a 500 is about the request, not the node: not counted');
    survivor.mode = 'ok';
    assert.equal((await ask(gw, '33:000001')).status, 200);
    assert.equal(state.consecutiveErrors, 0, 'an answer ends the run of failures');
  });
});
