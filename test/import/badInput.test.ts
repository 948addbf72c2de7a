// Bad input (docs/import.md): each case is reported as file:line with what is wrong and the row
// skipped; with --strict the first one stops the import having changed nothing on disk.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDb, tempDir } from '../helpers';
import { bytesOf, dbRows, importFiles } from './_util';

const D = 1893456000; // 2030-01-01

interface Case {
  name: string;
  file: string;
  text: string;
  /** Expected messages (regexps on the whole line) and how many good rows go in. */
  bad: RegExp[];
  good: number;
}

const CASES: Case[] = [
  {
    name: 'a CSV header naming an unknown column',
    file: 'h.csv',
    text: `subject_key,report_date,colour\n33:000001,${D},red\n`,
    bad: [/h\.csv:1: header: unknown column "colour"; allowed: id, subject_key, report_date, /],
    good: 0,
  },
  {
    name: 'a CSV line with too few fields, a number that is not a number, a truncated last line',
    file: 'rows.csv',
    text: `subject_key,report_date,net_profit,roe\n33:000001,${D},1,2\n33:000001,${D + 1}\n33:000002,${D},abc,1\n33:000003,x,1,1\n33:000004,${D},5,6\n33:000005,${D},1`,
    bad: [
      /rows\.csv:3: 2 fields, the header has 4 \(a truncated line\?\)$/,
      /rows\.csv:4: net_profit: must be a number, got "abc"$/,
      /rows\.csv:5: report_date: must be an integer unix time \(seconds, 0\.\.253402300799\), got "x"$/,
      /rows\.csv:7: 3 fields, the header has 4 \(a truncated line\?\)$/,
    ],
    good: 2,
  },
  {
    name: 'NDJSON rows the write API refuses, and a truncated last line',
    file: 'r.ndjson',
    text: `{"subject_key":"33:000001","report_date":${D},"roe":1}\n{"subject_key":"33000001","report_date":${D}}\n\n{"subject_key":"33:000002","report_date":${D},"roe":"high"}\n{"subject_key":"33:000002","report_date":${D},"stock_code":"000009"}\n{"subject_key":"33:000003","report_da`,
    bad: [
      /r\.ndjson:2: subject_key: must be "<market>:<code>" such as "33:000001", got "33000001"$/,
      /r\.ndjson:4: roe: must be a finite number or null, got "high"$/,
      /r\.ndjson:5: stock_code: "000009" disagrees with subject_key "33:000002"/,
      /r\.ndjson:6: not valid JSON \(a truncated line\?\)/,
    ],
    good: 1,
  },
  {
    name: 'a SQL dump with a statement for another table, a bad value, too few values and a truncated last statement',
    file: 'd.sql',
    text: [
      'CREATE TABLE t (a INT);',
      `INSERT INTO finance_data (subject_key, report_date, roe) VALUES ('33:000001', ${D}, 1),`,
      `  ('33:000002', ${D}, 'abc'),`,
      `  ('33:000003', ${D});`,
      `INSERT INTO \`other\` VALUES (1, 2);`,
      `INSERT INTO finance_data (subject_key, report_date, colour) VALUES ('33:000004', ${D}, 'red');`,
      `INSERT INTO finance_data (subject_key, report_date) VALUES ('33:000005', ${D}), ('33:0000`,
    ].join('\n'),
    bad: [
      /d\.sql:3: roe: must be a number, got "abc"$/,
      /d\.sql:4: 2 values for 3 columns$/,
      /d\.sql:5: INSERT INTO other: only finance_data is imported$/,
      /d\.sql:6: column "colour" unknown; allowed: /,
      /d\.sql:7: statement not ended by ";" \(a truncated file\?\)$/,
    ],
    good: 1,
  },
];

describe('import: bad input', () => {
  for (const c of CASES) {
    it(`${c.name}: reported with file:line and skipped; --strict changes nothing`, async (t) => {
      const dir = tempDir(t);
      const db = await makeDb(dir, { stocks: 3 });
      const input = join(dir, c.file);
      writeFileSync(input, c.text);
      const before = bytesOf(db);
      const rowsBefore = (await dbRows(db)).length;

      const strict = importFiles({ files: [input], db, strict: true });
      await assert.rejects(strict, /--strict: stopped at .*:\d+; nothing was imported/);
      assert.deepEqual(bytesOf(db), before, '--strict left the file as it was');

      const { result, bad } = await importFiles({ files: [input], db });
      assert.equal(bad.length, c.bad.length, bad.join('\n'));
      c.bad.forEach((re, i) => assert.match(bad[i]!, re));
      assert.ok(bad.every((m) => m.startsWith(`${input}:`)));
      assert.equal(result.rows, c.good);
      assert.equal((await dbRows(db)).length, rowsBefore + c.good);
    });
  }

  it('a file that does not exist: reported, the others imported; --strict writes no new file', async (t) => {
    const dir = tempDir(t);
    const good = join(dir, 'g.ndjson');
    writeFileSync(good, `{"subject_key":"33:000001","report_date":${D},"roe":1}\n`);
    const missing = join(dir, 'nope.csv');
    const out = join(dir, 'new.db');
    await assert.rejects(importFiles({ files: [good, missing], db: out, strict: true }), /stopped at .*nope\.csv:0/);
    assert.equal(existsSync(out), false);
    const { result, bad } = await importFiles({ files: [missing, good], db: out });
    assert.deepEqual(bad, [`${missing}:0: cannot read: no such file`]);
    assert.equal(result.rows, 1);
  });

  it('an unknown extension is refused before anything is read', async (t) => {
    const dir = tempDir(t);
    await assert.rejects(importFiles({ files: [join(dir, 'x.txt')], db: join(dir, 'a.db') }), /cannot tell the format .*--format csv\|ndjson\|sql/);
  });
});
