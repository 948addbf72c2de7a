// When a read is hedged: about twice the node's recent p99 of answers, never below the floor nor
// beyond the upstream timeout, following the last few seconds as the counts decay.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEDGE_FLOOR_MS, HEDGE_UNKNOWN_MS, HedgeDelay } from '../../src/gateway/HedgeDelay';
import { LatencyHistogram } from '../../src/gateway/LatencyHistogram';

/** `n` answers spread evenly over 0..`maxMs`. */
function answers(d: HedgeDelay, n: number, maxMs: number): void {
  for (let i = 1; i <= n; i++) d.record((i / n) * maxMs);
}

describe('hedge delay', () => {
  it('guesses before the node has answered anything, and keeps its estimate while the node is idle', () => {
    const d = new HedgeDelay(undefined, 3000);
    assert.equal(d.ms(0), HEDGE_UNKNOWN_MS);
    answers(d, 1000, 40);
    const estimate = d.ms(1000);
    assert.ok(estimate >= 80 && estimate <= 85, `twice a p99 of 39.6 ms, within the histogram's 1/16: ${estimate}`);
    assert.equal(d.ms(60_000), estimate, 'no answers since: same estimate');
  });

  it('is about twice the recent p99, recomputed at most once a second', () => {
    const d = new HedgeDelay(undefined, 3000);
    answers(d, 1000, 100);
    const first = d.ms(1000);
    assert.ok(first >= 198 && first <= 212, `2 x p99 of 0..100 ms, within the histogram's 1/16: ${first}`);
    answers(d, 1000, 10);
    assert.equal(d.ms(1500), first, 'not recomputed within the second');
  });

  it('follows a node that got faster as the old counts decay', () => {
    const d = new HedgeDelay(undefined, 3000);
    answers(d, 1000, 100);
    let t = 1000;
    assert.ok(d.ms(t) > 190);
    for (let s = 0; s < 12; s++) {
      answers(d, 1000, 10);
      t += 1000;
      d.ms(t);
    }
    assert.ok(d.ms(t) <= 22, `after a dozen fast seconds: ${d.ms(t)}`);
  });

  it('never goes below the floor nor beyond the upstream timeout', () => {
    const fast = new HedgeDelay(undefined, 3000);
    answers(fast, 1000, 1);
    assert.equal(fast.ms(1000), HEDGE_FLOOR_MS);
    const slow = new HedgeDelay(undefined, 300);
    answers(slow, 1000, 2000);
    assert.equal(slow.ms(1000), 300);
  });

  it('hedges a node that let a hedge beat it after the floor time, until it answers again', () => {
    const d = new HedgeDelay(undefined, 3000);
    answers(d, 1000, 100);
    const usual = d.ms(1000);
    d.lost();
    assert.equal(d.ms(1001), HEDGE_FLOOR_MS);
    d.record(5);
    assert.equal(d.ms(1002), usual);
  });

  it('uses a configured delay as it is', () => {
    const d = new HedgeDelay(7, 3000);
    answers(d, 1000, 100);
    d.lost();
    assert.equal(d.ms(5000), 7);
  });

  it('decays a histogram by halving its counts', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 5; i++) h.record(1);
    h.record(50);
    h.decay();
    assert.equal(h.count, 2, '5 -> 2 and 1 -> 0');
    assert.ok((h.quantile(1) as number) < 2, 'the single 50 ms call is gone');
  });
});
