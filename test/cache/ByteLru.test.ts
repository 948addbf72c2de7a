import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru } from '../../src/cache/ByteLru';

const v = (bytes: number, id = 0) => ({ bytes, id });

describe('ByteLru', () => {
  it('never holds more bytes than its budget, evicting least recently used first', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(10_000);
    for (let i = 0; i < 500; i++) {
      lru.set(`k${i}`, v(300, i));
      assert.ok(lru.bytes <= 10_000, `bytes ${lru.bytes} over budget after ${i}`);
    }
    assert.ok(lru.evictions > 0);
    assert.equal(lru.get('k0'), undefined);
    assert.equal(lru.get('k499')?.id, 499);
  });

  it('keeps a recently read entry over older ones', () => {
    // Room for four entries of 250 bytes and their overhead.
    const lru = new ByteLru<{ bytes: number; id: number }>(2000);
    lru.set('a', v(250));
    lru.set('b', v(250));
    lru.get('a');
    for (let i = 0; i < 3; i++) lru.set(`c${i}`, v(250));
    assert.ok(lru.has('a'));
    assert.ok(!lru.has('b'));
  });

  it('refuses an entry larger than the whole budget', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(1000);
    lru.set('big', v(5000));
    assert.equal(lru.entries, 0);
    assert.equal(lru.bytes, 0);
  });

  it('caches nothing with a budget of 0', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(0);
    lru.set('a', v(1));
    assert.equal(lru.get('a'), undefined);
  });

  it('drops every entry carrying a tag, and forgets tags of evicted entries', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(100_000);
    lru.set('x', v(10), ['S33:000001', 'S33:000002']);
    lru.set('y', v(10), ['S33:000002']);
    lru.set('z', v(10), ['S17:600000']);
    assert.equal(lru.invalidateTag('S33:000002'), 2);
    assert.deepEqual(lru.keysOldestFirst(), ['z']);
    assert.equal(lru.invalidateTag('S33:000001'), 0);
  });

  it('keeps a replaced entry findable by its tags', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(100_000);
    lru.set('x', v(10, 1), ['T1']);
    lru.set('x', v(20, 2), ['T1']);
    assert.equal(lru.invalidateTag('T1'), 1);
    assert.equal(lru.entries, 0);
  });

  it('lists entries least recently used first', () => {
    const lru = new ByteLru<{ bytes: number; id: number }>(100_000);
    lru.set('a', v(1));
    lru.set('b', v(1));
    lru.set('c', v(1));
    lru.get('a');
    assert.deepEqual(lru.keysOldestFirst(), ['b', 'c', 'a']);
  });
});
