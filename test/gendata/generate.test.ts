// generateDatabase against real files: the original schema, the shape of the sample data,
// determinism, and option validation.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database, SqlValue } from 'sql.js';
import { generateDatabase, type GenOptions, type GenResult } from '../../src/gendata/generate';
import { isKmtError } from '../../src/shared/errors';
import { loadSqlJs } from '../../src/store/sqljs';

const SMALL: Omit<GenOptions, 'out'> = { stocks: 120, startYear: 2021, endYear: 2023, seed: 42, noise: 0 };
const YEARS = SMALL.endYear - SMALL.startYear + 1;
const PROFITS = ['parent_holder_net_profit', 'net_profit', 'operating_profit', 'total_profit'];
const INDICATORS = [
  'operating_income',
  'parent_holder_net_profit',
  'total_operating_cost',
  'net_profit',
  'operating_profit',
  'total_profit',
  'basic_eps',
  'roe',
  'total_assets',
];

type Row = Record<string, SqlValue>;

function all(db: Database, sql: string): Row[] {
  const result = db.exec(sql)[0];
  if (!result) return [];
  return result.values.map((values) => Object.fromEntries(result.columns.map((c, i) => [c, values[i]])));
}

async function openDb(file: string): Promise<Database> {
  const SQL = await loadSqlJs();
  return new SQL.Database(await readFile(file));
}

