// The `tags` write op: the in-memory index against a straightforward reference of the semantics
// (docs/store.md, Subject tags), its SQL twin writing the same rows, and the effect naming exactly
// the kinds and topics whose tags changed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRecord } from '../../src/store/applyRecord';
import { SqlApplier } from '../../src/store/checkpointSql';
import { DurableStore } from '../../src/store/DurableStore';
import { FinanceStore } from '../../src/store/FinanceStore';
import { silentLogger } from '../../src/shared/logger';
import { Rng } from '../../src/gendata/random';
import type { ChangeRecord, TagRow } from '../../src/store/records';
import { makeDb, openReference, sqlRows, tempDir } from '../helpers';

type Ref = Map<string, Set<string>>; // "subject\tkind" -> values

function refApply(ref: Ref, rows: readonly TagRow[], replace?: string): void {
  if (replace !== undefined) for (const t of rows) ref.delete(`${t.subject_key}\t${replace}`);
  for (const t of rows) {
    const key = `${t.subject_key}\t${t.kind}`;
    const set = ref.get(key) ?? new Set<string>();
    if (t.remove) {
      if (t.value === undefined) set.clear();
      else set.delete(t.value);
    } else set.add(t.value!);
    if (set.size > 0) ref.set(key, set);
    else ref.delete(key);
  }
}

function dump(pairs: Iterable<[string, string, string]>): string[] {
  return [...pairs].map((p) => p.join('\t')).sort();
}

describe('tags op', () => {
  it('gives what the reference gives, in memory and in SQL, over random batches', async (t) => {
    const dir = tempDir(t);
    const file = await makeDb(dir, { stocks: 8, startYear: 2023, endYear: 2023 });
    const store = await FinanceStore.open(file);
    const db = await openReference(file);
    const sql = new SqlApplier(db, file);
    const ref: Ref = new Map();
    for (const r of sqlRows(db, 'SELECT subject_key, kind, value FROM subject_tags')) refApply(ref, [{ subject_key: String(r.subject_key), kind: String(r.kind), value: String(r.value) }]);
    const subjects = [...store.directory.subjects.slice(0, 4), '33:999999'];
    const kinds = ['concept', 'industry', 'region'];
    const values = ['芯片', '光伏', '银行', '华南', 'x'];
    const rng = new Rng(5);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    let added = 0;
    let removed = 0;
    for (let seq = 1; seq <= 300; seq++) {
      const rows: TagRow[] = [];
      for (let i = rng.int(1, 4); i > 0; i--) {
        const base = { subject_key: pick(subjects), kind: pick(kinds) };
        const r = rng.next();
        rows.push(r < 0.6 ? { ...base, value: pick(values) } : r < 0.85 ? { ...base, value: pick(values), remove: true } : { ...base, remove: true });
      }
      const replace = rng.chance(0.2) ? pick(kinds) : undefined;
      const record: ChangeRecord = { seq, time: 0, ops: [{ op: 'tags', tags: rows, ...(replace ? { replace_kind: replace } : {}) }] };
      const before = dump(memPairs(store));
      const effect = applyRecord(store, record);
      sql.apply([record]);
      refApply(ref, rows, replace);
      const after = dump(memPairs(store));
      assert.deepEqual(after, dump(refPairs(ref)), `record ${seq}`);
      assert.equal(store.tags.size, after.length, `record ${seq}: the running count`);
      // The counts are the net difference; an effect only when something changed.
      assert.equal(effect.inserted, after.filter((p) => !before.includes(p)).length);
      assert.equal(effect.deleted, before.filter((p) => !after.includes(p)).length);
      assert.equal(effect.tags !== undefined, effect.inserted + effect.deleted > 0);
      assert.equal(effect.subjects.size, 0, 'report answers are not touched');
      added += effect.inserted;
      removed += effect.deleted;
    }
    assert.ok(added > 100 && removed > 100, `added ${added}, removed ${removed}`);
    const inSql = sqlRows(db, 'SELECT subject_key, kind, value FROM subject_tags').map((r) => [String(r.subject_key), String(r.kind), String(r.value)] as [string, string, string]);
    assert.deepEqual(dump(inSql), dump(memPairs(store)));
    // What the checkpoint worker would write loads back as the same tags.
    writeFileSync(`${dir}/applied.db`, db.export());
    assert.deepEqual(dump(memPairs(await FinanceStore.open(`${dir}/applied.db`))), dump(memPairs(store)));
  });

  it('names the changed kind with the topics of the subject, and the kinds that appear or disappear', async (t) => {
    const file = await makeDb(tempDir(t), { stocks: 8, startYear: 2023, endYear: 2023 });
    const store = await FinanceStore.open(file);
    const subject = store.directory.subjects[0];
    const topic = store.directory.get(subject)!.topic;
    const current = store.tags.values('concept', subject) ?? [];
    const same = applyRecord(store, { seq: 1, time: 0, ops: [{ op: 'tags', tags: current.map((value) => ({ subject_key: subject, kind: 'concept', value })), replace_kind: 'concept' }] });
    if (current.length > 0) assert.equal(same.tags, undefined, 'replacing tags by themselves changes nothing');
    const added = applyRecord(store, { seq: 2, time: 0, ops: [{ op: 'tags', tags: [{ subject_key: subject, kind: 'region', value: '华南' }] }] });
    assert.deepEqual([...added.tags!.topicsByKind], [['region', new Set([topic])]]);
    assert.deepEqual([...added.tags!.kindsChanged], ['region']);
    const again = applyRecord(store, { seq: 3, time: 0, ops: [{ op: 'tags', tags: [{ subject_key: subject, kind: 'region', value: '华北' }] }] });
    assert.deepEqual([...again.tags!.kindsChanged], [], 'region existed already');
    const gone = applyRecord(store, { seq: 4, time: 0, ops: [{ op: 'tags', tags: [{ subject_key: subject, kind: 'region', remove: true }] }] });
    assert.equal(gone.deleted, 2);
    assert.deepEqual([...gone.tags!.kindsChanged], ['region']);
    assert.equal(store.tags.hasKind('region'), false);
  });
});

