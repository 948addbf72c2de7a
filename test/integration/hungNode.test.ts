// One of two real slaves stopped with SIGSTOP (it accepts connections and never answers) while
// a bounded load runs through the gateway: no request fails, and the requests meant for the
// stopped slave are answered by the other after their hedge time, not after the upstream
// timeout. Counts are asserted, not latencies (bench/faults/sigstop.mjs measures those).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StaticMembership } from '../../src/cluster/staticMembership';
import { DATA_ROUTES } from '../../src/shared/routes';
import { SNAPSHOT, http, makeTestDb, postJson, startNodeProcess, startTestGateway, waitFor, type NodeProcess, type TestGateway } from '../helpers';

const UPSTREAM_TIMEOUT_MS = 2000;
const WORKERS = 16;
/** The load runs on this long after the SIGSTOP: past the health checks' verdict. */
const STOPPED_MS = 2500;
/** Bounds of the whole load, whatever the shared machine does. */
const MAX_MS = 20_000;
const MAX_REQUESTS = 20_000;

describe('a hung slave', () => {
  let dir: string;
  const nodes: NodeProcess[] = [];
  let gw: TestGateway;
  let subjects: string[];

  before(async () => {
    let db: string;
    ({ dir, db } = await makeTestDb());
    nodes.push(...(await Promise.all(['s1', 's2'].map((name) => startNodeProcess('slave', ['--db', db, '--name', name])))));
    gw = await startTestGateway(new StaticMembership(nodes.map((n) => n.url)), (c) => ({
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
      hedgeAfter: 'adaptive',
      health: { ...c.health, intervalMs: 250, timeoutMs: 300 },
    }));
    subjects = (await http('GET', `${nodes[0].url}${DATA_ROUTES.subjects}?offset=0&limit=100`)).json.data.subjects;
  });
  after(async () => {
    await gw?.close();
    for (const n of nodes) {
      // A stopped process takes SIGKILL too, but continue it first so nothing is left stopped.
      n.kill('SIGCONT');
      n.kill('SIGKILL');
    }
    await Promise.all(nodes.map((n) => n.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('costs no failed request and no upstream timeout: its requests are answered by the other slave', async () => {
    const stopped = nodes[1];
    const stoppedId = gw.parts.nodes.all().find((n) => n.addr === stopped.url)!.id;
    let end = performance.now() + MAX_MS;
    let sent = 0;
    const failed: string[] = [];
    let timedOut = 0;
    const worker = async (w: number): Promise<void> => {
      while (performance.now() < end && sent < MAX_REQUESTS) {
        const subject = subjects[(sent++ * 7 + w) % subjects.length];
        const t0 = performance.now();
        const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subject });
        if (performance.now() - t0 >= UPSTREAM_TIMEOUT_MS) timedOut++;
        if (res.status !== 200) failed.push(`${res.status} ${res.text.slice(0, 200)}`);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await waitFor(() => sent > 200, 'the load to warm up', 10_000);
    stopped.kill('SIGSTOP');
    end = Math.min(end, performance.now() + STOPPED_MS);
    await load;
    stopped.kill('SIGCONT');

    const c = gw.parts.counters;
    assert.deepEqual(failed, [], 'failed requests');
    assert.equal(timedOut, 0, 'requests that waited the whole upstream timeout');
    assert.equal(c.upstream_errors_by_cause.timeout, 0);
    assert.ok(c.hedge_wins > 0, 'requests meant for the stopped slave were answered by the other');
    const events = gw.parts.feed.snapshot().events;
    assert.ok(
      events.some((e) => (e.kind === 'member_down' || e.kind === 'ejected') && e.member === stoppedId),
      'the stopped slave was taken out of the ring',
    );
    assert.ok(sent > 400, `a real load ran (${sent} requests)`);
  });
});
