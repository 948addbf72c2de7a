// Writes and cluster calls through the gateway: sent to the master (never a slave), behind the
// same access rule as the nodes, with the Authorization header passed on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualMembership, startTestGateway } from '../helpers';
import { API, httpRequest, makeDb, startNode, tempDir } from '../helpers';

const BODY = JSON.stringify({ reports: [{ subject_key: '33:000001', report_date: 1893456000, net_profit: 9 }], wait: 'durable' });

describe('gateway write forwarding', () => {
  it('forwards writes and the feed to the master with the token, refuses them without it', async (t) => {
    const dir = tempDir(t);
    const master = await startNode(t, { role: 'master', db: await makeDb(dir, { stocks: 5 }), token: 'gw-tok' });
    const slave = await startNode(t, { role: 'slave', db: await makeDb(dir, { stocks: 5, name: 'slave.db' }) });
    // The ring holds only the slave: a write reaching it would answer 421.
    const gw = await startTestGateway(new ManualMembership([{ id: 's', addr: slave.url }]), () => ({ master: master.url, token: 'gw-tok' }));
    t.after(() => gw.close());
    const data = `${gw.url}/data`;

    const refused = await httpRequest(`${data}${API}/reports`, { body: BODY });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error_code, 'KMT_UNAUTHORIZED');
    assert.equal(master.durable.seq, 0, 'the gateway refused it before the master saw it');

    const auth = { authorization: 'Bearer gw-tok' };
    const ok = await httpRequest(`${data}${API}/reports`, { body: BODY, headers: auth });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.seq, 1);
    assert.equal(ok.headers['x-kamaitachi-seq'], '1');
    const del = await httpRequest(`${data}${API}/reports/delete`, { body: '{"subject_key":"33:000001","report_date":1893456000,"wait":"durable"}', headers: auth });
    assert.deepEqual(del.json.data, { seq: 2, deleted: 1 });

    const feed = await httpRequest(`${data}/kamaitachi/api/cluster/v1/changes?since=0`, { headers: auth });
    assert.equal(feed.status, 200);
    assert.deepEqual(
      feed.json.data.records.map((r: { seq: number }) => r.seq),
      [1, 2],
    );
    assert.equal(gw.parts.counters.to_master, 4);
  });

  it('answers 503 for a write when it knows no master, and 502 naming the master when it is down', async (t) => {
    const none = await startTestGateway(new ManualMembership([]), () => ({ master: undefined }));
    t.after(() => none.close());
    const a = await httpRequest(`${none.url}/data${API}/reports`, { body: BODY });
    assert.equal(a.status, 503);
    assert.match(a.json.status_msg, /knows no master/);

    const down = await startTestGateway(new ManualMembership([]), () => ({ master: 'http://127.0.0.1:1' }));
    t.after(() => down.close());
    const b = await httpRequest(`${down.url}/data${API}/reports`, { body: BODY });
    assert.equal(b.status, 502);
    assert.match(b.json.status_msg, /master at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); nothing was applied/);
  });
});
