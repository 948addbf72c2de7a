import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, httpRequest, makeDb, post, startNode, tempDir } from '../helpers';
import { FinanceStore } from '../../src/store/FinanceStore';
import { QueryEngine } from '../../src/query/QueryEngine';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('the query engine and its cache', () => {
  let file: string;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };

  before(async () => {
    file = await makeDb(tempDir(t), { stocks: 200, startYear: 2018, endYear: 2023 });
  });
  after(async () => {
    for (const fn of teardown.reverse()) await fn();
  });

  async function engine(cacheBytes: number): Promise<QueryEngine> {
    const store = await FinanceStore.open(file);
    t.after(() => store.close());
    return new QueryEngine(store, { cacheBytes, maxLimit: 1000 });
  }

  it('keeps the byte budget under many distinct queries', async () => {
    const e = await engine(200_000);
    const subjects = e.store.directory.subjects;
    for (let i = 0; i < 600; i++) {
      const s = [subjects[i % subjects.length], subjects[(i * 7) % subjects.length]];
      await e.snapshot(body({ ids: 'operating_income,net_profit', subjects: s, limit: 20, offset: i % 3, timestamp: 1600000000 + i }));
      assert.ok(e.cache.bytes <= 200_000, `cache holds ${e.cache.bytes} bytes`);
    }
    assert.ok(e.cache.evictions > 0, 'the budget forced evictions');
    assert.ok(e.cache.entries > 0);
  });

  it('answers other ids, timestamps and ranges over a cached subject without SQLite', async () => {
    const e = await engine(50_000_000);
    await e.snapshot(body({ ids: 'operating_income', subjects: '33:000001,17:600000' }));
    const loads = e.stats.sqlLoads;
    await e.snapshot(body({ ids: 'net_profit,roe', subjects: '17:600000,33:000001', field: 'roe' }));
    await e.snapshot(body({ ids: 'basic_eps', subjects: '33:000001', timestamp: 1601424000 }));
    await e.period(body({ ids: 'total_profit', subjects: '33:000001', from: 1514764800, to: 1609459199 }));
    assert.equal(e.stats.sqlLoads, loads);
    assert.equal(e.stats.misses, 1);
    assert.equal(e.stats.hits, 3);
  });

  it('computes identical concurrent misses once', async () => {
    const e = await engine(50_000_000);
    const req = body({ ids: 'operating_income', topic: 'stock_a_listing_pool', timestamp: 1640995200, limit: 5 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => e.snapshot(req)));
    assert.equal(e.stats.sqlLoads, 1);
    assert.equal(e.stats.coalesced, 7);
    assert.ok(answers.every((a) => a.equals(answers[0])));
  });

  it('drops a subject\'s answers, series and topic views when it is invalidated', async () => {
    const e = await engine(50_000_000);
    const req = body({ ids: 'operating_income', subjects: '33:000001' });
    await e.snapshot(req);
    await e.snapshot(body({ ids: 'operating_income', topic: 'stock_a_listing_pool' }));
    await e.snapshot(body({ ids: 'operating_income', subjects: '17:600000' }));
    const loads = e.stats.sqlLoads;
    assert.ok(e.invalidateSubject('33:000001') >= 3);
    await e.snapshot(req);
    assert.equal(e.stats.sqlLoads, loads + 1, 'the subject was loaded again');
    await e.snapshot(body({ ids: 'operating_income', subjects: '17:600000' }));
    assert.equal(e.stats.sqlLoads, loads + 1, 'other subjects stayed cached');
  });

  it('counts hits, misses and loads in the stats endpoint, and resets them', async (t2) => {
    const node = await startNode(t2, { db: file });
    const before = (await httpRequest(`${node.url}${API}/stats`)).json.data.cache;
    const req = { ids: 'roe', topic: 'stock_a_gem', timestamp: 1577836800 };
    for (let i = 0; i < 5; i++) await post(node.url, `${API}/snapshot`, req);
    await post(node.url, `${API}/snapshot`, { ids: 'operating_income', topic: 'stock_a_gem', field: 'roe' });
    const { cache } = (await httpRequest(`${node.url}${API}/stats`)).json.data;
    assert.equal(cache.misses, 1, 'the as-of view had to be built');
    assert.equal(cache.sql_loads - before.sql_loads, 1);
    assert.equal(cache.answer_hits, 4);
    assert.equal(cache.hits, 5, 'the latest view was built by the warm-up');
    assert.equal(cache.hit_rate, 83.33);
    const reset = await post(node.url, `${API}/cache/reset`, {});
    assert.deepEqual(reset.json.data, { reset: true, cleared: 0 });
    const after = (await httpRequest(`${node.url}${API}/stats`)).json.data.cache;
    assert.equal(after.hits + after.misses + after.coalesced, 0);
    assert.ok(after.entries > 0, 'reset keeps entries');
    await post(node.url, `${API}/cache/reset`, { clear: true });
    assert.equal((await httpRequest(`${node.url}${API}/stats`)).json.data.cache.entries, 0);
  });
});
