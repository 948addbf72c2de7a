// Stats gathered from every slave and the cache reset sent to every slave.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DATA_ROUTES } from '../../src/shared/routes';
import { STATS, ManualMembership, http, members, startFakeSlave, startTestGateway, type FakeSlave, type TestGateway } from '../helpers';

describe('gateway fan-out', () => {
  let a: FakeSlave;
  let b: FakeSlave;
  let gw: TestGateway;

  before(async () => {
    [a, b] = await Promise.all([startFakeSlave('a'), startFakeSlave('b')]);
    a.stats = { entries: 10, hits: 90, misses: 10, bytes: 1000 };
    b.stats = { entries: 5, hits: 10, misses: 90, bytes: 500 };
    gw = await startTestGateway(new ManualMembership(members(a, b)));
  });
  after(async () => {
    await gw.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('sums the per-slave cache stats into the aggregate and recomputes the hit rate', async () => {
    const res = await http('GET', `${gw.url}${STATS}`);
    assert.equal(res.status, 200);
    const d = res.json.data;
    assert.deepEqual(d.nodes, [a.url, b.url]);
    assert.equal(d.per_node.length, 2);
    assert.equal(d.per_node[0].stats.cache.hits, 90);
    assert.equal(d.aggregate.entries, 15);
    assert.equal(d.aggregate.hits, 100);
    assert.equal(d.aggregate.misses, 100);
    assert.equal(d.aggregate.bytes, 1500);
    assert.equal(d.aggregate.hit_rate, 50);
  });

  it('still answers stats when a slave fails, marking it', async () => {
    b.mode = 'garbage';
    try {
      const d = (await http('GET', `${gw.url}${STATS}`)).json.data;
      assert.equal(d.answered, 1);
      assert.equal(d.per_node[1].ok, false);
      assert.match(d.per_node[1].error, /bad_answer/);
      assert.equal(d.aggregate.hits, 90);
    } finally {
      b.mode = 'ok';
    }
  });

  it('sends the cache reset to every slave with the body as given', async () => {
    const res = await http('POST', `${gw.url}${DATA_ROUTES.cacheReset}`, '{"clear":true}');
    assert.equal(res.status, 200);
    assert.equal(res.json.data.count, 2);
    for (const s of [a, b]) {
      const last = s.seen.at(-1);
      assert.equal(last?.url, DATA_ROUTES.cacheReset);
      assert.equal(last?.body, '{"clear":true}');
    }
  });
});
