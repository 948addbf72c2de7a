import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, httpRequest, makeDb, post, startNode, tempDir } from '../helpers';
import { FinanceStore } from '../../src/store/FinanceStore';
import { QueryEngine } from '../../src/query/QueryEngine';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('the query engine and its cache', () => {
  let file: string;
  let store: FinanceStore;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };

  before(async () => {
    file = await makeDb(tempDir(t), { stocks: 200, startYear: 2018, endYear: 2023 });
    store = await FinanceStore.open(file);
  });
  after(async () => {
    for (const fn of teardown.reverse()) await fn();
  });

  const engine = (cacheBytes: number) => new QueryEngine(store, { cacheBytes, maxLimit: 1000 });

  it('keeps the byte budget under many distinct queries', () => {
    const e = engine(200_000);
    const subjects = store.directory.subjects;
    for (let i = 0; i < 600; i++) {
      const s = [subjects[i % subjects.length], subjects[(i * 7) % subjects.length]];
      e.snapshot(body({ ids: 'operating_income,net_profit', subjects: s, limit: 20, offset: i % 3, timestamp: 1600000000 + i }));
      const field = ['roe', 'net_profit', 'operating_income', 'report_date'][i % 4];
      e.snapshot(body({ ids: 'roe', topic: 'stock_a_listing_pool', timestamp: 1500000000 + (i % 50) * 86400, field, order: i % 2 ? 1 : -1, limit: 5 }));
      assert.ok(e.cache.bytes <= 200_000, `cache holds ${e.cache.bytes} bytes`);
    }
    assert.ok(e.cache.evictions > 0, 'the budget forced evictions');
    assert.ok(e.cache.entries > 0);
  });

  it('builds an answer once and serves the stored bytes after that', () => {
    const e = engine(50_000_000);
    const req = body({ ids: 'operating_income', subjects: '33:000001,17:600000' });
    const first = e.snapshot(req);
    const again = Array.from({ length: 5 }, () => e.snapshot(req));
    assert.ok(again.every((b) => b === first), 'the very same stored buffer');
    assert.equal(e.counters.misses, 1);
    assert.equal(e.counters.hits, 5);
    assert.equal(e.counters.hitRate(), 83.33);
  });

  it('builds a topic view once for every query over the same topic and timestamp', () => {
    const e = engine(50_000_000);
    e.snapshot(body({ ids: 'roe', topic: 'stock_a_gem', timestamp: 1640995200 }));
    e.snapshot(body({ ids: 'net_profit', topic: 'stock_a_gem', timestamp: 1640995200, field: 'net_profit', offset: 3 }));
    e.snapshot(body({ ids: 'net_profit', topic: 'stock_a_gem', timestamp: 1640995201 }));
    assert.equal(e.counters.viewBuilds, 2);
    assert.equal(e.counters.misses, 3);
  });

  it('drops a subject\'s answers and its topic\'s views when it is invalidated', () => {
    const e = engine(50_000_000);
    const req = body({ ids: 'operating_income', subjects: '33:000001' });
    e.snapshot(req);
    e.snapshot(body({ ids: 'operating_income', topic: 'stock_a_listing_pool' }));
    const other = body({ ids: 'operating_income', subjects: '17:600000' });
    e.snapshot(other);
    assert.ok(e.invalidateSubject('33:000001') >= 3);
    e.snapshot(req);
    e.snapshot(other);
    assert.equal(e.counters.misses, 4, 'the invalidated answer was built again');
    assert.equal(e.counters.hits, 1, 'the other subject stayed cached');
  });

  it('computes identical concurrent misses once, as the stats endpoint shows', async (t2) => {
    const node = await startNode(t2, { db: file });
    const before = (await httpRequest(`${node.url}${API}/stats`)).json.data.cache;
    const req = { ids: 'roe', topic: 'stock_a_gem', timestamp: 1577836800 };
    await Promise.all(Array.from({ length: 8 }, () => post(node.url, `${API}/snapshot`, req)));
    const { cache } = (await httpRequest(`${node.url}${API}/stats`)).json.data;
    assert.equal(cache.misses, 1);
    assert.equal(cache.hits, 7);
    assert.equal(cache.view_builds - before.view_builds, 1);
    assert.equal(cache.hit_rate, 87.5);
    // Only counters something really counts: the table is read from SQLite once, so no load counter.
    assert.deepEqual(Object.keys(cache), ['entries', 'bytes', 'max_bytes', 'hits', 'misses', 'hit_rate', 'view_builds', 'evictions', 'data_bytes']);

    const reset = await post(node.url, `${API}/cache/reset`, {});
    assert.deepEqual(reset.json.data, { reset: true, cleared: 0 });
    const afterReset = (await httpRequest(`${node.url}${API}/stats`)).json.data.cache;
    assert.equal(afterReset.hits + afterReset.misses, 0);
    assert.ok(afterReset.entries > 0, 'reset keeps entries');
    await post(node.url, `${API}/cache/reset`, { clear: true });
    assert.equal((await httpRequest(`${node.url}${API}/stats`)).json.data.cache.entries, 0);
  });
});
