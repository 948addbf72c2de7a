// The master's lease bookkeeping with a hand-driven clock: when a replicated write may be
// acknowledged, who is passed over, and when a lagging follower returns to routing.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FollowerTracker, LEASE_MARGIN_MS, type MemberDirectory } from '../../src/replication/FollowerTracker';
import { silentLogger } from '../../src/shared/logger';

const L = 1000;

function setup(t: TestContext, memberIds: string[] = []) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 10_000;
  const flags = new Map<string, boolean>();
  const members: MemberDirectory = { memberIds: () => memberIds, setLagging: (id, lagging) => void flags.set(id, lagging) };
  const tracker = new FollowerTracker({ timeoutMs: L, members, logger: silentLogger, now: () => clock });
  const advance = (ms: number): void => {
    clock += ms;
    t.mock.timers.tick(ms);
  };
  // Past the start-up grace unless a test is about it.
  advance(L + LEASE_MARGIN_MS + 1);
  /** A poll from `id` at `since` answered complete (the head is `since`). */
  const upToDate = (id: string, since: number): void => {
    tracker.polled(id, since, since);
    tracker.granted(id, clock);
  };
  const settled = (p: Promise<unknown>): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
  return { tracker, flags, advance, upToDate, settled, now: () => clock };
}

describe('FollowerTracker', () => {
  it('acknowledges a replicated write once every follower has polled past it', async (t) => {
    const { tracker, upToDate, settled } = setup(t);
    upToDate('s1', 0);
    upToDate('s2', 0);
    const ack = tracker.waitReplicated(1);
    assert.equal(await settled(ack), false);
    tracker.polled('s1', 1, 1);
    assert.equal(await settled(ack), false, 's2 has not applied seq 1 and still holds a lease');
    tracker.polled('s2', 1, 1);
    assert.deepEqual(await ack, { lagging: [] });
  });

  it('waits for a silent follower until its lease is surely over, then names it and flags it lagging', async (t) => {
    const { tracker, flags, advance, upToDate, settled } = setup(t, ['s1', 's2']);
    upToDate('s1', 0);
    upToDate('s2', 0);
    const ack = tracker.waitReplicated(1);
    upToDate('s1', 1);
    advance(L + LEASE_MARGIN_MS);
    assert.equal(await settled(ack), false, 'at leaseBase + L + margin the lease may still run');
    advance(2);
    assert.deepEqual(await ack, { lagging: ['s2'] });
    assert.equal(flags.get('s2'), true);
    upToDate('s1', 1);
    // Later writes do not wait for it again, and name it while it lags.
    const ack2 = tracker.waitReplicated(2);
    upToDate('s1', 2);
    assert.deepEqual(await ack2, { lagging: ['s2'] });
    tracker.polled('s2', 1, 2);
    assert.equal(flags.get('s2'), true, 'not caught up: still behind the head');
    tracker.polled('s2', 2, 2);
    assert.equal(flags.get('s2'), false, 'back in routing once it polls at the head');
  });

  it('counts a lease from the receive time of the latest poll answered complete', async (t) => {
    const { tracker, advance, upToDate, settled } = setup(t, ['s1']);
    upToDate('s1', 0);
    advance(600);
    upToDate('s1', 0); // an idle poll renewed the lease
    const ack = tracker.waitReplicated(1);
    advance(L + LEASE_MARGIN_MS - 600 + 2);
    assert.equal(await settled(ack), false, 'the renewed lease still runs');
    advance(600);
    assert.deepEqual(await ack, { lagging: ['s1'] });
  });

  it('passes a registered member that never polled at once: it holds no lease from this master', async (t) => {
    const { tracker, flags } = setup(t, ['fresh']);
    assert.deepEqual(await tracker.waitReplicated(1), { lagging: ['fresh'] });
    assert.equal(flags.get('fresh'), true);
  });

  it('acknowledges nothing replicated during the start-up grace', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let clock = 0;
    const tracker = new FollowerTracker({ timeoutMs: L, logger: silentLogger, now: () => clock });
    tracker.startGrace();
    const ack = tracker.waitReplicated(1);
    const done = { value: false };
    void ack.then(() => (done.value = true));
    clock += L;
    t.mock.timers.tick(L);
    await new Promise((r) => setImmediate(r));
    assert.equal(done.value, false, 'a follower of the previous master process may still hold a lease');
    clock += LEASE_MARGIN_MS + 1;
    t.mock.timers.tick(LEASE_MARGIN_MS + 1);
    assert.deepEqual(await ack, { lagging: [] });
  });

  it('forgets a non-member follower whose lease ended: later writes neither wait for it nor name it', async (t) => {
    const { tracker, advance, upToDate } = setup(t);
    upToDate('gateway-cache', 0);
    advance(L + LEASE_MARGIN_MS + 1);
    assert.deepEqual(await tracker.waitReplicated(1), { lagging: [] });
  });

  it('measures commit-to-applied lag over the followers in routing', async (t) => {
    const { tracker, advance, upToDate } = setup(t);
    upToDate('s1', 0);
    tracker.committed(1);
    advance(7);
    tracker.polled('s1', 1, 1);
    const lag = tracker.lagPercentiles();
    assert.equal(lag.samples, 1);
    assert.equal(lag.p50_ms, 7);
  });
});