describe('generateDatabase', () => {
  let dir: string;
  let file: string;
  let result: GenResult;
  let db: Database;
  const progress: Array<[number, number]> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kmt-gendata-'));
    file = join(dir, 'nested', 'finance.db');
    result = await generateDatabase({ ...SMALL, out: file, onProgress: (done, total) => progress.push([done, total]) });
    db = await openDb(file);
  });

  after(async () => {
    db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the original columns in their order, then declare_date and the extra indicators', () => {
    const columns = all(db, 'PRAGMA table_info(finance_data)').map((c) => [c.name, c.type, c.notnull, c.dflt_value, c.pk]);
    assert.deepEqual(columns, [
      ['id', 'INTEGER', 0, null, 1],
      ['stock_code', 'TEXT', 1, null, 0],
      ['market_code', 'TEXT', 1, null, 0],
      ['subject_key', 'TEXT', 1, null, 0],
      ['stock_name', 'TEXT', 0, null, 0],
      ['report_date', 'INTEGER', 1, null, 0],
      ['end_date', 'TEXT', 0, null, 0],
      ['year', 'TEXT', 0, null, 0],
      ['period', 'TEXT', 0, null, 0],
      ['operating_income', 'REAL', 0, null, 0],
      ['parent_holder_net_profit', 'REAL', 0, null, 0],
      ['category', 'TEXT', 0, "'stock'", 0],
      ['topic', 'TEXT', 0, "'stock_a_listing_pool'", 0],
      ['declare_date', 'TEXT', 0, null, 0],
      ['total_operating_cost', 'REAL', 0, null, 0],
      ['net_profit', 'REAL', 0, null, 0],
      ['operating_profit', 'REAL', 0, null, 0],
      ['total_profit', 'REAL', 0, null, 0],
      ['basic_eps', 'REAL', 0, null, 0],
      ['roe', 'REAL', 0, null, 0],
      ['total_assets', 'REAL', 0, null, 0],
    ]);
    const autoincrement = all(db, "SELECT sql FROM sqlite_master WHERE name = 'finance_data'")[0];
    assert.match(String(autoincrement.sql), /id INTEGER PRIMARY KEY AUTOINCREMENT/);
  });

  it('creates the original three indexes, report_date descending', () => {
    const indexes = all(db, 'PRAGMA index_list(finance_data)')
      .map((i) => String(i.name))
      .sort();
    assert.deepEqual(indexes, ['idx_stock_code', 'idx_subject_date', 'idx_topic']);
    const keyColumns = (name: string) =>
      all(db, `PRAGMA index_xinfo(${name})`)
        .filter((c) => c.key === 1)
        .map((c) => [c.name, c.desc]);
    assert.deepEqual(keyColumns('idx_subject_date'), [
      ['subject_key', 0],
      ['report_date', 1],
    ]);
    assert.deepEqual(keyColumns('idx_topic'), [['topic', 0]]);
    assert.deepEqual(keyColumns('idx_stock_code'), [['stock_code', 0]]);
  });

  it('writes four reports a year per company, fewer for late starters, with no gaps', () => {
    const periods = YEARS * 4;
    const perSubject = all(
      db,
      `SELECT subject_key, COUNT(*) AS n, MIN(report_date) AS first, MAX(report_date) AS last
       FROM finance_data GROUP BY subject_key`,
    );
    assert.equal(perSubject.length, SMALL.stocks);
    const lastPeriodEnd = Date.UTC(SMALL.endYear, 11, 31) / 1000;
    let expected = 0;
    let lateStarters = 0;
    for (const s of perSubject) {
      const n = Number(s.n);
      // A late starter skips its first periods; everyone reports up to the last one.
      assert.equal(s.last, lastPeriodEnd, `${String(s.subject_key)} reports up to the last period`);
      const first = new Date(Number(s.first) * 1000);
      const skipped = (first.getUTCFullYear() - SMALL.startYear) * 4 + (first.getUTCMonth() + 1) / 3 - 1;
      assert.equal(n, periods - skipped, `${String(s.subject_key)} has one row per period from its first`);
      expected += n;
      if (n < periods) lateStarters++;
    }
    assert.ok(lateStarters > 0 && lateStarters < SMALL.stocks / 5, `some late starters (${lateStarters})`);
    const total = Number(all(db, 'SELECT COUNT(*) AS n FROM finance_data')[0].n);
    assert.equal(total, expected);
    assert.equal(total, SMALL.stocks * YEARS * 4 - perSubject.reduce((sum, s) => sum + periods - Number(s.n), 0));
    assert.deepEqual(
      { rows: result.rows, subjects: result.subjects, file: result.file },
      { rows: total, subjects: SMALL.stocks, file },
    );
  });

  it('puts subjects on both markets, keyed market_code:stock_code, one topic each', () => {
    const markets = all(db, 'SELECT market_code, COUNT(DISTINCT subject_key) AS n FROM finance_data GROUP BY 1');
    assert.deepEqual(
      markets.map((m) => m.market_code),
      ['17', '33'],
    );
    for (const m of markets) assert.equal(m.n, SMALL.stocks / 2);
    const badKeys = all(
      db,
      `SELECT COUNT(*) AS n FROM finance_data
       WHERE subject_key != market_code || ':' || stock_code OR length(stock_code) != 6
          OR stock_name != 'Sample Corp ' || stock_code OR category != 'stock'`,
    );
    assert.equal(badKeys[0].n, 0);
    const codes = all(db, 'SELECT COUNT(DISTINCT stock_code) AS codes, COUNT(DISTINCT subject_key) AS subjects FROM finance_data');
    assert.equal(codes[0].codes, codes[0].subjects);
    const topics = all(db, 'SELECT DISTINCT topic FROM finance_data ORDER BY 1').map((t) => t.topic);
    assert.deepEqual(topics, ['stock_a_gem', 'stock_a_listing_pool', 'stock_a_star_market']);
    const multiTopic = all(db, 'SELECT subject_key FROM finance_data GROUP BY 1 HAVING COUNT(DISTINCT topic) > 1');
    assert.equal(multiTopic.length, 0);
  });

  it('dates each report at UTC midnight of its period end, declared weeks (quarters) to months (annual) later', () => {
    const periodEnds: Record<string, string> = { '596001': '03-31', '596002': '06-30', '596003': '09-30', '596004': '12-31' };
    const lags: Record<string, [number, number]> = { '596001': [20, 30], '596002': [45, 60], '596003': [20, 30], '596004': [75, 110] };
    const seen = new Map<string, Set<number>>();
    for (const r of all(db, 'SELECT report_date, end_date, year, period, declare_date FROM finance_data')) {
      const end = new Date(Number(r.report_date) * 1000).toISOString();
      assert.equal(end, `${String(r.end_date)}T00:00:00.000Z`);
      assert.equal(r.year, String(r.end_date).slice(0, 4));
      assert.equal(String(r.end_date).slice(5), periodEnds[String(r.period)]);
      const lagDays = (Date.parse(String(r.declare_date)) / 1000 - Number(r.report_date)) / 86_400;
      const [lo, hi] = lags[String(r.period)];
      assert.ok(lagDays >= lo && lagDays <= hi, `declare_date ${String(r.declare_date)} after ${String(r.end_date)}`);
      if (!seen.has(String(r.period))) seen.set(String(r.period), new Set());
      seen.get(String(r.period))!.add(lagDays);
    }
    // Spread over the range, not one fixed lag.
    for (const [period, days] of seen) assert.ok(days.size >= 8, `period ${period}: ${days.size} distinct lags`);
    const q3of2023 = all(db, "SELECT DISTINCT report_date FROM finance_data WHERE end_date = '2023-09-30'");
    assert.deepEqual(q3of2023, [{ report_date: 1696032000 }]);
  });

  it('keeps profits within 3%..28% of revenue and costs below revenue without noise', () => {
    const rows = all(db, `SELECT operating_income AS revenue, total_operating_cost AS cost, ${PROFITS.join(', ')} FROM finance_data`);
    let checked = 0;
    for (const r of rows) {
      if (r.revenue === null) continue;
      const revenue = Number(r.revenue);
      for (const name of PROFITS) {
        if (r[name] === null) continue;
        const margin = Number(r[name]) / revenue;
        // Values are rounded to cents, hence the sliver of tolerance.
        assert.ok(margin >= 0.03 - 1e-6 && margin <= 0.28 + 1e-6, `${name} is ${margin} of revenue`);
        checked++;
      }
      if (r.cost !== null) assert.ok(Number(r.cost) < revenue);
    }
    assert.ok(checked > rows.length * 3);
  });

  it('leaves about 2% of indicator cells NULL', () => {
    const nulls = INDICATORS.map((c) => `SUM(${c} IS NULL)`).join(' + ');
    const r = all(db, `SELECT ${nulls} AS nulls, COUNT(*) * ${INDICATORS.length} AS cells FROM finance_data`)[0];
    const share = Number(r.nulls) / Number(r.cells);
    assert.ok(share > 0.005 && share < 0.05, `NULL share ${share}`);
  });

  it('reports progress up to the total row count', () => {
    assert.ok(progress.length > 1);
    assert.deepEqual(progress.at(-1), [result.rows, result.rows]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0]);
  });

  it('creates the parent directory and leaves no temporary file behind', async () => {
    assert.deepEqual(await readdir(join(dir, 'nested')), ['finance.db']);
    assert.equal(result.bytes, (await readFile(file)).byteLength);
  });

  it('writes a byte-identical file for the same options and a different one for another seed', async () => {
    const again = join(dir, 'again.db');
    const otherSeed = join(dir, 'seed7.db');
    await generateDatabase({ ...SMALL, out: again });
    await generateDatabase({ ...SMALL, seed: 7, out: otherSeed });
    const original = await readFile(file);
    assert.ok(original.equals(await readFile(again)), 'same seed, same bytes');
    assert.ok(!original.equals(await readFile(otherSeed)), 'another seed, other bytes');
  });

  it('adds noise to the values but keeps the rows', async () => {
    const noisyFile = join(dir, 'noisy.db');
    await generateDatabase({ ...SMALL, noise: 0.3, out: noisyFile });
    const noisy = await openDb(noisyFile);
    try {
      const keys = 'SELECT subject_key, report_date, declare_date, operating_income IS NULL AS gap FROM finance_data ORDER BY id';
      assert.deepEqual(all(noisy, keys), all(db, keys));
      const revenue = 'SELECT operating_income AS v FROM finance_data ORDER BY id';
      const clean = all(db, revenue);
      const moved = all(noisy, revenue).filter((r, i) => r.v !== clean[i].v);
      assert.ok(moved.length > result.rows / 2, `${moved.length} of ${result.rows} revenues moved`);
    } finally {
      noisy.close();
    }
  });

  describe('rejects bad options with KMT_CONFIG naming the flag', () => {
    const cases: Array<[string, Partial<GenOptions>, RegExp]> = [
      ['no companies', { stocks: 0 }, /--stocks must be an integer between 1 and/],
      ['a fractional count', { stocks: 2.5 }, /--stocks/],
      ['a year before 1990', { startYear: 1989 }, /--start-year must be an integer between 1990 and 2100/],
      ['a year after 2100', { endYear: 2101 }, /--end-year must be an integer between 1990 and 2100/],
      ['start after end', { startYear: 2024, endYear: 2020 }, /--start-year \(2024\) must not be after --end-year \(2020\)/],
      ['negative noise', { noise: -0.1 }, /--noise must be a number between 0 and 1/],
      ['noise above 1', { noise: 1.5 }, /--noise must be a number between 0 and 1/],
      ['a negative seed', { seed: -1 }, /--seed must be an integer between 0 and 4294967295/],
      ['an empty path', { out: '' }, /--out/],
    ];
    for (const [what, bad, message] of cases) {
      it(`rejects ${what}`, async () => {
        const out = join(dir, 'rejected.db');
        await assert.rejects(generateDatabase({ ...SMALL, out, ...bad }), (err: unknown) => {
          assert.ok(isKmtError(err));
          assert.equal(err.code, 'KMT_CONFIG');
          assert.match(err.message, message);
          return true;
        });
        assert.equal(existsSync(out), false);
      });
    }
  });
});
