import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSqlJs, openWithRoom } from '../../src/store/sqljs';

const scalar = (db: import('sql.js').Database, sql: string): unknown => db.exec(sql)[0]!.values[0]![0];

describe('openWithRoom (a database file with zeroed room behind it)', () => {
  it('keeps the zeros out of the database, whether the writes stay inside the room or outgrow it', async () => {
    const SQL = await loadSqlJs();
    const seed = new SQL.Database();
    seed.run('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
    const image = seed.export();
    seed.close();
    for (const room of [64 << 10, 16 << 20]) {
      const db = openWithRoom(SQL, image, room);
      assert.equal(scalar(db, 'PRAGMA page_count'), 2, 'the room is no part of the database');
      db.run('BEGIN');
      const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 20_000; i++) ins.run([`row ${i} ${'x'.repeat(40)}`]);
      ins.free();
      db.run('COMMIT');
      const pages = Number(scalar(db, 'PRAGMA page_count'));
      const out = db.export();
      db.close();
      assert.equal(out.length, pages * 4096, `room ${room}: the export holds the database's pages only`);
      const back = new SQL.Database(out);
      assert.equal(scalar(back, 'PRAGMA integrity_check'), 'ok');
      assert.equal(scalar(back, 'SELECT count(*) FROM t'), 20_000);
      assert.equal(scalar(back, 'SELECT v FROM t WHERE k = 20000'), `row 19999 ${'x'.repeat(40)}`);
      back.close();
    }
  });

  it('opens an image whose header size is not trusted as it is', async () => {
    const SQL = await loadSqlJs();
    const seed = new SQL.Database();
    seed.run('CREATE TABLE t (k INTEGER PRIMARY KEY)');
    seed.run('INSERT INTO t VALUES (1)');
    const image = seed.export();
    seed.close();
    image[95] = (image[95]! + 1) & 0xff; // version-valid-for no longer matches the change counter
    const db = openWithRoom(SQL, image, 1 << 20);
    assert.equal(Number(scalar(db, 'PRAGMA page_count')) * 4096, image.length, 'no zero pages taken in as part of the database');
    assert.equal(scalar(db, 'SELECT count(*) FROM t'), 1);
    db.close();
  });
});
