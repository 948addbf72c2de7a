import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { QueryEngine } from '../../src/query/QueryEngine';
import { silentLogger } from '../../src/shared/logger';
import { DurableStore } from '../../src/store/DurableStore';
import { FinanceStore } from '../../src/store/FinanceStore';
import type { ReportRow } from '../../src/store/records';
import { API, makeDb, post, tempDir } from '../helpers';
import { answersOf, randomRecords, requestBodies } from './_store';

const engineOf = (store: FinanceStore) => new QueryEngine(store, { cacheBytes: 64 * 1024 * 1024, maxLimit: 1000 });

describe('DurableStore', () => {
  it('answers the same after a checkpoint and reopen, and after a journal replay', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 60 });
    const ds = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    for (const r of randomRecords(ds.store, 100, 3)) await ds.commit([...r.ops]);
    const cp = await ds.checkpoint();
    assert.equal(cp.seq, 100);
    for (const r of randomRecords(ds.store, 60, 4)) await ds.commit([...r.ops]);
    assert.deepEqual(ds.checkpointFile(), { path: db, seq: 100, dataset: ds.dataset });
    const bodies = requestBodies(ds.store);
    const expected = answersOf(engineOf(ds.store), bodies);
    // A copy taken now: the file at seq 100 plus a journal of 60 records to replay.
    const copyDir = tempDir(t);
    copyFileSync(db, join(copyDir, 'finance.db'));
    copyFileSync(`${db}.journal`, join(copyDir, 'finance.db.journal'));
    const dataset = ds.dataset;
    await ds.close();

    const reopened = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    t.after(() => reopened.close());
    assert.equal(reopened.seq, 160);
    assert.equal(reopened.dataset, dataset);
    assert.deepEqual(answersOf(engineOf(reopened.store), bodies), expected);

    const replayed = await DurableStore.open({ db: join(copyDir, 'finance.db'), fsync: true, logger: silentLogger });
    t.after(() => replayed.close());
    assert.equal(replayed.seq, 160);
    const feed = replayed.recordsAfter(100, 1000);
    assert.ok(feed !== 'gone' && feed.length === 60 && feed[0].seq === 101);
    assert.equal(replayed.recordsAfter(99, 10), 'gone');
    assert.equal(replayed.recordsAfter(161, 10), 'gone');
    assert.deepEqual(answersOf(engineOf(replayed.store), bodies), expected);
  });

  it('keeps a dataset id derived from the file until and after the first checkpoint', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 10 });
    copyFileSync(db, join(dir, 'copy.db'));
    const a = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    const b = await DurableStore.open({ db: join(dir, 'copy.db'), fsync: true, logger: silentLogger });
    t.after(() => b.close());
    assert.match(a.dataset, /^sha1-[0-9a-f]{40}$/);
    assert.equal(b.dataset, a.dataset, 'copies of one file agree');
    assert.equal(a.store.fingerprint, `${a.dataset}@0`);
    await a.commit([{ op: 'delete', subject_key: a.store.directory.subjects[0] }]);
    assert.equal(a.store.fingerprint, `${a.dataset}@1`);
    await a.close();
    const again = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    t.after(() => again.close());
    assert.equal(again.dataset, a.dataset);
    assert.equal(again.seq, 1);
  });

  it('replaceFrom swaps in a dump at its seq and follows on from there', async (t) => {
    const dir = tempDir(t);
    const master = await DurableStore.open({ db: await makeDb(dir, { stocks: 30, name: 'm.db' }), fsync: true, logger: silentLogger });
    t.after(() => master.close());
    const follower = await DurableStore.open({ db: await makeDb(dir, { stocks: 30, name: 'f.db', seed: 99 }), fsync: false, logger: silentLogger });
    t.after(() => follower.close());
    for (const r of randomRecords(master.store, 40, 5)) await master.commit([...r.ops]);
    await master.checkpoint();
    const dump = master.checkpointFile();
    const tmp = join(dir, 'f.db.dump');
    copyFileSync(dump.path, tmp);
    await follower.replaceFrom(tmp, dump.seq, dump.dataset);
    assert.equal(follower.seq, 40);
    assert.equal(follower.dataset, master.dataset);
    for (const r of randomRecords(master.store, 10, 6)) await master.commit([...r.ops]);
    const feed = master.recordsAfter(follower.seq, 100);
    assert.ok(feed !== 'gone' && feed.length === 10);
    for (const r of feed) follower.applyReplicated(r);
    const bodies = requestBodies(master.store, 10);
    assert.deepEqual(answersOf(engineOf(follower.store), bodies), answersOf(engineOf(master.store), bodies));
  });

  it('concurrent readers never see part of a large batch, and read the batch once it is acknowledged', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 300, startYear: 2015, endYear: 2023 });
    const ds = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    t.after(() => ds.close());
    const engine = engineOf(ds.store);
    engine.warmUp();
    ds.onApplied((_r, effect) => engine.invalidate(effect));
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const out = req.url!.endsWith('/period') ? engine.period(raw) : engine.snapshot(raw);
        res.writeHead(200, { 'content-type': 'application/json' }).end(out);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const subjects = ds.store.directory.subjects;
    const topic = 'stock_a_listing_pool';
    const queries = [
      { path: `${API}/snapshot`, body: { ids: 'net_profit', topic, field: 'operating_income', limit: 1000 } },
      { path: `${API}/snapshot`, body: { ids: 'net_profit', subjects: subjects.slice(0, 100).join(','), limit: 1000 } },
      { path: `${API}/period`, body: { ids: 'net_profit', subjects: subjects.slice(200, 210).join(','), from: 0, to: 2e9 } },
    ];
    /** Every net_profit value of an answer (period answers nest their items). */
    const values = (data: Array<{ data: Record<string, number> | Array<Record<string, number>> }>): number[] =>
      data.flatMap((item) => (Array.isArray(item.data) ? item.data : [item.data]).map((d) => d.net_profit));

    // Batch k sets net_profit = k on every row (~10,000 rows) and adds one report per subject.
    const batch = (k: number): ReportRow[] => {
      const rows: ReportRow[] = [];
      const { frame, directory } = ds.store;
      for (const s of directory.subjects) {
        const e = directory.get(s)!;
        for (let r = e.start; r < e.end; r++) rows.push({ subject_key: s, report_date: frame.dates[r], net_profit: k });
        rows.push({ subject_key: s, report_date: 1_900_000_000 + k, net_profit: k });
      }
      return rows;
    };
    await ds.commit([{ op: 'upsert', rows: batch(1) }]);
    let done = false;
    const seen = new Set<number>();
    let answers = 0;
    const reader = async (): Promise<void> => {
      while (!done) {
        for (const q of queries) {
          const res = await post(base, q.path, q.body);
          const v = values(res.json.data);
          assert.ok(v.length > 0);
          assert.equal(new Set(v).size, 1, `one answer mixes batches: ${[...new Set(v)].join(', ')}`);
          seen.add(v[0]);
          answers++;
        }
      }
    };
    const readers = Array.from({ length: 6 }, () => reader());
    for (let k = 2; k <= 6; k++) {
      const rows = batch(k);
      assert.ok(rows.length >= 10_000, `${rows.length} rows`);
      await ds.commit([{ op: 'upsert', rows }]);
      // Acknowledged: every read from now on sees batch k.
      for (const q of queries) assert.deepEqual(new Set(values((await post(base, q.path, q.body)).json.data)), new Set([k]));
    }
    done = true;
    await Promise.all(readers);
    assert.ok(seen.size >= 3, `readers saw batches ${[...seen].join(', ')} in ${answers} answers`);
  });
});