function* memPairs(store: FinanceStore): Generator<[string, string, string]> {
  for (const kind of store.tags.kinds()) {
    for (const s of [...store.directory.subjects, '33:999999']) for (const v of store.tags.values(kind, s) ?? []) yield [s, kind, v];
  }
}

function* refPairs(ref: Ref): Generator<[string, string, string]> {
  for (const [key, values] of ref) {
    const [s, kind] = key.split('\t');
    for (const v of values) yield [s, kind, v];
  }
}

describe('tags through the durable store', () => {
  it('keeps tag writes across a checkpoint and reopen, and across a journal replay', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 6, startYear: 2023, endYear: 2023 });
    const ds = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    const [a, b] = ds.store.directory.subjects;
    await ds.commit([{ op: 'tags', tags: [{ subject_key: a, kind: 'region', value: '华南' }] }]);
    await ds.checkpoint();
    await ds.commit([{ op: 'tags', tags: [{ subject_key: b, kind: 'concept', value: '新概念' }], replace_kind: 'concept' }]);
    await ds.commit([{ op: 'tags', tags: [{ subject_key: a, kind: 'industry', remove: true }] }]);
    const want = dump(memPairs(ds.store));
    // The file at the checkpoint plus a journal of the two later records.
    const copy = tempDir(t);
    copyFileSync(db, join(copy, 'finance.db'));
    copyFileSync(`${db}.journal`, join(copy, 'finance.db.journal'));
    await ds.close();
    for (const file of [db, join(copy, 'finance.db')]) {
      const again = await DurableStore.open({ db: file, fsync: true, logger: silentLogger });
      t.after(() => again.close());
      assert.equal(again.seq, 3);
      assert.deepEqual(dump(memPairs(again.store)), want, file);
    }
    assert.deepEqual(ds.store.tags.values('concept', b), ['新概念']);
    assert.equal(ds.store.tags.values('industry', a), undefined);
  });
});
