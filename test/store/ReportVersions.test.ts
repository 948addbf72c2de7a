import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRecord, applyRecords } from '../../src/store/applyRecord';
import { SqlApplier } from '../../src/store/checkpointSql';
import { FinanceStore } from '../../src/store/FinanceStore';
import type { ChangeRecord } from '../../src/store/records';
import { makeDb, openReference, tempDir } from '../helpers';
import { referenceFrom } from './_store';
import { canonical, keptOf, timedRecords, VersionsReference } from './_versions';

describe('report versions', () => {
  it('keeps what the reference keeps, in memory and in the SQL twin, and reads back from the file', async (t) => {
    const dir = tempDir(t);
    const file = await makeDb(dir, { stocks: 40 });
    const store = await FinanceStore.open(file);
    const db = await openReference(file);
    const ref = new VersionsReference(referenceFrom(db), store.schema.indicators);
    const sql = new SqlApplier(db, file);
    for (const r of timedRecords(store, 400, 21)) {
      applyRecord(store, r);
      ref.apply(r);
      sql.apply([r]);
    }
    const kept = keptOf(store);
    assert.ok(kept.length > 200, `kept ${kept.length}`);
    assert.ok(new Set(kept.map((k) => k.replacedAt)).size > 100);
    assert.deepEqual(kept, canonical(ref.kept));
    const out = join(dir, 'applied.db');
    writeFileSync(out, db.export());
    db.close();
    const reread = await FinanceStore.open(out);
    assert.deepEqual(keptOf(reread), kept);
  });

  it('keeps the same versions when records are applied in batches (journal replay, feed answers)', async (t) => {
    const file = await makeDb(tempDir(t), { stocks: 40 });
    const one = await FinanceStore.open(file);
    const batched = await FinanceStore.open(file);
    const records = timedRecords(one, 300, 22);
    for (const r of records) applyRecord(one, r);
    for (let i = 0; i < records.length; i += 50) applyRecords(batched, records.slice(i, i + 50));
    assert.deepEqual(keptOf(batched), keptOf(one));
  });

  it('keeps nothing for a file never rewritten, an identical write, or an insert: no memory, no table', async (t) => {
    const dir = tempDir(t);
    const file = await makeDb(dir, { stocks: 10 });
    const store = await FinanceStore.open(file);
    assert.equal(store.versions.count, 0);
    assert.equal(store.versions.bytes, 0);
    const db = await openReference(file);
    const sql = new SqlApplier(db, file);
    const s = store.directory.subjects[0];
    const e = store.directory.get(s)!;
    const date = store.frame.dates[e.start];
    const same: Record<string, string | number | null> = { subject_key: s, report_date: date };
    for (const [j, name] of store.schema.indicators.entries()) {
      const v = store.frame.values[j][e.start];
      same[name] = v !== v ? null : v;
    }
    same.end_date = store.frame.endDate[e.start];
    const records: ChangeRecord[] = [
      { seq: 1, time: 1_700_000_000_000, ops: [{ op: 'upsert', rows: [same as never] }] },
      { seq: 2, time: 1_700_000_001_000, ops: [{ op: 'upsert', rows: [{ subject_key: s, report_date: 1_900_000_000, net_profit: 1 }] }] },
    ];
    for (const r of records) {
      applyRecord(store, r);
      sql.apply([r]);
    }
    assert.equal(store.versions.count, 0);
    assert.equal(store.versions.bytes, 0);
    assert.equal(db.exec(`SELECT 1 FROM sqlite_master WHERE name = 'report_versions'`).length, 0);
    // The first real change keeps one version, in memory and in the table.
    const change: ChangeRecord = { seq: 3, time: 1_700_000_002_000, ops: [{ op: 'upsert', rows: [{ subject_key: s, report_date: date, net_profit: 123.5 }] }] };
    applyRecord(store, change);
    sql.apply([change]);
    assert.equal(store.versions.count, 1);
    assert.deepEqual(db.exec('SELECT count(*), max(replaced_at) FROM report_versions')[0].values[0], [1, 1_700_000_002_000]);
  });
});
