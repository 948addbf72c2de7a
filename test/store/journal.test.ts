import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { DurableStore } from '../../src/store/DurableStore';
import { encodeRecord, Journal, scanJournal } from '../../src/store/Journal';
import type { ChangeRecord } from '../../src/store/records';
import { silentLogger } from '../../src/shared/logger';
import { makeDb, tempDir } from '../helpers';

/** A logger whose lines the test can read. */
function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const rec = (seq: number): ChangeRecord => ({ seq, time: 1, ops: [{ op: 'delete', subject_key: `33:${String(seq).padStart(6, '0')}` }] });

function journalOf(records: ChangeRecord[]): Buffer {
  return Buffer.concat(records.map((r) => encodeRecord(JSON.stringify(r))));
}

describe('journal', () => {
  it('reads back every record it framed', () => {
    const scan = scanJournal(journalOf([rec(1), rec(2), rec(3)]));
    assert.deepEqual(scan.records, [rec(1), rec(2), rec(3)]);
    assert.equal(scan.dropped, 0);
  });

  for (const [name, damage] of [
    ['cut in the middle of the last record', (b: Buffer) => b.subarray(0, b.length - 7)],
    ['cut in the last record header', (b: Buffer) => b.subarray(0, b.length - encodeRecord(JSON.stringify(rec(3))).length + 5)],
    ['a flipped byte in the last record', (b: Buffer) => {
      const c = Buffer.from(b);
      c[c.length - 3] ^= 0x20;
      return c;
    }],
    ['zeros after the last record', (b: Buffer) => Buffer.concat([b, Buffer.alloc(4096)])],
  ] as const) {
    it(`drops ${name} with a warning, keeping the records before it`, async (t) => {
      const file = join(tempDir(t), 'x.db.journal');
      const good = journalOf([rec(1), rec(2)]);
      writeFileSync(file, damage(journalOf([rec(1), rec(2), rec(3)])));
      const { logger, lines } = capture();
      const { journal, records } = await Journal.open(file, { fsync: true, logger });
      const expectDropped = name.startsWith('zeros') ? [rec(1), rec(2), rec(3)] : [rec(1), rec(2)];
      assert.deepEqual(records, expectDropped);
      const warn = lines().find((l) => l.event === 'journal_tail_dropped');
      assert.ok(warn, 'a warning names the dropped tail');
      assert.equal(warn.level, 40);
      // The file is cut back, so the next append follows the last good record.
      await journal.append(encodeRecord(JSON.stringify(rec(expectDropped.length + 1))), expectDropped.length + 1);
      await journal.close();
      const again = scanJournal(readFileSync(file));
      assert.deepEqual(again.records.map((r) => r.seq), [...expectDropped, rec(expectDropped.length + 1)].map((r) => r.seq));
      assert.equal(again.dropped, 0);
      if (!name.startsWith('zeros')) assert.equal(statSync(file).size, good.length + encodeRecord(JSON.stringify(rec(3))).length);
    });
  }

  it('group commit: concurrent commits share fsyncs, each is durable and applied in seq order', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 20 });
    const store = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    t.after(() => store.close());
    const subject = store.store.directory.subjects[0];
    const seen: number[] = [];
    store.onApplied((r) => seen.push(r.seq));
    const N = 200;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => store.commit([{ op: 'upsert', rows: [{ subject_key: subject, report_date: 1_800_000_000 + i, operating_income: i }] }])),
    );
    assert.deepEqual(results.map((r) => r.record.seq), Array.from({ length: N }, (_, i) => i + 1));
    // Once per group (applied as one step), with its last record: increasing, ending at N.
    assert.ok(seen.length >= 1 && seen.length <= store.journalStats.fsyncs, `${seen.length} apply steps`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen);
    assert.equal(seen[seen.length - 1], N);
    // Each write still answers its own counts (one new row each).
    assert.deepEqual(results.map((r) => [r.effect.inserted, r.effect.updated]), Array.from({ length: N }, () => [1, 0]));
    const stats = store.journalStats;
    assert.equal(stats.records, N);
    assert.ok(stats.fsyncs < N / 4, `${stats.fsyncs} fsyncs for ${N} commits`);
    assert.ok(stats.fsyncs >= 1);
    assert.deepEqual(scanJournal(readFileSync(`${db}.journal`)).records.map((r) => r.seq), results.map((r) => r.record.seq));
  });

  it('a follower (fsync off) journals without fsyncs', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 20 });
    const store = await DurableStore.open({ db, fsync: false, logger: silentLogger });
    t.after(() => store.close());
    const subject = store.store.directory.subjects[0];
    for (let seq = 1; seq <= 20; seq++) store.applyReplicated({ seq, time: 0, ops: [{ op: 'upsert', rows: [{ subject_key: subject, report_date: 1_800_000_000 + seq }] }] });
    assert.equal(store.seq, 20);
    assert.throws(() => store.applyReplicated(rec(22)), /does not follow/);
    assert.equal(store.applyReplicated(rec(3)).deleted, 0, 'a record already applied is ignored');
    await store.close();
    assert.equal(store.journalStats.fsyncs, 0);
    assert.deepEqual(scanJournal(readFileSync(`${db}.journal`)).records.length, 0, 'the close checkpoint trimmed it');
  });

  it('a journal that does not continue the file refuses to start, naming both seqs', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 20 });
    writeFileSync(`${db}.journal`, journalOf([rec(5), rec(6)]));
    await assert.rejects(DurableStore.open({ db, fsync: true, logger: silentLogger }), /continues at seq 5 but .* is at seq 0/);
    truncateSync(`${db}.journal`, 0);
  });
});
