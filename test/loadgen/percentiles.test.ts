import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from '../../src/loadgen/Recorder';
import { latencySummary } from '../../src/loadgen/summarize';

/** Records each latency (ms) as a successful answer and summarizes target 0. */
function summaryOf(latenciesMs: number[]) {
  const rec = new Recorder(1);
  for (const l of latenciesMs) rec.answer(0, 200, l, 0);
  const s = latencySummary(rec.targets[0].histogram);
  assert.ok(s);
  return s;
}

/** HDR keeps 3 significant digits: values may be off by at most 0.1%. */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 0.001, `${what}: expected ~${expected}, got ${actual}`);
}

describe('latency percentiles', () => {
  it('match the exact percentiles of a uniform distribution from 1 to 10 ms', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i + 1) / 1000);
    const s = summaryOf(values);
    near(s.p50, 5, 'p50');
    near(s.p90, 9, 'p90');
    near(s.p95, 9.5, 'p95');
    near(s.p99, 9.9, 'p99');
    near(s.p99_9, 9.99, 'p99.9');
    near(s.max, 10, 'max');
    near(s.min, 0.001, 'min');
    near(s.avg, 5.0005, 'avg');
  });

  it('put p95 and above in the slow mode of a 90/10 bimodal distribution', () => {
    const values = [...Array<number>(900).fill(1), ...Array<number>(100).fill(100)];
    const s = summaryOf(values);
    near(s.p50, 1, 'p50');
    near(s.p90, 1, 'p90');
    near(s.p95, 100, 'p95');
    near(s.p99, 100, 'p99');
    near(s.avg, 10.9, 'avg');
  });

  it('report a constant latency at every percentile with no spread', () => {
    const s = summaryOf(Array<number>(500).fill(2.5));
    for (const p of [s.min, s.p50, s.p90, s.p99, s.p99_9, s.max]) near(p, 2.5, 'percentile');
    assert.equal(s.stdev, 0);
  });

  it('leave failed answers out of the histogram but count them by status', () => {
    const rec = new Recorder(1);
    rec.answer(0, 200, 1, 0);
    rec.answer(0, 500, 50, 0);
    rec.answer(0, 429, 50, 0);
    rec.failure(0, 'timeout', 'no answer', 0);
    const t = rec.targets[0];
    assert.equal(t.histogram.totalCount, 1);
    assert.equal(t.success, 1);
    assert.equal(t.failed, 3);
    assert.deepEqual(Object.fromEntries(t.byStatus), { 500: 1, 429: 1 });
    assert.equal(t.byKind.bad_status, 2);
    assert.equal(t.byKind.timeout, 1);
  });

  it('have no summary when nothing succeeded', () => {
    const rec = new Recorder(1);
    assert.equal(latencySummary(rec.targets[0].histogram), null);
  });
});
