// The hot cache on its own: admission, leases, the feed position rule, tags and the byte budget.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ANY_TOPIC_TAG, HotCache } from '../../../src/gateway/hot/HotCache';
import { hotTags } from '../../../src/gateway/hot/hotTags';
import { parseInfo } from '../../../src/gateway/requestInfo';

const JSON_TYPE = 'application/json';

function cache(maxBytes = 1 << 20): { hot: HotCache; clock: { t: number } } {
  const clock = { t: 1000 };
  const hot = new HotCache({ maxBytes, admitWindowMs: 10_000, now: () => clock.t });
  hot.advance(5);
  hot.lease(Infinity);
  return { hot, clock };
}

const body = (n: number, size = 100): Buffer => Buffer.from(`{"n":${n}}`.padEnd(size, ' '));

describe('gateway hot cache', () => {
  it('stores an answer only on the second ask within the window', () => {
    const { hot, clock } = cache();
    const key = HotCache.key('POST', '/snap', body(1))!;
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    assert.equal(hot.get(key), undefined, 'one ask is not hot');
    clock.t += 10_001;
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    assert.equal(hot.get(key), undefined, 'a second ask after the window starts over');
    clock.t += 9_000;
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    assert.deepEqual(hot.get(key)?.body, body(1));
    assert.equal(hot.admissions, 1);
  });

  it('keeps its hot answers while a stream of one-off queries passes', () => {
    const { hot } = cache(64 * 1024);
    const hotKey = HotCache.key('POST', '/snap', body(0))!;
    hot.offer(hotKey, '5', JSON_TYPE, body(0), () => ['S0']);
    hot.offer(hotKey, '5', JSON_TYPE, body(0), () => ['S0']);
    for (let i = 1; i <= 20_000; i++) hot.offer(HotCache.key('POST', '/snap', body(i))!, '5', JSON_TYPE, body(i), () => ['S' + i]);
    assert.ok(hot.get(hotKey), 'the hot answer survived 20,000 one-off queries');
    assert.equal(hot.stats().entries, 1);
  });

  it('stays within its byte budget and evicts the least recently used', () => {
    const max = 40 * 1024;
    const { hot } = cache(max);
    for (let i = 0; i < 500; i++) {
      const key = HotCache.key('POST', '/snap', body(i, 1000))!;
      hot.offer(key, '5', JSON_TYPE, body(i, 1000), () => ['S' + i, 'T' + (i % 7)]);
      hot.offer(key, '5', JSON_TYPE, body(i, 1000), () => ['S' + i, 'T' + (i % 7)]);
      assert.ok(hot.stats().bytes <= max, `${hot.stats().bytes} bytes charged after ${i + 1} answers`);
    }
    const s = hot.stats();
    assert.ok(s.entries > 10 && s.entries < 40, `${s.entries} entries of ~1.3 KB in 40 KiB`);
    assert.ok(s.evictions > 400);
    assert.ok(hot.get(HotCache.key('POST', '/snap', body(499, 1000))!), 'the newest is kept');
    assert.equal(hot.get(HotCache.key('POST', '/snap', body(0, 1000))!), undefined, 'the oldest went');
  });

  it('serves nothing and stores nothing without a lease', () => {
    const { hot } = cache();
    const key = HotCache.key('POST', '/snap', body(1))!;
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    hot.revoke();
    assert.equal(hot.get(key), undefined);
    assert.equal(hot.passed_no_lease, 1);
    hot.lease(Infinity);
    assert.ok(hot.get(key), 'the entry is served again once the lease is back');
  });

  it('refuses answers from a node behind the feed position, or without a seq', () => {
    const { hot } = cache();
    const key = HotCache.key('POST', '/snap', body(1))!;
    for (const seq of ['4', '4', undefined, undefined]) hot.offer(key, seq, JSON_TYPE, body(1), () => ['S1']);
    assert.equal(hot.get(key), undefined);
    assert.equal(hot.refused_behind, 4);
    hot.offer(key, '6', JSON_TYPE, body(1), () => ['S1']);
    hot.offer(key, '5', JSON_TYPE, body(1), () => ['S1']);
    assert.ok(hot.get(key));
  });

  it('drops exactly the entries carrying a tag', () => {
    const { hot } = cache();
    const put = (n: number, tags: string[]): string => {
      const key = HotCache.key('POST', '/snap', body(n))!;
      hot.offer(key, '5', JSON_TYPE, body(n), () => tags);
      hot.offer(key, '5', JSON_TYPE, body(n), () => tags);
      return key;
    };
    const a = put(1, ['S33:000001', 'S33:000002']);
    const b = put(2, ['S33:000003']);
    const topic = put(3, ['Tpool', ANY_TOPIC_TAG]);
    assert.equal(hot.invalidate(['S33:000002']), 1);
    assert.equal(hot.get(a), undefined);
    assert.ok(hot.get(b));
    assert.ok(hot.get(topic));
    assert.equal(hot.invalidate([ANY_TOPIC_TAG]), 1);
    assert.equal(hot.get(topic), undefined);
    hot.clear();
    assert.equal(hot.get(b), undefined);
    assert.equal(hot.invalidations, 3);
  });

  it('tags answers as the node cache does: subjects, else the trimmed topic', () => {
    const snap = '/kamaitachi/api/data/v1/snapshot';
    assert.deepEqual(hotTags(snap, parseInfo(Buffer.from('{"subjects":" 33:000001,17:600000 ,33:000001"}'))), ['S33:000001', 'S17:600000']);
    assert.deepEqual(hotTags(snap, parseInfo(Buffer.from('{"topic":" pool "}'))), ['Tpool', ANY_TOPIC_TAG]);
    assert.deepEqual(hotTags('/kamaitachi/api/selection/v1/snapshot', parseInfo(Buffer.from('{"subjects":"33:000001"}'))), ['W']);
    assert.equal(HotCache.key('POST', '/snap', Buffer.alloc(9000)), undefined, 'large bodies are not kept');
  });
});
