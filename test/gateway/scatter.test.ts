// Scatter-gather against fake slaves that each hold the whole data set: the merged answer must
// equal what one slave answers for the same request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PERIOD, SNAPSHOT, ManualMembership, makeDb, members, postJson, startFakeSlave, startNode, startTestGateway, tempDir, type FakeSlave, type TestGateway } from '../helpers';

const all = Array.from({ length: 40 }, (_, i) => `33:${String(i + 1).padStart(6, '0')}`);

const snapshots: Array<Record<string, unknown>> = [
  { ids: 'operating_income,net_profit', subjects: all.slice(0, 20).join(','), limit: 20 },
  { ids: 'net_profit', subjects: all.join(','), offset: 5, limit: 7 },
  { ids: ['net_profit'], subjects: all, field: 'operating_income', order: 'asc', offset: 30, limit: 20 },
  { ids: 'net_profit,report_date', subjects: all.slice(3, 30).join(','), field: 'report_date', order: -1, limit: 20 },
  { ids: 'operating_income', subjects: `${all.slice(0, 10).join(',')},${all[0]},33:999999`, field: 'operating_income', order: '1', limit: 10 },
  { ids: 'net_profit', subjects: all.slice(0, 12).join(','), offset: 100, limit: 5 },
];

describe('scatter-gather routing', () => {
  let a: FakeSlave;
  let b: FakeSlave;
  let c: FakeSlave;
  let gw: TestGateway;

  before(async () => {
    [a, b, c] = await Promise.all([startFakeSlave('a'), startFakeSlave('b'), startFakeSlave('c')]);
    gw = await startTestGateway(new ManualMembership(members(a, b, c)), () => ({ routing: 'scatter' }));
  });
  after(async () => {
    await gw.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  for (const [i, req] of snapshots.entries()) {
    it(`answers snapshot request ${i + 1} exactly as a single slave does`, async () => {
      const direct = await postJson(`${a.url}${SNAPSHOT}`, req);
      const viaGateway = await postJson(`${gw.url}/data${SNAPSHOT}`, req);
      assert.equal(viaGateway.status, 200);
      assert.deepEqual(viaGateway.json, direct.json);
    });
  }

  it('asks each owner only for its own subjects, from offset 0 with at most offset + limit rows', async () => {
    for (const s of [a, b, c]) s.seen.length = 0;
    await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: all.join(','), offset: 5, limit: 7 });
    const parts = [a, b, c].flatMap((s) => s.seen.map((r) => ({ slave: s.name, body: JSON.parse(r.body) })));
    assert.equal(parts.length, 3);
    const asked = parts.flatMap((p) => (p.body.subjects as string).split(','));
    assert.deepEqual([...asked].sort(), [...all].sort());
    for (const p of parts) {
      assert.equal(p.body.offset, 0);
      // A part never needs more rows than it has subjects (one row per subject), nor fewer than the limit.
      assert.equal(p.body.limit, Math.min(12, Math.max(p.body.subjects.split(',').length, 7)));
      assert.equal(p.body.ids, 'net_profit,operating_income', 'the sort field is added to ids');
      for (const s of (p.body.subjects as string).split(',')) assert.equal(gw.parts.nodes.ring.owner(s), p.slave);
    }
  });

  it('answers a period request with the subjects in request order', async () => {
    const req = { ids: 'net_profit', subjects: [...all.slice(0, 15)].reverse().join(','), from: 0, to: 2_000_000_000 };
    const direct = await postJson(`${a.url}${PERIOD}`, req);
    const viaGateway = await postJson(`${gw.url}/data${PERIOD}`, req);
    assert.equal(viaGateway.status, 200);
    assert.deepEqual(viaGateway.json, direct.json);
  });

  it('plans the same body separately for snapshot and period', async () => {
    const req = { ids: 'net_profit', subjects: all.slice(0, 12).join(','), from: 0, to: 2_000_000_000, limit: 12 };
    for (const path of [SNAPSHOT, PERIOD, SNAPSHOT]) {
      const direct = await postJson(`${a.url}${path}`, req);
      assert.deepEqual((await postJson(`${gw.url}/data${path}`, req)).json, direct.json, path);
    }
  });

  it('forwards a request whose fields it cannot read whole, so the slave gives the precise error', async () => {
    const before = gw.parts.counters.scattered;
    const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: all.join(','), limit: 'ten' });
    assert.equal(res.status, 200, 'the fake slave accepts it; a real one answers 400');
    assert.equal(gw.parts.counters.scattered, before);
  });

  it('passes the first part error through unchanged', async () => {
    a.mode = 'fail500';
    try {
      const res = await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: all.join(',') });
      assert.equal(res.status, 500);
      assert.equal(res.json.status_msg, 'a failed');
    } finally {
      a.mode = 'ok';
    }
  });
});

describe('scatter-gather over real nodes answering unknown ids as null', () => {
  it('keeps the warnings of the parts, each once, as a single node gives them', async (t) => {
    const dir = tempDir(t);
    const [x, y] = await Promise.all([
      startNode(t, { db: await makeDb(dir, { stocks: 12, name: 'x.db' }), unknownIds: 'null' }),
      startNode(t, { db: await makeDb(dir, { stocks: 12, name: 'y.db' }), unknownIds: 'null' }),
    ]);
    const gw = await startTestGateway(new ManualMembership([{ id: 'x', addr: x.url }, { id: 'y', addr: y.url }]), () => ({ routing: 'scatter' }));
    t.after(() => gw.close());
    const subjects = x.engine.subjects(undefined, 0, 12).subjects;
    for (const body of [
      { ids: 'net_profit,no_such_id', subjects: subjects.join(','), field: 'no_such_field', limit: 12 },
      { ids: 'net_profit,no_such_id', subjects: subjects.join(','), from: 0, to: 1893456000 },
    ]) {
      const path = 'from' in body ? PERIOD : SNAPSHOT;
      const direct = await postJson(`${x.url}${path}`, body);
      const viaGateway = await postJson(`${gw.url}/data${path}`, body);
      assert.equal(viaGateway.status, 200, viaGateway.text);
      assert.ok(direct.json.warnings.length > 0, 'the node warns');
      assert.deepEqual(viaGateway.json.warnings, direct.json.warnings);
      assert.deepEqual(viaGateway.json, direct.json);
    }
    assert.ok(gw.parts.counters.scattered >= 2, 'the requests were scattered');
  });
});
