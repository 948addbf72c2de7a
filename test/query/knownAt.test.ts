import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from 'sql.js';
import { API, makeDb, openReference, originalDb, post, sqlRows, startNode, tempDir } from '../helpers';
import type { RunningNode } from '../../src/roles/node';
import { generateRequests } from '../../src/loadgen/requestPlan';
import { scenarioById, ORIGINAL_INDICATORS } from '../../src/loadgen/scenarios';

// `known_at` (docs/api.md): only reports announced at or before it count. Every answer is checked
// against plain SQL over the same file, where "announced" is strftime('%s', declare_date) (a
// date-only declare date is 00:00 UTC of that day), or report_date when there is none.
const ANNOUNCED = `COALESCE(CAST(strftime('%s', g.declare_date) AS INTEGER), g.report_date)`;
const FAR = 4102444800;

describe('known_at: what was known at a moment', () => {
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

  function expectedSnapshot(o: { subjects?: string[]; topic?: string; field: string; order: 1 | -1; offset: number; limit: number; asOf: number; knownAt: number; ids: string[] }) {
    const where = o.subjects ? `f.subject_key IN (${o.subjects.map(() => '?').join(',')})` : 'f.topic = ?';
    const params: (string | number)[] = o.subjects ? [...o.subjects] : [o.topic as string];
    const topicCond = o.subjects ? '' : 'AND g.topic = f.topic';
    const sql = `SELECT f.subject_key, f.stock_name, ${o.ids.map((i) => `f.${i}`).join(', ')} FROM finance_data f
      WHERE ${where} AND f.report_date = (SELECT max(g.report_date) FROM finance_data g WHERE g.subject_key = f.subject_key ${topicCond}
        AND g.report_date <= ? AND ${ANNOUNCED} <= ?)
      ORDER BY (f.${o.field} IS NULL), f.${o.field} ${o.order === 1 ? 'ASC' : 'DESC'}, f.subject_key ASC LIMIT ? OFFSET ?`;
    params.push(o.asOf > 0 ? o.asOf : FAR, o.knownAt, o.limit, o.offset);
    return sqlRows(ref, sql, params).map((r) => ({
      subject: { subject: r.subject_key, name: r.stock_name, status: '213001', listing_date: '', category: 'stock' },
      data: Object.fromEntries(o.ids.map((i) => [i, r[i]])),
    }));
  }

  /** Announcement times (seconds) around which answers change: each one, a second before, a day after. */
  function moments(subject: string): number[] {
    const rows = sqlRows(ref, `SELECT ${ANNOUNCED} AS a FROM finance_data g WHERE g.subject_key = ? ORDER BY a`, [subject]);
    return rows.slice(2, 6).flatMap((r) => [Number(r.a) - 1, Number(r.a), Number(r.a) + 86400]);
  }

  it('snapshot of subjects: the newest report announced by then, with and without timestamp', async () => {
    const s = subjects.slice(0, 12);
    const ids = ['operating_income', 'end_date', 'declare_date', 'report_date'];
    let changed = 0;
    let last = '';
    for (const knownAt of moments(s[0])) {
      for (const asOf of [0, 1672444800]) {
        const res = await post(node.url, `${API}/snapshot`, { ids, subjects: s, field: 'operating_income', timestamp: asOf, known_at: knownAt, limit: 20 });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.data, expectedSnapshot({ subjects: s, field: 'operating_income', order: -1, offset: 0, limit: 20, asOf, knownAt, ids }), `known_at ${knownAt} timestamp ${asOf}`);
        if (asOf === 0 && res.text !== last) changed++;
        if (asOf === 0) last = res.text;
      }
    }
    assert.ok(changed >= 3, `answers change as reports are announced (${changed} distinct)`);
    // Before anything was announced: no row at all.
    const none = await post(node.url, `${API}/snapshot`, { ids: 'roe', subjects: s, known_at: 631152000 });
    assert.deepEqual(none.json.data, []);
  });

  it('until the annual report is announced, the newest known report is the Q3 before it', async () => {
    const r = sqlRows(ref, `SELECT subject_key AS s, CAST(strftime('%s', declare_date) AS INTEGER) AS annual, report_date FROM finance_data
      WHERE period = '596004' AND year = '2022' ORDER BY subject_key LIMIT 1`)[0];
    const ids = ['end_date', 'period', 'operating_income'];
    const periods: string[] = [];
    for (const knownAt of [Number(r.annual) - 1, Number(r.annual)]) {
      for (const asOf of [0, Number(r.report_date)]) {
        const res = await post(node.url, `${API}/snapshot`, { ids, subjects: [String(r.s)], known_at: knownAt, timestamp: asOf });
        assert.deepEqual(res.json.data, expectedSnapshot({ subjects: [String(r.s)], field: 'operating_income', order: -1, offset: 0, limit: 10, asOf, knownAt, ids }));
        periods.push(res.json.data[0].data.period);
      }
    }
    assert.deepEqual(periods, ['596003', '596003', '596004', '596004']);
  });

  it('a whole topic, before, between and after announcements, paged and sorted', async () => {
    for (const topic of ['stock_a_listing_pool', 'stock_a_gem']) {
      for (const knownAt of [1680307200, 1682899200, 1683590400, 1700000000, 1712000000]) {
        for (const asOf of [0, 1672444800]) {
          for (const [offset, limit, order] of [[0, 10, -1], [20, 30, 1]] as const) {
            const res = await post(node.url, `${API}/snapshot`, { ids: 'operating_income,roe,end_date', topic, field: 'roe', order, offset, limit, timestamp: asOf, known_at: knownAt });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.data, expectedSnapshot({ topic, field: 'roe', order, offset, limit, asOf, knownAt, ids: ['operating_income', 'roe', 'end_date'] }), `${topic} known_at ${knownAt} timestamp ${asOf}`);
          }
        }
      }
    }
  });

  it('period: only the reports announced by then, newest first; subjects with none are left out', async () => {
    const s = subjects.slice(20, 30);
    for (const knownAt of [...moments(s[0]), 1600000000]) {
      const res = await post(node.url, `${API}/period`, { ids: 'operating_income,roe', subjects: s, from: 1609459200, to: FAR, known_at: knownAt });
      assert.equal(res.status, 200, res.text);
      const expected = s
        .map((subject) => ({
          subject,
          rows: sqlRows(ref, `SELECT end_date, period, declare_date, year, operating_income, roe FROM finance_data g
            WHERE subject_key = ? AND report_date BETWEEN ? AND ? AND ${ANNOUNCED} <= ? ORDER BY report_date DESC`, [subject, 1609459200, FAR, knownAt]),
        }))
        .filter((e) => e.rows.length > 0)
        .map((e) => ({ subject: e.subject, data: e.rows.map((r) => ({ ...r, combine: `${e.subject}:${r.year}_${r.period}` })) }));
      assert.deepEqual(
        res.json.data.map((i: { subject: { subject: string }; data: unknown }) => ({ subject: i.subject.subject, data: i.data })),
        expected,
        `known_at ${knownAt}`,
      );
    }
  });

  it('answers the bench point-in-time scenario (9) as the reference does', async () => {
    const ctx = { subjects, indicators: [...ORIGINAL_INDICATORS], topic: 'stock_a_listing_pool' };
    for (const { body } of generateRequests(scenarioById(9)!, ctx, 11, 30)) {
      const res = await post(node.url, `${API}/snapshot`, body);
      assert.equal(res.status, 200, res.text);
      const ids = String(body.ids).split(',');
      const o = { subjects: String(body.subjects).split(','), field: 'operating_income', order: -1 as const, offset: 0, limit: 10 };
      assert.deepEqual(res.json.data, expectedSnapshot({ ...o, asOf: Number(body.timestamp), knownAt: Number(body.known_at), ids }));
    }
  });

  it('is cached like any answer: the same body answers the same bytes', async () => {
    const req = { ids: 'roe', topic: 'stock_a_listing_pool', known_at: 1690000000 };
    const a = await post(node.url, `${API}/snapshot`, req);
    const b = await post(node.url, `${API}/snapshot`, req);
    assert.equal(b.text, a.text);
    const later = await post(node.url, `${API}/snapshot`, { ...req, known_at: 1700000000 });
    assert.notEqual(later.text, a.text);
  });

  it('refuses a known_at that is not an integer, negative or before 1990, naming the field', async () => {
    for (const knownAt of ['soon', 1.5, -1, 631151999, 1e13, 0, true]) {
      for (const route of ['snapshot', 'period']) {
        const res = await post(node.url, `${API}/${route}`, { ids: 'roe', subjects: subjects[0], from: 0, to: FAR, known_at: knownAt });
        assert.equal(res.status, 400, `${route} ${String(knownAt)}: ${res.text}`);
        assert.match(res.json.status_msg, /^known_at /);
      }
    }
  });
});

describe('known_at on a file without declare_date', () => {
  it('answers 400 naming the missing column', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)) });
    for (const [route, body] of [
      ['snapshot', { ids: 'operating_income', subjects: '33:000001', known_at: 1700000000 }],
      ['snapshot', { ids: 'operating_income', topic: 'stock_a_listing_pool', known_at: 1700000000 }],
      ['period', { ids: 'operating_income', subjects: '33:000001', from: 0, to: 2e9, known_at: 1700000000 }],
    ] as const) {
      const res = await post(node.url, `${API}/${route}`, body);
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.status_msg, /known_at: .*no declare_date column/);
    }
  });
});
