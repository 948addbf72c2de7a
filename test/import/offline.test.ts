// Offline import (docs/import.md): each format, made by gen-data, imported into a new file gives
// exactly the rows gen-data writes directly, and a node serving it answers as one serving the
// generated file; importing again changes nothing; the SQL dump dialects of mysqldump and
// sqlite3 .dump are read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, makeDb, post, startNode, tempDir } from '../helpers';
import { dbRows, genInput, importFiles, bytesOf } from './_util';

describe('import --db', () => {
  for (const format of ['csv', 'ndjson', 'sql'] as const) {
    it(`imports ${format} into a new file: the same rows and answers as gen-data's file; again changes nothing`, async (t) => {
      const dir = tempDir(t);
      const ref = await genInput(dir, 'sqlite');
      const input = await genInput(dir, format);
      const out = join(dir, 'imported.db');
      const { result, bad } = await importFiles({ files: [input], db: out, batch: 250 });
      assert.deepEqual(bad, []);
      const want = await dbRows(ref);
      assert.equal(result.rows, want.length);
      assert.deepEqual(await dbRows(out), want);

      const before = bytesOf(out);
      const again = await importFiles({ files: [input], db: out });
      assert.deepEqual(again.bad, []);
      assert.deepEqual(await dbRows(out), want, 're-import changes no row');
      assert.equal(bytesOf(out).length, before.length);

      // A node serving each file answers the same (the node then owns it: its journal sits beside).
      const a = await startNode(t, { db: ref });
      const b = await startNode(t, { db: out });
      const subjects = '33:000001,17:600003,33:300002';
      for (const [path, body] of [
        [`${API}/snapshot`, { ids: 'operating_income,roe,end_date,declare_date', subjects, limit: 10 }],
        [`${API}/snapshot`, { ids: 'net_profit', topic: 'stock_a_listing_pool', field: 'net_profit', limit: 20, timestamp: 1656547200 }],
        [`${API}/period`, { ids: 'operating_income,basic_eps,total_assets', subjects, from: 1609459200, to: 1704067199 }],
      ] as const) {
        const [x, y] = [await post(a.url, path, body), await post(b.url, path, body)];
        assert.equal(x.status, 200, x.text);
        assert.ok(x.json.data.length > 0, 'the query selects something');
        assert.deepEqual(y.json.data, x.json.data);
      }

    });
  }

  it('upserts into an existing file: given columns replace, the others keep their value', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 5 });
    const before = await dbRows(db);
    const row = before.find((r) => r.subject_key === '33:000001')!;
    const csv = join(dir, 'fix.csv');
    writeFileSync(csv, `subject_key,report_date,net_profit,stock_name\n33:000001,${row.report_date},123.5,"Renamed, Inc."\n33:000001,1893456000,7,\n`);
    const { result, bad } = await importFiles({ files: [csv], db });
    assert.deepEqual(bad, []);
    assert.equal(result.rows, 2);
    const after = await dbRows(db);
    assert.equal(after.length, before.length + 1);
    const changed = after.find((r) => r.subject_key === '33:000001' && r.report_date === row.report_date)!;
    assert.deepEqual(changed, { ...row, net_profit: 123.5, stock_name: 'Renamed, Inc.' });
    const added = after.find((r) => r.report_date === 1893456000)!;
    assert.equal(added.net_profit, 7);
    assert.equal(added.stock_name, null);
    assert.equal(added.topic, 'stock_a_listing_pool');
    assert.equal(added.stock_code, '000001');
  });

  it('reads sqlite3 .dump and mysqldump dialects: no column list, quoted identifiers, escapes, other statements skipped', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 2 });
    const sqliteDump = join(dir, 'sqlite.sql');
    const cols = "NULL,'000001','33','33:000001'";
    writeFileSync(
      sqliteDump,
      [
        'PRAGMA foreign_keys=OFF;',
        'BEGIN TRANSACTION;',
        'CREATE TABLE finance_data (id INTEGER PRIMARY KEY AUTOINCREMENT, stock_code TEXT NOT NULL);',
        `INSERT INTO finance_data VALUES(9001,'000001','33','33:000001','O''Brien; Co',1893456000,'2029-12-31','2029','596004',1.5,NULL,'stock','stock_a_listing_pool','2030-01-20',1,2,3,4,5,6,7);`,
        `INSERT INTO "finance_data" VALUES(9002,${cols.slice(5)},'x -- not a comment',1901232000,'2030-03-31','2030','596001',-2.5e3,0,'stock','stock_a_gem',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);`,
        "INSERT INTO sqlite_sequence VALUES('finance_data',9002);",
        'COMMIT;',
      ].join('\n'),
    );
    const mysqlDump = join(dir, 'mysql.sql');
    writeFileSync(
      mysqlDump,
      [
        '-- MySQL dump 10.13',
        '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
        'SET NAMES utf8mb4;',
        'LOCK TABLES `finance_data` WRITE;',
        '/*!40000 ALTER TABLE `finance_data` DISABLE KEYS */;',
        "INSERT INTO `finance_data` (`subject_key`,`report_date`,`stock_name`,`roe`) VALUES ('17:600001',1893456000,'It\\'s a \\\\ test',1.25),",
        "('17:600001',1901232000,'two',NULL),('17:600002',1893456000,'three',3);",
        'UNLOCK TABLES;',
      ].join('\n'),
    );
    const { result, bad } = await importFiles({ files: [sqliteDump, mysqlDump], db });
    assert.deepEqual(bad, []);
    assert.equal(result.rows, 5);
    const rows = await dbRows(db);
    const get = (k: string, d: number) => rows.find((r) => r.subject_key === k && r.report_date === d)!;
    assert.equal(get('33:000001', 1893456000).stock_name, "O'Brien; Co");
    assert.equal(get('33:000001', 1893456000).total_assets, 7);
    assert.equal(get('33:000001', 1901232000).operating_income, -2500);
    assert.equal(get('33:000001', 1901232000).stock_name, 'x -- not a comment');
    assert.equal(get('33:000001', 1901232000).topic, 'stock_a_gem');
    assert.equal(get('17:600001', 1893456000).stock_name, "It's a \\ test");
    assert.equal(get('17:600001', 1901232000).roe, null);
    assert.equal(get('17:600002', 1893456000).roe, 3);
  });

  it('refuses a file that a node journal sits beside, changing nothing', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 2 });
    writeFileSync(`${db}.journal`, '');
    const input = join(dir, 'x.ndjson');
    writeFileSync(input, '{"subject_key":"33:000001","report_date":1893456000,"roe":1}\n');
    const before = bytesOf(db);
    await assert.rejects(importFiles({ files: [input], db }), /finance\.db\.journal sits beside it.*--to/);
    assert.deepEqual(bytesOf(db), before);
    copyFileSync(db, join(dir, 'copy.db'));
    const ok = await importFiles({ files: [input], db: join(dir, 'copy.db') });
    assert.equal(ok.result.rows, 1);
  });
});
