// Turns what the recorder wrote down into the BenchResult: merged and per-target percentiles
// from the HDR histograms, error tallies, hit-rate deltas, the verdict and the chart curves.
import { newLatencyHistogram, ERROR_KINDS, HISTOGRAM_UNIT_PER_MS, type ErrorKind, type Recorder, type TargetRecord } from './Recorder';
import type { Histogram, JsHistogram } from 'hdr-histogram-js';
import type { BenchResult, ErrorCounts, LatencySummary, TargetResult } from './result';
import type { BenchOptions } from './options';
import type { Scenario } from './scenarios';
import type { CacheCounters } from './probes';

export interface RunFacts {
  readonly options: BenchOptions;
  readonly scenario: Scenario;
  readonly recorder: Recorder;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly reconnects: number;
  readonly distinctRequests: number;
  readonly subjects: number;
  readonly indicators: readonly string[];
  readonly countersBefore: CacheCounters | null;
  readonly countersAfter: CacheCounters | null;
}

export function summarize(f: RunFacts): BenchResult {
  const seconds = f.durationMs / 1000;
  const merged = newLatencyHistogram();
  for (const t of f.recorder.targets) merged.add(t.histogram);
  const perTarget: TargetResult[] = f.recorder.targets.map((t, i) => ({
    target: f.options.targets[i],
    total: t.success + t.failed,
    success: t.success,
    failed: t.failed,
    qps: rate(t.success + t.failed, seconds),
    latency_ms: latencySummary(t.histogram),
    errors: errorCounts([t]),
  }));
  const success = perTarget.reduce((n, t) => n + t.success, 0);
  const failed = perTarget.reduce((n, t) => n + t.failed, 0);
  const successQps = rate(success, seconds);
  const o = f.options;
  return {
    kind: 'kamaitachi-bench-result',
    version: 1,
    scenario: { id: f.scenario.id, name: f.scenario.name },
    config: {
      targets: [...o.targets],
      requests: Number.isFinite(o.maxRequests) ? o.maxRequests : null,
      max_seconds: o.maxSeconds,
      concurrent: o.concurrent,
      repeat: o.repeat,
      distinct_requests: f.distinctRequests,
      warmup: o.warmup.kind === 'none' ? 'none' : o.warmup.kind === 'requests' ? `${o.warmup.count} requests` : `${o.warmup.seconds}s`,
      seed: o.seed,
      timeout_ms: o.timeoutMs,
      subjects: f.subjects,
      indicators: [...f.indicators],
    },
    started_at: new Date(f.startedAtMs).toISOString(),
    duration_s: round(seconds, 3),
    total: success + failed,
    success,
    failed,
    qps: rate(success + failed, seconds),
    success_qps: successQps,
    reconnects: f.reconnects,
    latency_ms: latencySummary(merged),
    errors: errorCounts(f.recorder.targets),
    per_target: perTarget,
    hit_rate: hitRate(f.countersBefore, f.countersAfter),
    verdict: verdict(f.scenario, successQps),
    original: f.scenario.original ? { qps: f.scenario.original.qps, hit_rate: f.scenario.original.hitRate } : null,
    curves: {
      percentiles: percentileCurve(merged),
      histogram: latencyBins(merged),
      throughput: throughputCurve(f.recorder, f.durationMs),
    },
  };
}

export function latencySummary(h: Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  const ms = (us: number) => round(us / HISTOGRAM_UNIT_PER_MS, 3);
  return {
    avg: ms(h.mean),
    min: ms(h.getValueAtPercentile(0)),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p99_9: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    stdev: ms(h.stdDeviation),
  };
}

function errorCounts(records: readonly TargetRecord[]): ErrorCounts {
  const byStatus: Record<string, number> = {};
  const byKind = Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as Record<ErrorKind, number>;
  const samples: Record<string, string> = {};
  for (const r of records) {
    for (const [status, n] of r.byStatus) byStatus[status] = (byStatus[status] ?? 0) + n;
    for (const k of ERROR_KINDS) byKind[k] += r.byKind[k];
    for (const [k, s] of r.samples) samples[k] ??= s;
  }
  return { by_status: byStatus, by_kind: byKind, samples };
}

