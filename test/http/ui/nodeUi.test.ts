// A data node's status page and its data: served by every node, rates and hit rate from the
// answer path's counters, the cache against its budget, and the subjects asked for most.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeFeed } from '../../../src/http/ui/nodeFeed';
import { SubjectTally } from '../../../src/http/ui/subjectTally';
import { API, httpRequest, makeDb, post, startNode, tempDir } from '../../helpers';

describe('data node status page', () => {
  it('serves the page with a strict content policy and its data endpoint', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 10 });
    const node = await startNode(t, { db, cacheBytes: String(4 * 1024 * 1024) });
    const page = await httpRequest(`${node.url}/ui`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'sha256-/);
    const data = (await httpRequest(`${node.url}/monitor/ui.json`)).json.data;
    assert.equal(data.kind, 'kamaitachi-node-ui');
    assert.equal(data.stats.cache.max_bytes, 4 * 1024 * 1024);
    assert.equal(data.stats.role, 'slave');
    assert.equal(data.capacity, 300);
    assert.deepEqual(data.top_subjects.list, []);
  });

  it('turns hits and misses into queries/s and hit rate and ranks the subjects asked for', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 10 });
    const node = await startNode(t, { db });
    const tally = new SubjectTally({ random: () => 0 });
    const feed = new NodeFeed({ engine: node.engine, identity: { node: () => 'n1', role: 'slave', url: () => node.url, startedAt: Date.now() }, tally, intervalMs: 3_600_000 });
    t.after(() => feed.stop());
    feed.ensureStarted();
    const ask = (subjects: string) => post(node.url, `${API}/snapshot`, { ids: 'net_profit', subjects });
    for (let i = 0; i < 4; i++) {
      const res = await ask('33:000001');
      assert.equal(res.status, 200);
      tally.observe(Buffer.from(JSON.stringify({ subjects: '33:000001' })));
    }
    await ask('33:000002');
    tally.observe(Buffer.from(JSON.stringify({ subjects: '33:000002' })));
    feed.tick();
    const snap = feed.snapshot();
    // 5 answers: the first of each subject built (2 misses), the 3 repeats stored bytes (3 hits).
    assert.equal(snap.hit_rate, 60);
    assert.ok((snap.requests_per_s ?? 0) > 0);
    assert.equal(snap.series.cache_bytes.at(-1), node.engine.cache.bytes);
    assert.deepEqual(
      snap.top_subjects.list.map((s) => [s.subject, s.count, s.share]),
      [
        ['33:000001', 4, 0.8],
        ['33:000002', 1, 0.2],
      ],
    );
    assert.match(snap.top_subjects.list[0].name ?? '', /Sample Corp 000001/);

    await httpRequest(`${node.url}${API}/cache/reset`, { method: 'POST', body: '{}' });
    feed.tick();
    assert.equal(feed.snapshot().requests_per_s, null, 'a reset is a gap, not a negative rate');
  });
});
