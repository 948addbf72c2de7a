import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSqlJs } from '../../src/store/sqljs';
import { API, httpRequest, post, startNode, tempDir } from '../helpers';

// A file exactly in the Go original's schema, with only its two indicator columns.
const ORIGINAL_SCHEMA = `
CREATE TABLE finance_data (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stock_code TEXT NOT NULL,
  market_code TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  stock_name TEXT,
  report_date INTEGER NOT NULL,
  end_date TEXT,
  year TEXT,
  period TEXT,
  operating_income REAL,
  parent_holder_net_profit REAL,
  category TEXT DEFAULT 'stock',
  topic TEXT DEFAULT 'stock_a_listing_pool'
);
CREATE INDEX idx_subject_date ON finance_data(subject_key, report_date DESC);
CREATE INDEX idx_topic ON finance_data(topic);
CREATE INDEX idx_stock_code ON finance_data(stock_code);`;

async function originalDb(dir: string): Promise<string> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run(ORIGINAL_SCHEMA);
  const ins = db.prepare(
    'INSERT INTO finance_data (stock_code, market_code, subject_key, stock_name, report_date, end_date, year, period, operating_income, parent_holder_net_profit) VALUES (?,?,?,?,?,?,?,?,?,?)',
  );
  const rows: Array<[string, string, string | null, number, string, string, string, number | null, number | null]> = [
    ['000001', '33', '平安银行', 1672444800, '2022-12-31', '2022', '596004', 1.8e11, 4.5e10],
    ['000001', '33', '平安银行', 1696032000, '2023-09-30', '2023', '596003', 1.3e11, 3.9e10],
    ['300033', '33', null, 1696032000, '2023-09-30', '2023', '596003', 1.4e9, null],
    ['600000', '17', 'SPDB', 1696032000, '2023-09-30', '2023', '596003', null, 2.1e10],
  ];
  for (const [code, market, name, date, end, year, period, income, profit] of rows) {
    ins.run([code, market, `${market}:${code}`, name, date, end, year, period, income, profit]);
  }
  ins.free();
  const file = join(dir, 'original.db');
  writeFileSync(file, db.export());
  db.close();
  return file;
}

describe('a database in the original two-indicator schema', () => {
  it('is served as it is, with the indicators read from its schema', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)) });
    const stats = await httpRequest(`${node.url}${API}/stats`);
    assert.deepEqual(stats.json.data.indicators, ['operating_income', 'parent_holder_net_profit']);
    assert.equal(stats.json.data.total_records, 4);
    assert.equal(stats.json.data.stock_count, 3);

    const snap = await post(node.url, `${API}/snapshot`, { ids: 'operating_income,parent_holder_net_profit', subjects: '33:000001,33:300033,17:600000' });
    assert.equal(snap.status, 200, snap.text);
    assert.deepEqual(
      snap.json.data.map((r: { subject: { subject: string; name: string }; data: unknown }) => [r.subject.subject, r.subject.name, r.data]),
      [
        ['33:300033', '33:300033', { operating_income: 1.4e9, parent_holder_net_profit: null }],
        ['33:000001', '平安银行', { operating_income: 1.3e11, parent_holder_net_profit: 3.9e10 }],
        ['17:600000', 'SPDB', { operating_income: null, parent_holder_net_profit: 2.1e10 }],
      ].sort((a, b) => {
        const x = (a[2] as { operating_income: number | null }).operating_income;
        const y = (b[2] as { operating_income: number | null }).operating_income;
        return x === null ? 1 : y === null ? -1 : y - x;
      }),
    );
  });

  it('refuses indicators the file does not have, naming the ones it has', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)) });
    const res = await post(node.url, `${API}/snapshot`, { ids: 'net_profit', subjects: '33:000001' });
    assert.equal(res.status, 400);
    assert.match(res.json.status_msg, /unknown id "net_profit"; allowed: operating_income, parent_holder_net_profit, report_date/);
  });

  it('answers period and topic queries, with an empty declare_date', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)) });
    const period = await post(node.url, `${API}/period`, { ids: 'operating_income', subjects: '33:000001', from: 0, to: 2e9 });
    assert.deepEqual(period.json.data[0].data, [
      { end_date: '2023-09-30', period: '596003', declare_date: '', year: '2023', operating_income: 1.3e11, combine: '33:000001:2023_596003' },
      { end_date: '2022-12-31', period: '596004', declare_date: '', year: '2022', operating_income: 1.8e11, combine: '33:000001:2022_596004' },
    ]);
    const topic = await post(node.url, `${API}/snapshot`, { ids: 'parent_holder_net_profit', topic: 'stock_a_listing_pool', field: 'parent_holder_net_profit' });
    assert.deepEqual(topic.json.data.map((r: { subject: { subject: string } }) => r.subject.subject), ['33:000001', '17:600000', '33:300033']);
  });
});