function hitRate(before: CacheCounters | null, after: CacheCounters | null): BenchResult['hit_rate'] {
  if (!before || !after) return null;
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  // Negative deltas mean someone reset the counters during the run: no honest rate.
  const valid = hits >= 0 && misses >= 0 && hits + misses > 0;
  return { percent: valid ? round((hits / (hits + misses)) * 100, 2) : null, hits, misses, sources: [...after.sources] };
}

function verdict(scenario: Scenario, qps: number): BenchResult['verdict'] {
  const target = scenario.targetQps;
  if (target === null) {
    return { target_qps: null, passed: null, ratio: null, text: `no original target QPS for scenario ${scenario.id}` };
  }
  const ratio = round(qps / target, 2);
  const passed = qps >= target;
  const text = passed
    ? `PASSED: ${fmt(qps)} QPS is ${ratio}x the original's target of ${target}`
    : `NOT YET: ${fmt(qps)} QPS is ${round(ratio * 100, 1)}% of the original's target of ${target}`;
  return { target_qps: target, passed, ratio, text };
}

/** Points spaced evenly in log10(1 / (1 - p)), HdrHistogram's classic percentile plot. */
function percentileCurve(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  const out: Array<[number, number]> = [];
  const last = Math.log10(Math.max(10, h.totalCount));
  for (let x = 0; x < last; x += 0.05) {
    const p = 100 * (1 - 10 ** -x);
    out.push([round(p, 5), round(h.getValueAtPercentile(p) / HISTOGRAM_UNIT_PER_MS, 3)]);
  }
  out.push([100, round(h.maxValue / HISTOGRAM_UNIT_PER_MS, 3)]);
  return out;
}

/** Counts of recorded latencies in `bins` log-spaced bins between the minimum and the maximum. */
function latencyBins(h: Histogram, bins = 40): Array<[number, number, number]> {
  if (h.totalCount === 0) return [];
  const lo = Math.max(1, h.getValueAtPercentile(0));
  const hi = Math.max(lo + 1, h.maxValue + 1);
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo * (hi / lo) ** (i / bins));
  const counts = new Array<number>(bins).fill(0);
  // build() makes a JsHistogram unless WebAssembly is asked for, and only that one iterates.
  const it = (h as unknown as JsHistogram).recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    let b = Math.floor((Math.log(Math.max(lo, v.valueIteratedTo) / lo) / Math.log(hi / lo)) * bins);
    if (b >= bins) b = bins - 1;
    counts[b] += v.countAtValueIteratedTo;
  }
  return counts.map((c, i) => [round(edges[i] / HISTOGRAM_UNIT_PER_MS, 4), round(edges[i + 1] / HISTOGRAM_UNIT_PER_MS, 4), c]);
}

const NICE_SLOTS_MS = [100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000];

/** Completions per second over the run, in at most ~150 slots of a round length. */
function throughputCurve(rec: Recorder, durationMs: number): Array<[number, number, number]> {
  const raw = Math.max(rec.okSlots.length, rec.failedSlots.length);
  if (raw === 0) return [];
  const slotMs = NICE_SLOTS_MS.find((s) => durationMs / s <= 150) ?? 60_000;
  const group = Math.max(1, Math.round(slotMs / rec.slotMs));
  const out: Array<[number, number, number]> = [];
  for (let start = 0; start < raw; start += group) {
    let ok = 0;
    let failed = 0;
    for (let i = start; i < start + group && i < raw; i++) {
      ok += rec.okSlots[i] ?? 0;
      failed += rec.failedSlots[i] ?? 0;
    }
    const fromMs = start * rec.slotMs;
    // The last slot is usually cut short by the end of the run.
    const spanMs = Math.max(1, Math.min(group * rec.slotMs, durationMs - fromMs));
    out.push([round(fromMs / 1000, 3), round((ok * 1000) / spanMs, 1), round((failed * 1000) / spanMs, 1)]);
  }
  return out;
}

function rate(n: number, seconds: number): number {
  return seconds > 0 ? round(n / seconds, 1) : 0;
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : String(round(n, 1));
}
