// The access rule for writes and cluster endpoints: the pure decision with the remote addresses a
// server would see from other machines (tests may only use loopback on the wire), then the rule
// as a real master applies it over HTTP.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decideAccess, isLoopback } from '../../src/http/access';
import { API, httpRequest, makeDb, startNode, tempDir } from '../helpers';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const ROW = JSON.stringify({ reports: [{ subject_key: '33:000001', report_date: 1735603200, net_profit: 1 }], wait: 'durable' });

describe('access rule (pure)', () => {
  it('without a token accepts loopback clients only, as the socket reports them', () => {
    for (const addr of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(decideAccess(undefined, undefined, addr), 'allowed', addr);
    for (const addr of ['10.0.0.7', '192.168.1.20', '::ffff:10.1.2.3', '2001:db8::1', 'fe80::1', '0.0.0.0', '::', '128.0.0.1', undefined]) {
      assert.equal(decideAccess(undefined, undefined, addr), 'not_loopback', String(addr));
    }
    assert.equal(isLoopback('::ffff:192.168.0.1'), false);
  });

  it('with a token needs the bearer header from every client, loopback included', () => {
    const token = digest('s3cret');
    assert.equal(decideAccess(token, 'Bearer s3cret', '10.0.0.7'), 'allowed');
    assert.equal(decideAccess(token, 'bearer   s3cret ', '2001:db8::1'), 'allowed');
    assert.equal(decideAccess(token, undefined, '127.0.0.1'), 'no_token');
    assert.equal(decideAccess(token, 'Basic czNjcmV0', '127.0.0.1'), 'no_token');
    assert.equal(decideAccess(token, 'Bearer', '127.0.0.1'), 'no_token');
    assert.equal(decideAccess(token, 'Bearer s3cre', '10.0.0.7'), 'wrong_token');
    assert.equal(decideAccess(token, 'Bearer s3cret-and-more', '127.0.0.1'), 'wrong_token');
  });
});

describe('access rule (a master over HTTP)', () => {
  it('answers 401 without or with a wrong token and takes the write with the right one', async (t) => {
    const master = await startNode(t, { role: 'master', db: await makeDb(tempDir(t), { stocks: 5 }), token: 'tok-123' });
    const write = (headers: Record<string, string>) => httpRequest(`${master.url}${API}/reports`, { body: ROW, headers });
    const none = await write({});
    assert.equal(none.status, 401);
    assert.equal(none.json.error_code, 'KMT_UNAUTHORIZED');
    assert.match(none.json.status_msg, /Authorization: Bearer <token>/);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="kamaitachi"');
    assert.equal((await write({ authorization: 'Bearer nope' })).status, 401);
    const ok = await write({ authorization: 'Bearer tok-123' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.data.seq, 1);
    // The cluster endpoints sit behind the same rule; reads stay open.
    assert.equal((await httpRequest(`${master.url}/kamaitachi/api/cluster/v1/changes?since=0`)).status, 401);
    assert.equal((await httpRequest(`${master.url}/kamaitachi/api/cluster/v1/members`)).status, 401);
    assert.equal((await httpRequest(`${master.url}/kamaitachi/api/cluster/v1/changes?since=0`, { headers: { authorization: 'Bearer tok-123' } })).status, 200);
    assert.equal((await httpRequest(`${master.url}${API}/snapshot`, { body: '{"ids":"net_profit","subjects":"33:000001"}' })).status, 200);
  });

  it('without a token takes writes from this loopback client', async (t) => {
    const master = await startNode(t, { role: 'master', db: await makeDb(tempDir(t), { stocks: 5 }) });
    const ok = await httpRequest(`${master.url}${API}/reports`, { body: ROW });
    assert.equal(ok.status, 200);
  });
});
