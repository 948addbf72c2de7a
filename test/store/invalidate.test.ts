import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryEngine } from '../../src/query/QueryEngine';
import { applyRecord } from '../../src/store/applyRecord';
import { FinanceStore } from '../../src/store/FinanceStore';
import { makeDb, tempDir } from '../helpers';
import { answersOf, randomRecords, requestBodies } from './_store';

const engineOf = (store: FinanceStore) => new QueryEngine(store, { cacheBytes: 64 * 1024 * 1024, maxLimit: 1000 });
const body = (o: object) => Buffer.from(JSON.stringify(o));

describe('QueryEngine.invalidate', () => {
  it('drops exactly the answers and views of the touched subjects and topics', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 200 }));
    const engine = engineOf(store);
    const gem = store.directory.inTopic('stock_a_gem');
    const pool = store.directory.inTopic('stock_a_listing_pool');
    assert.ok(gem.length >= 2 && pool.length >= 2);
    const [a, b] = pool;
    const queries = {
      a: body({ ids: 'net_profit', subjects: a }),
      b: body({ ids: 'net_profit', subjects: b }),
      unknown: body({ ids: 'net_profit', subjects: '33:000000' }),
      poolTopic: body({ ids: 'net_profit', topic: 'stock_a_listing_pool' }),
      gemTopic: body({ ids: 'net_profit', topic: 'stock_a_gem' }),
    };
    for (const q of Object.values(queries)) engine.snapshot(q);
    const before = engine.counters.misses;
    const date = store.frame.dates[store.directory.get(a)!.start];
    const effect = applyRecord(store, {
      seq: 1,
      time: 0,
      ops: [{ op: 'upsert', rows: [{ subject_key: a, report_date: date, net_profit: 42 }, { subject_key: '33:000000', report_date: date, net_profit: 7 }] }],
    });
    assert.ok(engine.invalidate(effect) >= 3);
    const missed = (q: Buffer): boolean => {
      const m = engine.counters.misses;
      engine.snapshot(q);
      return engine.counters.misses > m;
    };
    assert.deepEqual(
      Object.fromEntries(Object.entries(queries).map(([k, q]) => [k, missed(q)])),
      { a: true, b: false, unknown: true, poolTopic: true, gemTopic: false },
    );
    assert.equal(engine.counters.misses, before + 3);
    assert.match(engine.snapshot(queries.a).toString(), /"net_profit":42/);
    assert.match(engine.snapshot(queries.unknown).toString(), /"net_profit":7/);
  });

  it('answers the same after compactions as a fresh engine, with every view rebuilt', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 80 }));
    const engine = engineOf(store);
    engine.warmUp();
    const bodies = requestBodies(store, 20);
    answersOf(engine, bodies);
    let generation = store.generation;
    for (const r of randomRecords(store, 200, 21)) {
      engine.invalidate(applyRecord(store, r));
      if (store.generation !== generation) {
        // Right after a compaction: the cached engine (views dropped) agrees with a fresh one.
        generation = store.generation;
        assert.deepEqual(answersOf(engine, bodies), answersOf(engineOf(store), bodies));
      }
    }
    assert.ok(generation >= 2, `compactions: ${generation}`);
    const fresh = answersOf(engineOf(store), bodies);
    assert.deepEqual(answersOf(engine, bodies), fresh);
    // An explicit compaction moves every row: the views (row indices) go, the answers stay.
    const views = () => engine.cache.keysOldestFirst().filter((k) => k[0] === 't').length;
    const answers = engine.cache.entries - views();
    assert.ok(views() > 0);
    const frame = store.frame;
    store.compact();
    assert.notEqual(store.frame, frame);
    engine.invalidate({ inserted: 0, updated: 0, deleted: 0, subjects: new Set(), topics: new Set() });
    assert.equal(views(), 0);
    assert.equal(engine.cache.entries, answers);
    assert.deepEqual(answersOf(engineOf(store), bodies), fresh);
    const built = engine.counters.viewBuilds;
    engine.snapshot(body({ ids: 'net_profit', topic: 'stock_a_listing_pool', field: 'roe', limit: 7 }));
    assert.equal(engine.counters.viewBuilds, built + 1);
  });

  it('replaceStore drops everything and serves the new data', async (t) => {
    const dir = tempDir(t);
    const s1 = await FinanceStore.open(await makeDb(dir, { stocks: 20, name: 'a.db' }));
    const s2 = await FinanceStore.open(await makeDb(dir, { stocks: 20, name: 'b.db', seed: 8 }));
    const engine = engineOf(s1);
    const bodies = requestBodies(s1, 5);
    answersOf(engine, bodies);
    engine.replaceStore(s2);
    assert.equal(engine.cache.entries, 0);
    assert.deepEqual(answersOf(engine, bodies), answersOf(engineOf(s2), bodies));
  });
});
