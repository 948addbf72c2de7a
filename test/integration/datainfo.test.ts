// The DataInfo time-series API in a real cluster (master, slave and gateway as bundle processes):
// every endpoint through the gateway, writes refused by the slave, read-your-write through the
// gateway, search against a reference, bad input, and the series surviving a slave's kill -9 and
// its resync from the dump.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpRequest, type HttpAnswer } from '../helpers';
import { TestCluster } from './_cluster';

const T0 = 1_700_000_000;
const DAY = 86_400;

describe('DataInfo time series in a running cluster', () => {
  let c: TestCluster;
  let gw: string;
  before(async () => {
    c = await TestCluster.start({ slaves: 1, timeoutMs: 1000, stocks: 10, extraIni: '[tables]\n4 = my_table:6\n' });
    gw = `${c.gateway.url}/data`;
  });
  after(() => c?.stop());

  const save = (base: string, table: number | string, body: unknown, query = ''): Promise<HttpAnswer> =>
    httpRequest(`${base}/data/v1/save?id=${table}${query}`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: c.auth() });
  const get = (base: string, id: string, table: number): Promise<HttpAnswer> => httpRequest(`${base}/data/v1/get/${encodeURIComponent(id)}?tableId=${table}`);
  const del = (base: string, id: string, table: number): Promise<HttpAnswer> =>
    httpRequest(`${base}/data/v1/delete/${encodeURIComponent(id)}?tableId=${table}`, { method: 'DELETE', headers: c.auth() });
  const search = (base: string, body: unknown): Promise<HttpAnswer> => httpRequest(`${base}/data/v1/search`, { body: JSON.stringify(body) });

  it('saves through the gateway and reads the entity back from the gateway, the master and the slave', async () => {
    const w = await save(gw, 1, { id: '33:000001', data: { [T0 + DAY]: [1, 2, 3, 4], [T0]: [5, 6, 7, 8.5] } });
    assert.equal(w.status, 200, w.text);
    assert.deepEqual(w.json, { status_code: 0, status_msg: 'success', data: true });
    for (const base of [gw, c.master.url, c.slaves[0].url]) {
      const r = await get(base, '33:000001', 1);
      assert.equal(r.status, 200, r.text);
      if (base !== gw) assert.ok(Number(r.headers['x-kamaitachi-seq']) >= 1, 'a node stamps its applied seq');
      const d = r.json.data;
      assert.deepEqual(Object.keys(d), ['id', 'data', 'createTime', 'updateTime']);
      assert.equal(d.id, '33:000001');
      assert.deepEqual(d.data, { [T0]: [5, 6, 7, 8.5], [T0 + DAY]: [1, 2, 3, 4] });
      assert.equal(d.createTime, d.updateTime);
      assert.ok(Math.abs(d.createTime - Date.now()) < 60_000, 'unix ms of the write');
    }
    // Master and slave agree to the millisecond: the times come from the record.
    assert.equal((await get(c.master.url, '33:000001', 1)).text, (await get(c.slaves[0].url, '33:000001', 1)).text);
  });

  it('merges points by timestamp, replaces the entity with replace: true, keeps tables apart', async () => {
    assert.equal((await save(gw, 2, { id: 'm', data: { 10: [1, 1, 1, 1], 20: [2, 2, 2, 2] } })).status, 200);
    assert.equal((await save(gw, 2, { id: 'm', data: { 20: [9, 9, 9, 9], 30: [3, 3, 3, 3] } }, '&wait=durable')).status, 200);
    await c.until(async () => Object.keys((await get(c.slaves[0].url, 'm', 2)).json?.data?.data ?? {}).length === 3, 'the durable write on the slave');
    const merged = (await get(gw, 'm', 2)).json.data;
    assert.deepEqual(merged.data, { 10: [1, 1, 1, 1], 20: [9, 9, 9, 9], 30: [3, 3, 3, 3] });
    assert.ok(merged.updateTime >= merged.createTime);
    assert.equal((await save(gw, 2, { id: 'm', data: { 40: [4, 4, 4, 4] }, replace: true })).status, 200);
    const replaced = (await get(gw, 'm', 2)).json.data;
    assert.deepEqual(replaced.data, { 40: [4, 4, 4, 4] });
    assert.equal(replaced.createTime, merged.createTime);
    assert.equal((await get(gw, 'm', 1)).status, 404, 'table 1 has no entity m');
    const custom = await save(gw, 4, { id: 'c', data: { 1: [1, 2, 3, 4, 5, 6] } });
    assert.equal(custom.status, 200, custom.text);
    assert.deepEqual((await get(c.slaves[0].url, 'c', 4)).json.data.data, { 1: [1, 2, 3, 4, 5, 6] });
  });

  it('deletes through the gateway: the entity is gone everywhere, and deleting an unknown id answers true', async () => {
    assert.equal((await save(gw, 1, { id: 'gone', data: { 1: [1, 2, 3, 4] } })).status, 200);
    assert.equal((await get(gw, 'gone', 1)).status, 200);
    const d = await del(gw, 'gone', 1);
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.data, true);
    for (const base of [gw, c.master.url, c.slaves[0].url]) {
      const r = await get(base, 'gone', 1);
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json.error_code, 'KMT_NOT_FOUND');
    }
    const again = await del(gw, 'never-saved', 1);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.data, true);
  });

  it('refuses saves and deletes sent to the slave with 421 naming the master', async () => {
    for (const a of [await save(c.slaves[0].url, 1, { id: 'x', data: { 1: [1, 2, 3, 4] } }), await del(c.slaves[0].url, 'x', 1)]) {
      assert.equal(a.status, 421, a.text);
      assert.equal(a.json.error_code, 'KMT_NOT_MASTER');
      assert.ok(a.json.status_msg.includes(c.master.url), a.json.status_msg);
    }
  });

  it('reads its own save through the gateway 1,000 times, never a stale answer', async () => {
    const CLIENTS = 16;
    let stale = 0;
    const client = async (n: number): Promise<void> => {
      for (let i = n; i < 1000; i += CLIENTS) {
        // Each client owns its ids; a value other than its last save is stale.
        const id = `rw:${n}:${i % 3}`;
        const w = await save(gw, 1, { id, data: { [T0]: [i, i, i, i] } });
        assert.equal(w.status, 200, w.text);
        const r = await get(gw, id, 1);
        assert.equal(r.status, 200, r.text);
        if (r.json.data.data[T0][0] !== i) stale++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    assert.equal(stale, 0);
  });

  it('searches with paging and time ranges exactly as a reference computed here', async () => {
    // 40 entities of table 3 (8 values), each with points on some of 20 days.
    const ref = new Map<string, Map<number, number[]>>();
    let x = 5;
    const rnd = (k: number): number => (x = (x * 1103515245 + 12345) % 2147483648) % k;
    for (let e = 0; e < 40; e++) {
      const id = `s:${String(rnd(1000)).padStart(3, '0')}:${e}`;
      const points: Record<string, number[]> = {};
      for (let p = 1 + rnd(6); p > 0; p--) points[T0 + DAY * rnd(20)] = Array.from({ length: 8 }, () => rnd(100) / 4);
      const m = ref.get(id) ?? new Map<number, number[]>();
      for (const [ts, v] of Object.entries(points)) m.set(Number(ts), v);
      ref.set(id, m);
      assert.equal((await save(gw, 3, { id, data: points }, '&wait=replicated')).status, 200);
    }
    const allIds = [...ref.keys()].sort();
    const expect = (ids: string[], start: number, end: number, limit: number, offset: number) => {
      const rows = [];
      for (const id of [...new Set(ids.length ? ids : allIds)].sort()) {
        const m = ref.get(id);
        if (!m) continue;
        const data: Record<string, number[]> = {};
        for (const ts of [...m.keys()].sort((a, b) => a - b)) if ((start === 0 || ts >= start) && (end === 0 || ts <= end)) data[ts] = m.get(ts)!;
        if (Object.keys(data).length > 0) rows.push({ id, data });
      }
      return { count: rows.length, rows: rows.slice(offset, offset + limit) };
    };
    const some = [allIds[3], 'no-such-id', allIds[17], allIds[3], allIds[30]];
    const cases: Array<[string[], number, number, number, number]> = [
      [[], 0, 0, 100, 0],
      [[], 0, 0, 7, 7],
      [[], T0 + 5 * DAY, T0 + 9 * DAY, 10, 2],
      [[], T0 + 15 * DAY, 0, 100, 0],
      [[], 0, T0 + 2 * DAY, 100, 0],
      [some, 0, 0, 100, 0],
      [some, T0 + 3 * DAY, T0 + 12 * DAY, 1, 1],
      [[], 0, 0, 0, 0],
      [[], 0, 0, 10, 100],
    ];
    for (const [ids, startTime, endTime, limit, offset] of cases) {
      for (const base of [gw, c.slaves[0].url]) {
        const r = await search(base, { tableId: 3, subjectIds: ids, startTime, endTime, limit, offset });
        assert.equal(r.status, 200, r.text);
        const got = { count: r.json.data.count, rows: r.json.data.rows.map((row: { id: string; data: unknown }) => ({ id: row.id, data: row.data })) };
        assert.deepEqual(got, expect(ids, startTime, endTime, limit, offset), JSON.stringify({ ids, startTime, endTime, limit, offset }));
      }
    }
    // A save drops the table's cached searches.
    const before = (await search(gw, { tableId: 3, subjectIds: [allIds[0]] })).json.data.rows[0].data;
    assert.equal((await save(gw, 3, { id: allIds[0], data: { [T0 + 100 * DAY]: [1, 2, 3, 4, 5, 6, 7, 8] } })).status, 200);
    const later = (await search(gw, { tableId: 3, subjectIds: [allIds[0]] })).json.data.rows[0].data;
    assert.deepEqual(later, { ...before, [T0 + 100 * DAY]: [1, 2, 3, 4, 5, 6, 7, 8] });
  });

  it('answers bad input with 400 naming the field, 404 for an unknown id and 413 for a body over the limit', async () => {
    const bad: Array<[Promise<HttpAnswer>, number, RegExp]> = [
      [save(gw, 1, { id: '', data: { 1: [1, 2, 3, 4] } }), 400, /^id: is required/],
      [save(gw, 1, { data: { 1: [1, 2, 3, 4] } }), 400, /^id: is required/],
      [save(gw, 1, { id: 'a', data: {} }), 400, /^data: must hold at least one point/],
      [save(gw, 1, { id: 'a' }), 400, /^data: is required/],
      [save(gw, 1, { id: 'a', data: { abc: [1, 2, 3, 4] } }), 400, /^data\["abc"\]: the key must be a unix time/],
      [save(gw, 1, { id: 'a', data: { 1: [1, 2, 3] } }), 400, /^data\["1"\]: must be 4 numbers \(table 1 stock_data\)/],
      [save(gw, 3, { id: 'a', data: { 1: [1, 2, 3, 4] } }), 400, /^data\["1"\]: must be 8 numbers/],
      [save(gw, 1, { id: 'a', data: { 1: [1, 2, '3', 4] } }), 400, /^data\["1"\]\[2\]: must be a finite number/],
      [save(gw, 9, { id: 'a', data: { 1: [1, 2, 3, 4] } }), 400, /^id \(the table number, query string\): unknown table 9; the tables are 1 stock_data/],
      [save(gw, 1, { id: 'a', data: { 1: [1, 2, 3, 4] }, colour: 'red' }), 400, /^colour: unknown field/],
      [save(gw, 1, { id: 'a', data: { 1: [1, 2, 3, 4] } }, '&wait=soon'), 400, /^wait: must be "replicated" or "durable"/],
      [save(gw, 1, '{"id":'), 400, /not valid JSON/],
      [httpRequest(`${gw}/data/v1/get/a`), 400, /^tableId \(query string\): is required/],
      [httpRequest(`${gw}/data/v1/get/a?tableId=7`), 400, /^tableId \(query string\): unknown table 7/],
      [httpRequest(`${gw}/data/v1/get/%E0%A4%A?tableId=1`), 400, /percent-encoding/],
      [get(gw, 'nobody', 1), 404, /^no entity "nobody" in table 1 \(stock_data\)/],
      [search(gw, { tableId: 1, limit: -1 }), 400, /^limit: must be an integer between 0 and 10000/],
      [search(gw, { tableId: 1, offset: -5 }), 400, /^offset: must be an integer between 0/],
      [search(gw, { tableId: 1, startTime: 20, endTime: 10 }), 400, /^startTime \(20\) is after endTime \(10\)/],
      [search(gw, { tableId: 99 }), 400, /^tableId: unknown table 99/],
      [search(gw, {}), 400, /^tableId: is required/],
      [search(gw, { tableId: 1, subjectIds: 'a' }), 400, /^subjectIds: must be an array/],
      [search(gw, { tableId: 1, subjectIds: [3] }), 400, /^subjectIds\[0\]: must be a string/],
    ];
    for (const [pending, status, message] of bad) {
      const r = await pending;
      assert.equal(r.status, status, r.text);
      assert.match(r.json.status_msg, message);
      assert.equal(r.json.status_code, status);
    }
    const big = JSON.stringify({ id: 'big', data: { 1: [1, 2, 3, 4] }, pad: 'x'.repeat(9 * 1024 * 1024) });
    const r = await save(c.master.url, 1, big);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error_code, 'KMT_BODY_TOO_LARGE');
    assert.equal((await get(c.master.url, 'big', 1)).status, 404, 'nothing of a refused save applied');
  });

  it('keeps the entities of a slave killed with -9 and restarted, and catches up with saves made meanwhile', async () => {
    assert.equal((await save(gw, 2, { id: 'kept', data: { 5: [5, 5, 5, 5] } })).status, 200);
    await c.kill(c.slaves[0]);
    assert.equal((await save(c.master.url, 2, { id: 'while-down', data: { 6: [6, 6, 6, 6] } })).status, 200);
    c.slaves[0] = await c.startSlave(1);
    assert.deepEqual((await get(c.slaves[0].url, 'kept', 2)).json.data.data, { 5: [5, 5, 5, 5] });
    assert.deepEqual((await get(c.slaves[0].url, 'while-down', 2)).json.data.data, { 6: [6, 6, 6, 6] });
    assert.equal((await c.stats(c.slaves[0])).replication.resyncs, 0);
    await c.until(async () => (await c.healthyNodes()).length === 1, 'the slave back in routing');
  });

  it('gives a slave resynced from the dump every entity', async () => {
    await c.kill(c.slaves[0]);
    assert.equal((await save(c.master.url, 1, { id: 'after-dump', data: { 7: [7, 7, 7, 7] } })).status, 200);
    const cp = await httpRequest(`${c.master.url}/kamaitachi/api/cluster/v1/checkpoint`, { method: 'POST', body: '', headers: c.auth() });
    assert.equal(cp.status, 200, cp.text);
    assert.equal((await httpRequest(`${c.master.url}/kamaitachi/api/cluster/v1/changes?since=1`)).status, 410);
    c.slaves[0] = await c.startSlave(1);
    assert.equal((await c.stats(c.slaves[0])).replication.resyncs, 1);
    const all = { tableId: 1, limit: 10_000 };
    const fromMaster = (await search(c.master.url, all)).json.data;
    const fromSlave = (await search(c.slaves[0].url, all)).json.data;
    assert.ok(fromMaster.count > 40);
    assert.deepEqual(fromSlave, fromMaster);
    // /stats counts the entities per table, the same on both.
    const [ms, ss] = [await c.stats(c.master), await c.stats(c.slaves[0])];
    assert.equal(ms.datainfo_entities['1'], fromMaster.count);
    assert.deepEqual(ss.datainfo_entities, ms.datainfo_entities);
    assert.deepEqual((await get(c.slaves[0].url, 'after-dump', 1)).json.data.data, { 7: [7, 7, 7, 7] });
    assert.deepEqual((await get(c.slaves[0].url, 'kept', 2)).json.data.data, { 5: [5, 5, 5, 5] });
  });

  it('keeps every acknowledged save and delete of a master killed with -9 (journal replay)', async () => {
    assert.equal((await save(c.master.url, 2, { id: 'acked', data: { 8: [8, 8, 8, 8] } }, '&wait=durable')).status, 200);
    assert.equal((await del(c.master.url, 'kept', 2)).status, 200);
    const before = (await get(c.master.url, 'acked', 2)).text;
    c.master = await c.restart(c.master);
    assert.equal((await get(c.master.url, 'acked', 2)).text, before);
    assert.equal((await get(c.master.url, 'kept', 2)).status, 404);
  });
});
