// The queue of callers waiting for a connection: first come first served, and leaving it is O(1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WaitQueue } from '../../../src/gateway/upstream/WaitQueue';

describe('WaitQueue', () => {
  it('hands out callers in the order they came', () => {
    const q = new WaitQueue<string>();
    for (const s of ['a', 'b', 'c']) q.push(s);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], ['a', 'b', 'c', undefined]);
    assert.equal(q.length, 0);
  });

  it('lets a caller leave from the head, the middle or the tail, and only once', () => {
    const q = new WaitQueue<string>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => q.push(s));
    q.remove(b);
    q.remove(b);
    q.remove(a);
    q.remove(d);
    assert.equal(q.length, 1);
    assert.deepEqual(q.drain(), ['c']);
    q.remove(c);
    assert.equal(q.length, 0);
    q.push('e');
    assert.deepEqual(q.drain(), ['e']);
  });

  it('empties 100,000 departures without walking anything', () => {
    const q = new WaitQueue<number>();
    const entries = Array.from({ length: 100_000 }, (_, i) => q.push(i));
    for (const e of entries.reverse()) q.remove(e);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
  });
});
