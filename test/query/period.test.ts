import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from 'sql.js';
import { API, makeDb, openReference, post, sqlRows, startNode, tempDir } from '../helpers';
import type { RunningNode } from '../../src/roles/node';

describe('period answers match SQL over the same database', () => {
  let node: RunningNode;
  let ref: Database;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };

  before(async () => {
    const db = await makeDb(tempDir(t), { stocks: 30, startYear: 2019, endYear: 2023 });
    node = await startNode(t, { db });
    ref = await openReference(db);
  });
  after(async () => {
    ref.close();
    for (const fn of teardown.reverse()) await fn();
  });

  function expected(subjects: string[], ids: string[], from: number, to: number) {
    const out = [];
    for (const s of subjects) {
      const rows = sqlRows(ref, `SELECT * FROM finance_data WHERE subject_key = ? AND report_date BETWEEN ? AND ? ORDER BY report_date DESC`, [s, from, to]);
      if (rows.length === 0) continue;
      out.push({
        subject: { subject: s, name: rows[0].stock_name, status: '213001', listing_date: '', category: 'stock' },
        data: rows.map((r) => ({
          end_date: r.end_date,
          period: r.period,
          declare_date: r.declare_date,
          year: r.year,
          ...Object.fromEntries(ids.filter((i) => !['end_date', 'period', 'year', 'declare_date'].includes(i)).map((i) => [i, r[i]])),
          combine: `${s}:${r.year}_${r.period}`,
        })),
      });
    }
    return out;
  }

  it('returns every report in the range, newest first, subjects in request order', async () => {
    const subjects = ['17:600003', '33:000001', '17:600000'];
    const [from, to] = [1577836800, 1672531199]; // 2020-01-01 .. 2022-12-31
    const res = await post(node.url, `${API}/period`, { ids: 'operating_income,net_profit,roe', subjects: subjects.join(','), from, to });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.data, expected(subjects, ['operating_income', 'net_profit', 'roe'], from, to));
    assert.equal(res.json.data[0].data.length, 12);
  });

  it('includes reports exactly on the range bounds', async () => {
    const from = 1585612800; // 2020-03-31
    const to = 1601424000; // 2020-09-30
    const res = await post(node.url, `${API}/period`, { ids: 'operating_income', subjects: '33:000001', from, to });
    assert.deepEqual(res.json.data, expected(['33:000001'], ['operating_income'], from, to));
    assert.equal(res.json.data[0].data.length, 3);
  });

  it('leaves out subjects with no report in the range and unknown subjects', async () => {
    const res = await post(node.url, `${API}/period`, { ids: 'operating_income', subjects: ['33:000001', '99:000000'], from: 0, to: 1000 });
    assert.deepEqual(res.json.data, []);
  });

  it('does not repeat a fixed field requested as an id', async () => {
    const res = await post(node.url, `${API}/period`, { ids: 'year,operating_income', subjects: '33:000002', from: 1672531200, to: 1704067199 });
    assert.deepEqual(res.json.data, expected(['33:000002'], ['year', 'operating_income'], 1672531200, 1704067199));
  });
});
