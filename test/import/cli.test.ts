// `kamaitachi import` from the bundle: bad rows on stderr as file:line, the summary on stdout,
// exit 1 when rows were skipped, 2 when --strict stopped (file untouched) or the flags are wrong.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, makeDb, tempDir } from '../helpers';
import { bytesOf, dbRows } from './_util';

function kmt(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kamaitachi import (bundle)', () => {
  it('reports bad rows, exits 1 having imported the rest; --strict exits 2 changing nothing; bad flags exit 2', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 2 });
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'subject_key,report_date,roe\n33:000001,1893456000,1.5\n33:000001,1893456001,one\n');
    const before = bytesOf(db);
    const strict = kmt(['import', '--from', csv, '--db', db, '--strict']);
    assert.equal(strict.code, 2, strict.err);
    assert.equal(strict.err, `${csv}:3: roe: must be a number, got "one"\nkamaitachi import: --strict: stopped at ${csv}:3; nothing was imported\n`);
    assert.deepEqual(bytesOf(db), before);

    const rowsBefore = (await dbRows(db)).length;
    const loose = kmt(['import', '--from', csv, '--db', db]);
    assert.equal(loose.code, 1, loose.err);
    assert.equal(loose.err, `${csv}:3: roe: must be a number, got "one"\n`);
    assert.match(loose.out, /^kamaitachi import: 1 rows into .*finance\.db in [\d.]+ s \(\d+ rows\/s\); 1 bad rows skipped\n$/);
    assert.equal((await dbRows(db)).length, rowsBefore + 1);

    const both = kmt(['import', '--from', csv, '--db', db, '--to', 'http://127.0.0.1:1']);
    assert.equal(both.code, 2);
    assert.match(both.err, /--db and --to exclude each other/);
    const badBatch = kmt(['import', '--from', csv, '--db', db, '--batch', '20000']);
    assert.equal(badBatch.code, 2);
    assert.match(badBatch.err, /--batch must be an integer between 1 and 10000, got "20000"/);
  });
});
