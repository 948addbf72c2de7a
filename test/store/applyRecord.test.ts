import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRecord, applyRecords } from '../../src/store/applyRecord';
import { SqlApplier } from '../../src/store/checkpointSql';
import { FinanceStore } from '../../src/store/FinanceStore';
import type { ChangeRecord } from '../../src/store/records';
import { makeDb, openReference, tempDir } from '../helpers';
import { dumpReference, dumpStore, randomRecords, referenceApply, referenceFrom } from './_store';

describe('applyRecord', () => {
  it('gives what the reference model gives, and the SQL twin writes the same data', async (t) => {
    const dir = tempDir(t);
    const file = await makeDb(dir, { stocks: 40 });
    const store = await FinanceStore.open(file);
    const db = await openReference(file);
    const ref = referenceFrom(db);
    const sql = new SqlApplier(db, file);
    const records = randomRecords(store, 400, 11);
    let inserted = 0;
    let deleted = 0;
    for (const r of records) {
      const effect = applyRecord(store, r);
      inserted += effect.inserted;
      deleted += effect.deleted;
      referenceApply(ref, r);
      sql.apply([r]);
      assert.equal(store.seq, r.seq);
    }
    // The run exercised every path: inserts, deletes, and compactions.
    assert.ok(inserted > 100 && deleted > 50, `inserted ${inserted}, deleted ${deleted}`);
    assert.ok(store.generation >= 2, `compactions: ${store.generation}`);

    const mem = dumpStore(store);
    assert.deepEqual(mem.subjects, dumpReference(ref, store.schema.indicators));
    assert.equal(mem.total, [...ref.values()].reduce((n, m) => n + m.size, 0));

    // What the checkpoint worker would write reads back as the same data.
    const out = join(dir, 'applied.db');
    writeFileSync(out, db.export());
    db.close();
    const reread = dumpStore(await FinanceStore.open(out));
    assert.deepEqual(reread.subjects, mem.subjects);
    assert.deepEqual(reread.topics, mem.topics);
  });

  it('applying records in batches (journal replay) gives the same data as one by one', async (t) => {
    const file = await makeDb(tempDir(t), { stocks: 40 });
    const one = await FinanceStore.open(file);
    const batched = await FinanceStore.open(file);
    const records = randomRecords(one, 300, 12);
    for (const r of records) applyRecord(one, r);
    for (let i = 0; i < records.length; i += 50) applyRecords(batched, records.slice(i, i + 50));
    assert.equal(batched.seq, 300);
    assert.deepEqual(dumpStore(batched), dumpStore(one));
  });

  it('names touched subjects with their old and new topics, and keeps untouched rows in place', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 40 }), { forWrites: true });
    const [a, b] = store.directory.subjects;
    const entryB = store.directory.get(b)!;
    const oldTopic = store.directory.get(a)!.topic;
    const date = store.frame.dates[store.directory.get(a)!.start];
    const rec: ChangeRecord = { seq: 1, time: 0, ops: [{ op: 'upsert', rows: [{ subject_key: a, report_date: date, topic: 'stock_b_pool', operating_income: 5 }] }] };
    const effect = applyRecord(store, rec);
    assert.deepEqual({ ...effect, subjects: [...effect.subjects], topics: [...effect.topics].sort() }, {
      inserted: 0,
      updated: 1,
      deleted: 0,
      subjects: [a],
      topics: [oldTopic, 'stock_b_pool'].sort(),
    });
    assert.equal(store.directory.get(a)!.topic, 'stock_b_pool');
    assert.ok(store.directory.inTopic('stock_b_pool').includes(a));
    assert.ok(!store.directory.inTopic(oldTopic).includes(a));
    assert.equal(store.directory.get(b), entryB, 'an untouched subject keeps its entry');
    assert.equal(store.frame.values[store.schema.indicators.indexOf('operating_income')][store.directory.get(a)!.start], 5);
  });

  it('adds a new subject in key order with defaults, and removes a subject whose rows are all deleted', async (t) => {
    const store = await FinanceStore.open(await makeDb(tempDir(t), { stocks: 40 }));
    const before = store.directory.size;
    const rows = store.totalRecords;
    const e1 = applyRecord(store, { seq: 1, time: 0, ops: [{ op: 'upsert', rows: [{ subject_key: '17:000001', report_date: 1700000000, net_profit: 1.5 }] }] });
    assert.equal(e1.inserted, 1);
    assert.equal(store.directory.subjects[0], '17:000001');
    const entry = store.directory.get('17:000001')!;
    assert.deepEqual(JSON.parse(entry.info), { subject: '17:000001', name: '17:000001', status: '213001', listing_date: '', category: 'stock' });
    assert.equal(entry.topic, 'stock_a_listing_pool');
    assert.equal(store.totalRecords, rows + 1);

    const victim = store.directory.subjects[5];
    const n = store.directory.get(victim)!.end - store.directory.get(victim)!.start;
    const e2 = applyRecord(store, { seq: 2, time: 0, ops: [{ op: 'delete', subject_key: victim }, { op: 'delete', subject_key: '99:nothing' }] });
    assert.equal(e2.deleted, n);
    assert.deepEqual([...e2.subjects], [victim]);
    assert.equal(store.directory.get(victim), undefined);
    assert.equal(store.directory.size, before);
    assert.ok(!store.directory.subjects.includes(victim));
    assert.equal(store.totalRecords, rows + 1 - n);
  });
});
