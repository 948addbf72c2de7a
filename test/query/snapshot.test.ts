import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from 'sql.js';
import { API, makeDb, openReference, post, sqlRows, startNode, tempDir } from '../helpers';
import type { RunningNode } from '../../src/roles/node';

// Every answer is checked against plain SQL over the same file, written independently of the
// node's code: latest (or as-of) report per subject, NULLs last, ties by subject key.
describe('snapshot answers match SQL over the same database', () => {
  let node: RunningNode;
  let ref: Database;
  let subjects: string[];
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };

  before(async () => {
    const db = await makeDb(tempDir(t), { stocks: 120, startYear: 2021, endYear: 2023 });
    node = await startNode(t, { db });
    ref = await openReference(db);
    subjects = sqlRows(ref, 'SELECT DISTINCT subject_key AS s FROM finance_data ORDER BY s').map((r) => String(r.s));
  });
  after(async () => {
    ref.close();
    for (const fn of teardown.reverse()) await fn();
  });

  /** The expected answer, computed in SQL alone. */
  function expected(opts: { subjects?: string[]; topic?: string; field: string; order: 1 | -1; offset: number; limit: number; asOf: number; ids: string[] }) {
    const where = opts.subjects ? `f.subject_key IN (${opts.subjects.map(() => '?').join(',')})` : 'f.topic = ?';
    const params: (string | number)[] = opts.subjects ? [...opts.subjects] : [opts.topic as string];
    const topicCond = opts.subjects ? '' : 'AND g.topic = f.topic';
    const sql = `SELECT f.subject_key, f.stock_name, ${opts.ids.map((i) => `f.${i}`).join(', ')} FROM finance_data f
      WHERE ${where} AND f.report_date = (SELECT max(g.report_date) FROM finance_data g WHERE g.subject_key = f.subject_key ${topicCond} AND g.report_date <= ?)
      ORDER BY (f.${opts.field} IS NULL), f.${opts.field} ${opts.order === 1 ? 'ASC' : 'DESC'}, f.subject_key ASC LIMIT ? OFFSET ?`;
    params.push(opts.asOf > 0 ? opts.asOf : 4102444800, opts.limit, opts.offset);
    return sqlRows(ref, sql, params).map((r) => ({
      subject: { subject: r.subject_key, name: r.stock_name, status: '213001', listing_date: '', category: 'stock' },
      data: Object.fromEntries(opts.ids.map((i) => [i, r[i]])),
    }));
  }

  async function check(req: Record<string, unknown>, exp: Parameters<typeof expected>[0]) {
    const res = await post(node.url, `${API}/snapshot`, req);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status_code, 0);
    assert.deepEqual(res.json.data, expected(exp));
    return res.json.data as unknown[];
  }

  it('returns the latest report of each subject with exactly the requested ids', async () => {
    const s = subjects.slice(0, 7);
    const ids = ['net_profit', 'operating_income', 'year', 'end_date', 'report_date'];
    const data = await check({ ids: ids.join(','), subjects: s.join(','), field: 'operating_income', order: -1, limit: 20 }, { subjects: s, field: 'operating_income', order: -1, offset: 0, limit: 20, asOf: 0, ids });
    assert.equal(data.length, 7);
  });

  it('sorts ascending and descending by an indicator, NULLs last either way', async () => {
    // Subjects whose latest net_profit is NULL, mixed with others.
    const nulls = sqlRows(ref, `SELECT f.subject_key AS s FROM finance_data f WHERE f.net_profit IS NULL AND f.report_date = (SELECT max(report_date) FROM finance_data g WHERE g.subject_key = f.subject_key)`).map((r) => String(r.s));
    assert.ok(nulls.length > 0, 'the generated data has a subject whose latest net_profit is NULL');
    const s = [...nulls.slice(0, 3), ...subjects.slice(10, 20)];
    for (const order of [1, -1] as const) {
      const data = await check({ ids: 'net_profit', subjects: s, field: 'net_profit', order, limit: 50 }, { subjects: s, field: 'net_profit', order, offset: 0, limit: 50, asOf: 0, ids: ['net_profit'] });
      assert.equal((data.at(-1) as { data: { net_profit: unknown } }).data.net_profit, null);
    }
  });

  it('breaks ties by subject key (all latest report dates are equal)', async () => {
    const s = subjects.slice(30, 45).reverse();
    await check({ ids: 'report_date,operating_income', subjects: s, field: 'report_date', order: -1, limit: 50 }, { subjects: s, field: 'report_date', order: -1, offset: 0, limit: 50, asOf: 0, ids: ['report_date', 'operating_income'] });
  });

  it('pages with offset and limit', async () => {
    const s = subjects.slice(0, 40);
    for (const [offset, limit] of [[0, 5], [5, 5], [35, 10], [40, 10]]) {
      await check({ ids: 'total_profit', subjects: s, field: 'total_profit', order: 1, offset, limit }, { subjects: s, field: 'total_profit', order: 1, offset, limit, asOf: 0, ids: ['total_profit'] });
    }
  });

  it('answers as of a timestamp with the latest report at or before it', async () => {
    const s = subjects.slice(50, 60);
    for (const asOf of [1696032000, 1696031999, 1640995200, 1609459200]) {
      await check({ ids: 'operating_income,end_date', subjects: s, field: 'operating_income', timestamp: asOf, limit: 20 }, { subjects: s, field: 'operating_income', order: -1, offset: 0, limit: 20, asOf, ids: ['operating_income', 'end_date'] });
    }
  });

  it('answers a whole topic, latest and as of a timestamp', async () => {
    for (const topic of ['stock_a_listing_pool', 'stock_a_gem']) {
      for (const asOf of [0, 1664496000]) {
        for (const [offset, limit] of [[0, 10], [20, 30]]) {
          await check({ ids: 'operating_income,roe', topic, field: 'roe', order: -1, offset, limit, timestamp: asOf }, { topic, field: 'roe', order: -1, offset, limit, asOf, ids: ['operating_income', 'roe'] });
        }
      }
    }
  });

  it('ignores duplicate subjects and yields no row for unknown ones', async () => {
    const s = [subjects[3], subjects[4]];
    const res = await post(node.url, `${API}/snapshot`, { ids: 'net_profit', subjects: `${s[0]},${s[1]},${s[0]}, ${s[1]} ,99:999999`, field: 'net_profit' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.data, expected({ subjects: s, field: 'net_profit', order: -1, offset: 0, limit: 10, asOf: 0, ids: ['net_profit'] }));
  });

  it('accepts the original order words and an array of subjects', async () => {
    const s = subjects.slice(0, 6);
    const asc = await post(node.url, `${API}/snapshot`, { ids: ['net_profit'], subjects: s, field: 'net_profit', order: 'asc' });
    const one = await post(node.url, `${API}/snapshot`, { ids: 'net_profit', subjects: s.join(','), field: 'net_profit', order: '1' });
    assert.deepEqual(asc.json.data, one.json.data);
    assert.deepEqual(asc.json.data, expected({ subjects: s, field: 'net_profit', order: 1, offset: 0, limit: 10, asOf: 0, ids: ['net_profit'] }));
  });

  it('gives the same answer from the cache as when it was computed', async () => {
    const req = { ids: 'operating_income,net_profit', subjects: subjects.slice(70, 75).join(','), field: 'net_profit' };
    const first = await post(node.url, `${API}/snapshot`, req);
    const second = await post(node.url, `${API}/snapshot`, req);
    assert.equal(second.text, first.text);
    const reordered = await post(node.url, `${API}/snapshot`, { field: 'net_profit', subjects: req.subjects, ids: req.ids });
    assert.equal(reordered.text, first.text);
  });
});
