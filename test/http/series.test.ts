// The DataInfo routes on one master in this process: get answers come from the byte cache, a
// save or delete drops exactly the answers of its entity (and its table's searches), and writes
// follow the access rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpRequest, makeDb, startNode, tempDir } from '../helpers';

describe('DataInfo routes on a node', () => {
  it('serves gets from the cache and drops exactly the saved entity’s answers', async (t) => {
    const dir = tempDir(t);
    const node = await startNode(t, { role: 'master', db: await makeDb(dir, { stocks: 3 }) });
    const save = (id: string, v: number) => httpRequest(`${node.url}/data/v1/save?id=1&wait=durable`, { body: JSON.stringify({ id, data: { 100: [v, v, v, v] } }) });
    const get = (id: string) => httpRequest(`${node.url}/data/v1/get/${id}?tableId=1`);
    const counters = node.engine.counters;
    for (const id of ['a', 'b']) assert.equal((await save(id, 1)).status, 200);
    const search = () => httpRequest(`${node.url}/data/v1/search`, { body: '{"tableId":1}' });
    assert.equal((await get('a')).status, 200);
    assert.equal((await get('b')).status, 200);
    assert.equal((await search()).json.data.count, 2);
    const { hits, misses } = counters;
    const bBytes = (await get('b')).body;
    assert.equal(counters.hits, hits + 1, 'b from the cache');
    assert.equal((await save('a', 2)).status, 200);
    assert.deepEqual((await get('a')).json.data.data, { 100: [2, 2, 2, 2] });
    assert.equal(counters.misses, misses + 1, 'a rebuilt after its save');
    assert.deepEqual((await get('b')).body, bBytes);
    assert.equal(counters.hits, hits + 2, 'b still a hit after a save of a');
    assert.equal((await search()).json.data.rows[0].data[100][0], 2, 'the table’s searches dropped');
    assert.equal(counters.misses, misses + 2);
    const d = await httpRequest(`${node.url}/data/v1/delete/a?tableId=1&wait=durable`, { method: 'DELETE' });
    assert.equal(d.status, 200, d.text);
    assert.equal((await get('a')).status, 404);
    assert.equal((await get('b')).status, 200);
    assert.equal(counters.hits, hits + 3, 'b still a hit after a delete of a');
    assert.equal((await search()).json.data.count, 1);
  });

  it('needs the token for saves and deletes when one is set; reads stay open', async (t) => {
    const dir = tempDir(t);
    const node = await startNode(t, { role: 'master', db: await makeDb(dir, { stocks: 3 }), token: 'sesame' });
    const body = JSON.stringify({ id: 'a', data: { 1: [1, 2, 3, 4] } });
    const refused = await httpRequest(`${node.url}/data/v1/save?id=1`, { body });
    assert.equal(refused.status, 401, refused.text);
    const del = await httpRequest(`${node.url}/data/v1/delete/a?tableId=1`, { method: 'DELETE' });
    assert.equal(del.status, 401, del.text);
    const ok = await httpRequest(`${node.url}/data/v1/save?id=1`, { body, headers: { authorization: 'Bearer sesame' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await httpRequest(`${node.url}/data/v1/get/a?tableId=1`)).status, 200);
    assert.equal((await httpRequest(`${node.url}/data/v1/search`, { body: '{"tableId":1,"subjectIds":["a"]}' })).json.data.count, 1);
  });
});
