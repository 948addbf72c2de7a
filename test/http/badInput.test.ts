import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, httpRequest, makeDb, post, startNode, tempDir } from '../helpers';
import type { RunningNode } from '../../src/roles/node';

// Each bad request gets a 4xx envelope naming the problem, and the node keeps serving.
describe('bad input', () => {
  let node: RunningNode;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };
  const ok = { ids: 'operating_income', subjects: '33:000001' };

  before(async () => {
    node = await startNode(t, { db: await makeDb(tempDir(t), { stocks: 10 }) });
  });
  after(async () => {
    for (const fn of teardown.reverse()) await fn();
  });

  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['malformed JSON', 'snapshot', '{"ids": "operating_income",', 400, /not valid JSON/],
    ['an empty body', 'snapshot', '', 400, /body is empty/],
    ['a JSON array instead of an object', 'snapshot', '[1,2]', 400, /must be a JSON object, got an array/],
    ['a JSON string instead of an object', 'snapshot', '"x"', 400, /must be a JSON object/],
    ['missing ids', 'snapshot', { subjects: '33:000001' }, 400, /ids is required/],
    ['an unknown id', 'snapshot', { ...ok, ids: 'operating_income,bogus' }, 400, /unknown id "bogus"; allowed: operating_income/],
    ['SQL in ids', 'snapshot', { ...ok, ids: 'operating_income; DROP TABLE finance_data' }, 400, /unknown id/],
    ['SQL in field', 'snapshot', { ...ok, field: 'operating_income DESC; DROP TABLE finance_data--' }, 400, /field: cannot sort by/],
    ['an unknown field', 'snapshot', { ...ok, field: 'stock_name' }, 400, /allowed: operating_income/],
    ['ids of the wrong type', 'snapshot', { ...ok, ids: 42 }, 400, /ids must be a comma-separated string or an array of strings, got number 42/],
    ['subjects of the wrong type', 'snapshot', { ...ok, subjects: { a: 1 } }, 400, /subjects must be/],
    ['neither subjects nor topic', 'snapshot', { ids: 'operating_income' }, 400, /subjects or topic is required/],
    ['a negative offset', 'snapshot', { ...ok, offset: -1 }, 400, /offset must be between 0 and/],
    ['a fractional limit', 'snapshot', { ...ok, limit: 2.5 }, 400, /limit must be an integer/],
    ['a limit beyond the maximum', 'snapshot', { ...ok, limit: 1001 }, 400, /limit must be between 0 and 1000, got 1001/],
    ['an unknown order word', 'snapshot', { ...ok, order: 'sideways' }, 400, /order must be -1, 1, "desc" or "asc", got "sideways"/],
    ['a timestamp that is not a number', 'snapshot', { ...ok, timestamp: 'yesterday' }, 400, /timestamp must be an integer/],
    ['period without from', 'period', { ...ok, to: 1 }, 400, /from is required/],
    ['period with from after to', 'period', { ...ok, from: 20, to: 10 }, 400, /from \(20\) must not be after to \(10\)/],
    ['period without subjects', 'period', { ids: 'operating_income', from: 0, to: 1 }, 400, /subjects is required/],
  ];

  for (const [what, route, body, status, message] of cases) {
    it(`answers ${status} to ${what}`, async () => {
      const res = await post(node.url, `${API}/${route}`, body);
      assert.equal(res.status, status, res.text);
      assert.equal(res.json.status_code, status);
      assert.match(res.json.status_msg, message);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    });
  }

  it('answers 413 to a body over 1 MiB', async () => {
    const res = await post(node.url, `${API}/snapshot`, JSON.stringify({ ...ok, pad: 'x'.repeat(1024 * 1024) }));
    assert.equal(res.status, 413);
    assert.match(res.json.status_msg, /exceeds 1048576 bytes/);
  });

  it('answers 404 to an unknown route and 405 to a wrong method, with the envelope', async () => {
    const missing = await httpRequest(`${node.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(missing.json.status_msg, /no route GET \/nope/);
    const wrong = await httpRequest(`${node.url}${API}/snapshot`);
    assert.equal(wrong.status, 405);
    assert.match(wrong.json.status_msg, /use POST/);
  });

  it('accepts a trailing slash on routes', async () => {
    const res = await post(node.url, `${API}/snapshot/`, ok);
    assert.equal(res.status, 200);
  });

  it('answers 400 to a bad subjects query string', async () => {
    const res = await httpRequest(`${node.url}${API}/subjects?limit=0`);
    assert.equal(res.status, 400);
    assert.match(res.json.status_msg, /limit must be an integer between 1 and 10000/);
  });

  it('survives a client that disconnects in the middle of its body', async () => {
    const { connect } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const socket = connect(node.port, '127.0.0.1', () => {
        socket.write(`POST ${API}/snapshot HTTP/1.1\r\nHost: x\r\ncontent-length: 500\r\n\r\n{"ids":`);
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    assert.equal((await post(node.url, `${API}/snapshot`, ok)).status, 200);
  });

  it('still serves after all of that, with the table intact', async () => {
    const res = await post(node.url, `${API}/snapshot`, ok);
    assert.equal(res.status, 200);
    assert.equal(res.json.data.length, 1);
  });
});
