// The per-node upstream latency histogram: bucket bounds, percentiles, merging and reset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, LatencyHistogram, bucketOf, bucketTop } from '../../src/gateway/LatencyHistogram';

describe('latency histogram', () => {
  it('puts every value in a bucket whose top is at most 1/16 above it', () => {
    for (let us = 0; us < 5_000_000; us = us < 100 ? us + 1 : Math.ceil(us * 1.013)) {
      const i = bucketOf(us);
      assert.ok(i >= 0 && i < BUCKETS, `bucket ${i} of ${us} us`);
      const top = bucketTop(i);
      assert.ok(top >= us && top <= us * (1 + 1 / 16), `${us} us reported as ${top} us`);
      if (i > 0) assert.ok(bucketTop(i - 1) < us, `${us} us belongs in an earlier bucket`);
    }
    assert.equal(bucketOf(0x7fffffff), BUCKETS - 1);
  });

  it('reports the 99th percentile of a known spread of latencies', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 .. 100 ms
    const p99 = h.quantile(0.99) as number;
    assert.ok(p99 >= 99 && p99 <= 99 * (1 + 1 / 16), `p99 ${p99}`);
    assert.equal(h.quantile(1), bucketTop(bucketOf(100_000)) / 1000);
    assert.equal(h.count, 1000);
  });

  it('knows no percentile without calls, and clamps absurd values', () => {
    const h = new LatencyHistogram();
    assert.equal(h.quantile(0.99), undefined);
    h.record(-1);
    h.record(1e12);
    assert.equal(h.quantile(0.01), 0);
    assert.equal(h.quantile(1), bucketTop(BUCKETS - 1) / 1000);
  });

  it('adds one histogram into another and starts over after a reset', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(50);
    b.record(50);
    a.addTo(b);
    assert.equal(b.count, 3);
    assert.ok((b.quantile(0.3) as number) <= 1.0625);
    b.reset();
    assert.equal(b.count, 0);
    assert.equal(b.quantile(0.5), undefined);
    assert.equal(b.counts.reduce((s, c) => s + c, 0), 0);
  });
});
