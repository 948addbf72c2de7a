// Bad write input against a real master: each case is refused with the status and a message
// naming the row and the field, and nothing of the refused batch is applied (the seq stays and
// the good rows sent with the bad one are not there).
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNodeConfig } from '../../src/config/node';
import { startDataNode, type RunningNode } from '../../src/roles/node';
import { silentLogger } from '../../src/shared/logger';
import { API, httpRequest, makeDb } from '../helpers';

const GOOD = { subject_key: '33:000001', report_date: 1767139200, net_profit: 42 };

describe('write validation', () => {
  let dir: string;
  let master: RunningNode;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kmt-badwrites-'));
    const db = await makeDb(dir, { stocks: 5 });
    master = await startDataNode(resolveNodeConfig('master', { db, port: '0', snapshot: 'none' }), silentLogger);
  });
  after(async () => {
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (body: string, path = '/reports') => httpRequest(`${master.url}${API}${path}`, { body });
  const batch = (bad: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ reports: [GOOD, GOOD, GOOD, bad], wait: 'durable', ...extra });

  async function refused(body: string, status: number, message: RegExp, path?: string): Promise<void> {
    const seq = master.durable.seq;
    const answer = await write(body, path);
    assert.equal(answer.status, status, answer.text);
    assert.match(answer.json.status_msg, message);
    assert.equal(master.durable.seq, seq, 'nothing of a refused batch is applied');
    assert.equal(answer.headers['x-kamaitachi-seq'], String(seq), 'error answers carry the applied seq too');
  }

  const cases: Array<[string, unknown, RegExp]> = [
    ['a missing report_date', { subject_key: '33:000001', net_profit: 1 }, /^reports\[3\]\.report_date: is required/],
    ['a non-integer report_date', { subject_key: '33:000001', report_date: 1.5 }, /^reports\[3\]\.report_date: must be an integer unix time/],
    ['a report_date that is text', { subject_key: '33:000001', report_date: 'yesterday' }, /^reports\[3\]\.report_date: must be an integer unix time/],
    ['a negative report_date', { subject_key: '33:000001', report_date: -5 }, /^reports\[3\]\.report_date: must be an integer unix time/],
    ['a missing subject_key', { report_date: 1767139200 }, /^reports\[3\]\.subject_key: is required/],
    ['a malformed subject_key', { subject_key: '000001', report_date: 1767139200 }, /^reports\[3\]\.subject_key: must be "<market>:<code>"/],
    ['a subject_key that is a number', { subject_key: 33, report_date: 1767139200 }, /^reports\[3\]\.subject_key: must be "<market>:<code>"/],
    ['a stock_code disagreeing with subject_key', { subject_key: '33:000001', report_date: 1767139200, stock_code: '000002' }, /^reports\[3\]\.stock_code: "000002" disagrees with subject_key/],
    ['a market_code disagreeing with subject_key', { subject_key: '33:000001', report_date: 1767139200, market_code: '17' }, /^reports\[3\]\.market_code: "17" disagrees/],
    ['an indicator sent as text', { subject_key: '33:000001', report_date: 1767139200, net_profit: '12' }, /^reports\[3\]\.net_profit: must be a finite number or null/],
    ['an unknown column', { subject_key: '33:000001', report_date: 1767139200, ebitda: 1 }, /^reports\[3\]\.ebitda: unknown column; writes never change the schema, allowed: subject_key, report_date, .*net_profit/],
    ['the id column', { subject_key: '33:000001', report_date: 1767139200, id: 7 }, /^reports\[3\]\.id: unknown column/],
    ['a null topic', { subject_key: '33:000001', report_date: 1767139200, topic: null }, /^reports\[3\]\.topic: must be a non-empty string/],
    ['a row that is not an object', [1, 2], /^reports\[3\]: must be an object/],
  ];
  for (const [what, row, message] of cases) {
    it(`refuses ${what} with a 400 naming the row and field`, () => refused(batch(row), 400, message));
  }

  it('refuses a non-finite number (1e999 parses to Infinity)', () =>
    refused(`{"reports":[${JSON.stringify(GOOD)},{"subject_key":"33:000001","report_date":1767139200,"roe":1e999}]}`, 400, /^reports\[1\]\.roe: must be a finite number or null, got number Infinity/));

  it('refuses a wrong wait', () => refused(batch(GOOD, { wait: 'eventually' }), 400, /^wait: must be "replicated" or "durable", got "eventually"/));
  it('refuses an unknown top-level field', () => refused(batch(GOOD, { wiat: 'durable' }), 400, /^wiat: unknown field/));
  it('refuses an empty batch', () => refused('{"reports":[]}', 400, /^reports: must contain at least one row/));
  it('refuses a body that is not JSON', () => refused('{"reports":[', 400, /not valid JSON/));

  it('refuses more than 10,000 rows with a 413', () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => ({ subject_key: '33:000001', report_date: 1767139200 + i }));
    return refused(JSON.stringify({ reports: rows }), 413, /reports has 10001 rows; at most 10000/);
  });

  it('refuses a body over 8 MiB with a 413', () => refused(JSON.stringify({ reports: [GOOD], pad: 'x'.repeat(8 * 1024 * 1024) }), 413, /exceeds 8388608 bytes/));

  it('refuses a delete without a subject_key and one with a bad report_date', async () => {
    await refused('{"report_date":1767139200}', 400, /^subject_key: is required/, '/reports/delete');
    await refused('{"subject_key":"33:000001","report_date":"x"}', 400, /^report_date: must be an integer unix time/, '/reports/delete');
  });

  it('applies the same batch once it is valid, atomically', async () => {
    const seq = master.durable.seq;
    const rows = [GOOD, { ...GOOD, report_date: GOOD.report_date + 86400, roe: null, year: 2026, stock_name: 'Renamed' }];
    const answer = await write(JSON.stringify({ reports: rows, wait: 'durable' }));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.data, { seq: seq + 1, inserted: 2, updated: 0 });
    assert.equal(answer.headers['x-kamaitachi-seq'], String(seq + 1));
    const read = await httpRequest(`${master.url}${API}/period`, { body: JSON.stringify({ ids: 'net_profit', subjects: '33:000001', from: 1767139200, to: 1767139200 + 86400 }) });
    assert.equal(read.headers['x-kamaitachi-seq'], String(seq + 1));
    const metrics = (await httpRequest(`${master.url}/metrics`)).text;
    assert.match(metrics, new RegExp(`^kamaitachi_applied_seq\\{role="master"\\} ${seq + 1}$`, 'm'));
    assert.match(metrics, /^kamaitachi_replication_lag\{role="master"\} 0$/m);
    const stats = (await httpRequest(`${master.url}${API}/stats`)).json.data;
    assert.deepEqual([stats.seq, stats.applied_seq, stats.lag], [seq + 1, seq + 1, 0]);
    assert.deepEqual(
      read.json.data[0].data.map((r: { net_profit: number | null; year: string }) => [r.net_profit, r.year]),
      [[42, '2026'], [42, '']],
    );
  });
});
