import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClusterUpOptions } from '../../src/config/clusterUp';
import { resolveNodeConfig } from '../../src/config/node';
import { generateRequests } from '../../src/loadgen/requestPlan';
import { scenarioById, ORIGINAL_INDICATORS } from '../../src/loadgen/scenarios';
import { isKmtError } from '../../src/shared/errors';
import { API, openReference, originalDb, post, sqlRows, startNode, tempDir } from '../helpers';

// Clients of the Go original send ids it does not have (it ignored ids): with
// `[query] unknown_ids = null` they are answered as null and named once in `warnings`; the default
// stays a 400. Checked against an original-schema file and plain SQL over it.
const KNOWN = ['operating_income', 'parent_holder_net_profit'];

describe('unknown_ids = null against a file in the original schema', () => {
  it('answers the four scenario shapes of the original load tool with 200, unknown ids as null', async (t) => {
    const db = await originalDb(tempDir(t));
    const node = await startNode(t, { db, unknownIds: 'null' });
    const ref = await openReference(db);
    t.after(() => ref.close());
    // The original tool's subject keys have eight digits ("33:00000009"); the file's have six.
    const subjects = ['33:00000009', '33:00000001', '33:000001', '33:300033', '17:600000', '17:00600000'];
    const ctx = { subjects, indicators: [...ORIGINAL_INDICATORS], topic: 'stock_a_listing_pool' };
    let unknownSeen = 0;
    for (const scenario of [1, 2, 3, 4]) {
      // Scenario 3 draws 50 subjects: give it more keys in the tool's format.
      const c = scenario === 3 ? { ...ctx, subjects: [...subjects, ...Array.from({ length: 60 }, (_, i) => `33:${String(i + 10).padStart(8, '0')}`)] } : ctx;
      for (const { body } of generateRequests(scenarioById(scenario)!, c, 5, 25)) {
        const res = await post(node.url, `${API}/snapshot`, body);
        assert.equal(res.status, 200, `scenario ${scenario}: ${res.text}`);
        const ids = String(body.ids).split(',');
        const unknown = ids.filter((i) => !KNOWN.includes(i));
        unknownSeen += unknown.length;
        assert.deepEqual(res.json.warnings, unknown.length ? unknown.map((i) => `ids: unknown id "${i}" answered as null`) : undefined);
        // Known values from SQL: the latest report (at or before timestamp) of each known subject.
        const asOf = Number(body.timestamp ?? 0) || 4102444800;
        const want = String(body.subjects)
          .split(',')
          .flatMap((s) => sqlRows(ref, `SELECT subject_key, ${KNOWN.join(', ')}, report_date FROM finance_data WHERE subject_key = ? AND report_date <= ? ORDER BY report_date DESC LIMIT 1`, [s, asOf]));
        const got = res.json.data as Array<{ subject: { subject: string }; data: Record<string, unknown> }>;
        assert.deepEqual(got.map((r) => r.subject.subject).sort(), want.map((r) => String(r.subject_key)).sort());
        for (const r of got) {
          assert.deepEqual(Object.keys(r.data), ids, 'every requested id, in request order');
          const w = want.find((x) => x.subject_key === r.subject.subject)!;
          for (const id of ids) assert.equal(r.data[id], KNOWN.includes(id) ? w[id] : null, `${r.subject.subject} ${id}`);
        }
      }
    }
    assert.ok(unknownSeen > 50, 'the scenarios asked for ids the file does not have');
  });

  it('lists an unknown id once, sorts by an unknown field as null, and answers period too', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)), unknownIds: 'null' });
    const snap = await post(node.url, `${API}/snapshot`, { ids: 'net_profit,operating_income,net_profit', subjects: '33:000001,17:600000,33:300033', field: 'net_profit' });
    assert.equal(snap.status, 200, snap.text);
    assert.deepEqual(snap.json.warnings, ['ids: unknown id "net_profit" answered as null', 'field: unknown id "net_profit" sorted as null']);
    // All ties: subject-key order.
    assert.deepEqual(snap.json.data.map((r: { subject: { subject: string } }) => r.subject.subject), ['17:600000', '33:000001', '33:300033']);
    const period = await post(node.url, `${API}/period`, { ids: 'roe,operating_income', subjects: '33:000001', from: 0, to: 2e9 });
    assert.equal(period.status, 200, period.text);
    assert.deepEqual(period.json.warnings, ['ids: unknown id "roe" answered as null']);
    assert.deepEqual(period.json.data[0].data[0], { end_date: '2023-09-30', period: '596003', declare_date: '', year: '2023', roe: null, operating_income: 1.3e11, combine: '33:000001:2023_596003' });
    // A sort by a text attribute is still refused, and so is a body that is wrong in other ways.
    const bad = await post(node.url, `${API}/snapshot`, { ids: 'net_profit', subjects: '33:000001', field: 'end_date' });
    assert.equal(bad.status, 400);
    // A known-ids answer carries no warnings field at all.
    const clean = await post(node.url, `${API}/snapshot`, { ids: 'operating_income', subjects: '33:000001' });
    assert.equal(clean.json.warnings, undefined);
    assert.doesNotMatch(clean.text, /warnings/);
  });

  it('stays a 400 naming the id by default', async (t) => {
    const node = await startNode(t, { db: await originalDb(tempDir(t)) });
    const res = await post(node.url, `${API}/snapshot`, { ids: 'operating_income,net_profit', subjects: '33:000001' });
    assert.equal(res.status, 400);
    assert.match(res.json.status_msg, /^ids: unknown id "net_profit"; allowed: /);
  });

  it('takes the setting from --unknown-ids or [query] unknown_ids and refuses other values', () => {
    assert.equal(resolveNodeConfig('slave', { port: '0' }).unknownIds, 'reject');
    assert.equal(resolveNodeConfig('slave', { port: '0', unknownIds: 'null' }).unknownIds, 'null');
    assert.throws(
      () => resolveNodeConfig('slave', { port: '0', unknownIds: 'ignore' }),
      (e: unknown) => isKmtError(e) && e.code === 'KMT_CONFIG' && /--unknown-ids must be one of reject, null, got "ignore"/.test(e.message),
    );
    // cluster up passes it to the nodes only when given.
    assert.equal(resolveClusterUpOptions({}).unknownIds, undefined);
    assert.equal(resolveClusterUpOptions({ unknownIds: 'null' }).unknownIds, 'null');
    assert.throws(() => resolveClusterUpOptions({ unknownIds: 'yes' }), /--unknown-ids must be one of reject, null/);
  });
});
