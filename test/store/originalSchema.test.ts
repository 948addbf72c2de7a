import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, httpRequest, originalDb, post, startNode, tempDir } from '../helpers';

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
