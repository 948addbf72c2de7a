import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DurableStore } from '../../src/store/DurableStore';
import { silentLogger } from '../../src/shared/logger';
import { makeDb, openReference, sqlRows, tempDir } from '../helpers';

const BASE_DATE = 2_000_000_000;
const CHILD = join(import.meta.dirname, '_commitChild.ts');

describe('kill -9 in the middle of a stream of commits', () => {
  it('loses no acknowledged commit and applies none twice or in part', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 30 });
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      await exited;
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const acked = new Map<number, number>();
    let checkpoints = 0;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^ack (\d+) (\d+)$/.exec(line);
        if (m) acked.set(Number(m[2]), Number(m[1]));
        else if (line.includes('"event":"checkpoint"')) checkpoints++;
        // Past two checkpoints (journal trimmed while commits go on) and a few hundred acks.
        if (checkpoints >= 2 && acked.size >= 250 && child.pid) {
          process.kill(child.pid, 'SIGKILL');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`child exited early: ${stderr.slice(-800)}`)));
    });
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');

    const store = await DurableStore.open({ db, fsync: true, logger: silentLogger });
    const maxAcked = Math.max(...acked.values());
    assert.ok(store.seq >= maxAcked, `seq ${store.seq} < acknowledged ${maxAcked}`);
    // Every commit in the data: both of its rows, once each, with its value.
    const byCommit = new Map<number, number>();
    const { frame, directory } = store.store;
    const col = frame.values[store.store.schema.indicators.indexOf('operating_income')];
    for (const s of directory.subjects) {
      const e = directory.get(s)!;
      for (let r = e.start; r < e.end; r++) {
        if (frame.dates[r] < BASE_DATE) continue;
        const i = Math.floor((frame.dates[r] - BASE_DATE) / 2);
        assert.equal(col[r], i);
        byCommit.set(i, (byCommit.get(i) ?? 0) + 1);
      }
    }
    for (const [i, rows] of byCommit) assert.equal(rows, 2, `commit ${i} has ${rows} rows`);
    for (const i of acked.keys()) assert.equal(byCommit.get(i), 2, `acknowledged commit ${i} is missing`);
    assert.equal(byCommit.size, store.seq, 'one commit per seq');

    // The file the checkpoint writes holds the same.
    await store.checkpoint();
    await store.close();
    const file = await openReference(db);
    const rows = sqlRows(file, 'SELECT report_date, count(*) AS n FROM finance_data WHERE report_date >= ? GROUP BY report_date', [BASE_DATE]);
    assert.equal(rows.length, 2 * byCommit.size);
    assert.ok(rows.every((r) => r.n === 1));
    assert.deepEqual(sqlRows(file, "SELECT value FROM kamaitachi_meta WHERE key = 'seq'"), [{ value: String(byCommit.size) }]);
    file.close();
    assert.equal(readFileSync(`${db}.journal`).length, 0);
  });
});
