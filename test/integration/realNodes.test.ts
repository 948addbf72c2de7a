// The gateway in front of real slave processes from the bundle: scatter-gather gives the same
// answers as one slave, stats add up, and a slave killed with SIGKILL costs no request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { StaticMembership } from '../../src/cluster/staticMembership';
import { DATA_ROUTES } from '../../src/shared/routes';
import { PERIOD, SNAPSHOT, STATS, http, makeTestDb, postJson, startNodeProcess, startTestGateway, waitFor, type NodeProcess, type TestGateway } from '../helpers';

// A slave that cannot start fails the suite in before(); the suite is never skipped.
describe('gateway with real slaves', () => {
  let dir: string;
  let db: string;
  const nodes: NodeProcess[] = [];
  let scatter: TestGateway;
  let owner: TestGateway;
  let subjects: string[];

  before(async () => {
    ({ dir, db } = await makeTestDb());
    nodes.push(...(await Promise.all(['s1', 's2', 's3'].map((name) => startNodeProcess('slave', ['--db', db, '--name', name])))));
    const list = nodes.map((n) => n.url);
    scatter = await startTestGateway(new StaticMembership(list), () => ({ routing: 'scatter' }));
    owner = await startTestGateway(new StaticMembership(list), () => ({ routing: 'owner' }));
    const answer = await http('GET', `${nodes[0].url}${DATA_ROUTES.subjects}?offset=0&limit=1000`);
    subjects = answer.json.data.subjects;
    assert.ok(subjects.length >= 100);
  });
  after(async () => {
    await scatter?.close();
    await owner?.close();
    for (const n of nodes) n.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  const requests = (): Array<[string, Record<string, unknown>]> => [
    [SNAPSHOT, { ids: 'operating_income,net_profit,total_profit', subjects: subjects.slice(0, 2).join(','), field: 'report_date', order: -1, limit: 20 }],
    [SNAPSHOT, { ids: 'operating_income,net_profit,total_profit,operating_profit', subjects: subjects.slice(10, 60).join(','), limit: 20 }],
    [SNAPSHOT, { ids: ['net_profit'], subjects: subjects.slice(0, 80), field: 'operating_income', order: 'asc', offset: 15, limit: 10 }],
    [SNAPSHOT, { ids: 'net_profit', subjects: `${subjects.slice(20, 40).join(',')},33:999999,${subjects[20]}`, field: 'total_profit', order: '1', limit: 30 }],
    [SNAPSHOT, { ids: 'net_profit,report_date', subjects: subjects.slice(5, 45).join(','), timestamp: 1_664_553_600, limit: 12 }],
    [SNAPSHOT, { ids: 'roe', subjects: subjects.slice(0, 30).join(','), field: 'roe', limit: 5, offset: 3 }],
    [SNAPSHOT, { ids: 'net_profit', subjects: subjects.slice(0, 30).join(','), offset: 500, limit: 5 }],
    [SNAPSHOT, { ids: 'no_such_indicator', subjects: subjects.slice(0, 30).join(',') }],
    [SNAPSHOT, { ids: 'net_profit', topic: 'stock_a_listing_pool', limit: 15 }],
    [PERIOD, { ids: 'net_profit,operating_income', subjects: subjects.slice(30, 42).reverse().join(','), from: 1_609_459_200, to: 1_700_000_000 }],
    // Point in time (known_at): the body passes through, or is split by subjects, unchanged.
    [SNAPSHOT, { ids: 'net_profit,end_date,declare_date', subjects: subjects.slice(0, 50), known_at: 1_682_899_200, limit: 20 }],
    [SNAPSHOT, { ids: 'roe,end_date', subjects: subjects.slice(10, 40).join(','), field: 'roe', timestamp: 1_672_444_800, known_at: 1_680_307_200, limit: 15 }],
    [SNAPSHOT, { ids: 'roe', topic: 'stock_a_listing_pool', field: 'roe', known_at: 1_681_000_000, limit: 15 }],
    [PERIOD, { ids: 'operating_income', subjects: subjects.slice(30, 42).join(','), from: 1_609_459_200, to: 1_700_000_000, known_at: 1_690_000_000 }],
  ];

  it('answers every request byte for byte as a single slave does, in both routing modes', async () => {
    for (const [path, req] of requests()) {
      const direct = await postJson(`${nodes[0].url}${path}`, req);
      for (const gw of [scatter, owner]) {
        const via = await postJson(`${gw.url}/data${path}`, req);
        assert.equal(via.status, direct.status, JSON.stringify(req));
        assert.equal(via.text, direct.text, `${gw === scatter ? 'scatter' : 'owner'} ${JSON.stringify(req)}`);
      }
    }
    assert.ok(scatter.parts.counters.scattered >= 6, 'multi-subject requests were really split');
  });

  it('reports aggregate stats equal to the sum of the per-slave stats', async () => {
    const agg = (await http('GET', `${scatter.url}${STATS}`)).json.data;
    const per = await Promise.all(nodes.map(async (n) => (await http('GET', `${n.url}${STATS}`)).json.data.cache));
    for (const k of ['entries', 'hits', 'misses', 'bytes', 'evictions']) {
      assert.equal(agg.aggregate[k], per.reduce((s, c) => s + c[k], 0), k);
    }
    assert.equal(agg.count, 3);
    for (const p of agg.per_node as Array<{ addr: string; stats: { cache: { hits: number } } }>) {
      assert.equal(p.stats.cache.hits, per[nodes.findIndex((n) => n.url === p.addr)].hits, p.addr);
    }
  });

  it('loses no request when a slave is killed with SIGKILL under load and stops routing to it', async () => {
    const victims = await Promise.all(['k1', 'k2'].map((name) => startNodeProcess('slave', ['--db', db, '--name', name])));
    nodes.push(...victims);
    const gw = await startTestGateway(new StaticMembership(victims.map((v) => v.url)), () => ({ routing: 'scatter' }));
    try {
      const statuses: number[] = [];
      let stop = false;
      const worker = async (w: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const s = subjects[(w * 37 + i) % subjects.length];
          const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: `${s},${subjects[(i * 7) % subjects.length]}`, limit: 5 });
          statuses.push(res.status);
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
      await waitFor(() => statuses.length >= 200, 'warm traffic', 10_000);
      const dead = victims[0];
      process.kill(dead.pid, 'SIGKILL');
      await dead.exited;
      const atKill = statuses.length;
      await waitFor(() => statuses.length >= atKill + 400, 'traffic after the kill', 10_000);
      stop = true;
      await load;
      const failed = statuses.filter((s) => s !== 200).length;
      assert.equal(failed, 0, `${failed} of ${statuses.length} requests failed`);
      // Skipped without being called: whichever saw it first (its breaker, outlier ejection or
      // the health checks) has taken it out of routing.
      const status = (await http('GET', `${gw.url}/monitor/status`)).json.data;
      const deadNode = status.nodes.find((n: { addr: string }) => n.addr === dead.url);
      assert.equal(deadNode.healthy, false, `the dead slave is skipped without being called: ${JSON.stringify(deadNode)}`);
      assert.ok(deadNode.breaker === 'OPEN' || deadNode.state !== 'in_ring', `out of routing: ${JSON.stringify(deadNode)}`);
      assert.ok(gw.parts.counters.failovers > 0);
    } finally {
      await gw.close();
    }
  });
});
