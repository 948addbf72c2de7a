// DataInfo series in the store: the memory form and the SQL twin give the same data for the same
// records (times from the records), through a checkpoint, a reopen and a journal replay.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/shared/logger';
import { DurableStore } from '../../src/store/DurableStore';
import { FinanceStore } from '../../src/store/FinanceStore';
import type { SeriesPoints, WriteOp } from '../../src/store/records';
import type { SeriesStore } from '../../src/store/SeriesStore';
import { makeDb, tempDir } from '../helpers';

/** A plain picture of every entity: table -> id -> {points, times}. */
function dump(s: SeriesStore, tables: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    for (const id of s.ids(t)) {
      const e = s.get(t, id)!;
      out[`${t}/${id}`] = { times: [...e.times], values: e.values, createTime: e.createTime, updateTime: e.updateTime };
    }
  }
  return out;
}

/** The same writes on a straightforward model: Map of ts -> values. */
function reference(ops: Array<{ op: WriteOp; time: number }>): Record<string, unknown> {
  const m = new Map<string, { points: Map<number, readonly number[]>; createTime: number; updateTime: number }>();
  for (const { op, time } of ops) {
    if (op.op === 'series_delete') m.delete(`${op.table}/${op.id}`);
    if (op.op !== 'series_save') continue;
    const key = `${op.table}/${op.id}`;
    const old = m.get(key);
    const points = old && !op.replace ? old.points : new Map<number, readonly number[]>();
    for (const [ts, v] of Object.entries(op.points)) points.set(Number(ts), v);
    m.set(key, { points, createTime: old?.createTime ?? time, updateTime: time });
  }
  const out: Record<string, unknown> = {};
  for (const key of [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const e = m.get(key)!;
    const times = [...e.points.keys()].sort((a, b) => a - b);
    out[key] = { times, values: times.map((t) => JSON.stringify(e.points.get(t))), createTime: e.createTime, updateTime: e.updateTime };
  }
  return out;
}

function randomOps(n: number, seed: number): WriteOp[] {
  let x = seed;
  const rnd = (k: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % k;
  };
  const ops: WriteOp[] = [];
  for (let i = 0; i < n; i++) {
    const table = 1 + rnd(3);
    const id = `33:${String(rnd(30)).padStart(6, '0')}`;
    if (rnd(10) === 0) {
      ops.push({ op: 'series_delete', table, id });
      continue;
    }
    const points: Record<string, number[]> = {};
    const width = table === 3 ? 8 : 4;
    for (let p = 1 + rnd(5); p > 0; p--) points[String(1_600_000_000 + 86400 * rnd(40))] = Array.from({ length: width }, () => rnd(1000) / 8 - 40);
    ops.push({ op: 'series_save', table, id, points: points as SeriesPoints, replace: rnd(6) === 0 });
  }
  return ops;
}

describe('DataInfo series in the store', () => {
  it('gives the same entities in memory, in the checkpointed file and after a journal replay, as a reference model', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 5 });
    const empty = await FinanceStore.open(db);
    assert.equal(empty.series.entities, 0, 'a file without series_points serves empty');
    const ds = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    const applied: Array<{ op: WriteOp; time: number }> = [];
    const ops = randomOps(300, 11);
    for (let i = 0; i < ops.length; i++) {
      const { record } = await ds.commit([ops[i]]);
      applied.push({ op: ops[i], time: record.time });
      if (i === 200) await ds.checkpoint();
    }
    const expected = reference(applied);
    assert.ok(Object.keys(expected).length > 20);
    assert.deepEqual(dump(ds.store.series, [1, 2, 3]), expected, 'memory');
    // A copy with the file at the checkpoint and 99 records to replay.
    const copyDir = tempDir(t);
    copyFileSync(db, join(copyDir, 'finance.db'));
    copyFileSync(`${db}.journal`, join(copyDir, 'finance.db.journal'));
    await ds.checkpoint();
    await ds.close();
    assert.deepEqual(dump((await FinanceStore.open(db)).series, [1, 2, 3]), expected, 'SQL twin, loaded from the file');
    const replayed = await DurableStore.open({ db: join(copyDir, 'finance.db'), fsync: true, logger: silentLogger });
    t.after(() => replayed.close());
    assert.deepEqual(dump(replayed.store.series, [1, 2, 3]), expected, 'file + journal replay');
  });

  it('keeps the create time and moves the update time on a merge; replace drops the other points', async (t) => {
    const dir = tempDir(t);
    const ds = await DurableStore.open({ db: await makeDb(dir, { stocks: 3 }), fsync: true, logger: silentLogger });
    t.after(() => ds.close());
    const a = await ds.commit([{ op: 'series_save', table: 1, id: 'x', points: { '20': [1, 2, 3, 4], '10': [5, 6, 7, 8] }, replace: false }]);
    const b = await ds.commit([{ op: 'series_save', table: 1, id: 'x', points: { '20': [9, 9, 9, 9], '30': [0, 0, 0, 0] }, replace: false }]);
    let e = ds.store.series.get(1, 'x')!;
    assert.deepEqual([...e.times], [10, 20, 30]);
    assert.deepEqual(e.values, ['[5,6,7,8]', '[9,9,9,9]', '[0,0,0,0]']);
    assert.equal(e.createTime, a.record.time);
    assert.equal(e.updateTime, b.record.time);
    await ds.commit([{ op: 'series_save', table: 1, id: 'x', points: { '40': [1, 1, 1, 1] }, replace: true }]);
    e = ds.store.series.get(1, 'x')!;
    assert.deepEqual([...e.times], [40]);
    assert.equal(e.createTime, a.record.time);
    assert.equal(ds.store.series.get(2, 'x'), undefined, 'tables are separate');
  });
});
