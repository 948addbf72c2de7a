// What a data node's status page shows: its stats (dataRoutes' nodeStats: cache entries and bytes
// against the budget, hits, misses, store figures, and seq/applied_seq/lag once replication adds
// them), queries/s, hit rate and cache bytes sampled once a second into 5-minute series, and the
// most requested subjects (subjectTally.ts). Sampling starts with the first request for the page
// or its data and only reads counters the answer path keeps anyway.
import type { QueryEngine } from '../../query/QueryEngine';
import { nodeStats, type NodeIdentity } from '../dataRoutes';
import { SERIES_CAPACITY, SeriesRing, round } from './SeriesRing';
import type { SubjectTally } from './subjectTally';

export interface NodeFeedOptions {
  readonly engine: QueryEngine;
  readonly identity: NodeIdentity;
  readonly tally: SubjectTally;
  /** Default 1000 ms. */
  readonly intervalMs?: number;
  /** Default 300 samples (5 minutes). */
  readonly capacity?: number;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface NodeUiData {
  readonly kind: 'kamaitachi-node-ui';
  readonly version: 1;
  readonly stats: ReturnType<typeof nodeStats>;
  readonly sampled_at: number;
  readonly sampling_since: number;
  readonly interval_ms: number;
  readonly capacity: number;
  /** Snapshot and period answers per second (hits + misses). */
  readonly requests_per_s: number | null;
  /** Percent of the last interval's answers that were hits. */
  readonly hit_rate: number | null;
  readonly top_subjects: {
    readonly sample_every: number;
    readonly sampled: number;
    readonly list: Array<{ subject: string; name: string | null; count: number; share: number }>;
  };
  readonly series: { requests_per_s: Array<number | null>; hit_rate: Array<number | null>; cache_bytes: Array<number | null> };
}

export class NodeFeed {
  readonly #o: NodeFeedOptions;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #capacity: number;
  readonly #series: { rps: SeriesRing; hit: SeriesRing; bytes: SeriesRing };
  #interval: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #lastTickAt = 0;
  #prev = { hits: 0, misses: 0 };
  #stopped = false;

  constructor(opts: NodeFeedOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#capacity = opts.capacity ?? SERIES_CAPACITY;
    this.#series = { rps: new SeriesRing(this.#capacity), hit: new SeriesRing(this.#capacity), bytes: new SeriesRing(this.#capacity) };
  }

  ensureStarted(): void {
    if (this.#interval || this.#stopped) return;
    this.#startedAt = this.#lastTickAt = this.#now();
    const { hits, misses } = this.#o.engine.stats().cache;
    this.#prev = { hits, misses };
    this.#interval = setInterval(() => this.tick(), this.#intervalMs).unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#interval);
  }

  /** One sample; runs every interval, tests call it directly. */
  tick(): void {
    const now = this.#now();
    const secs = Math.max(0.001, (now - this.#lastTickAt) / 1000);
    this.#lastTickAt = now;
    const { cache } = this.#o.engine.stats();
    const stats = cache;
    const dh = stats.hits - this.#prev.hits;
    const dm = stats.misses - this.#prev.misses;
    this.#prev = { hits: stats.hits, misses: stats.misses };
    // A cache reset sets the counters back to zero: that interval is a gap, not a negative rate.
    const reset = dh < 0 || dm < 0;
    this.#series.rps.push(reset ? undefined : (dh + dm) / secs);
    this.#series.hit.push(reset || dh + dm === 0 ? undefined : (dh / (dh + dm)) * 100);
    this.#series.bytes.push(cache.bytes);
  }

  snapshot(): NodeUiData {
    this.ensureStarted();
    const { engine, identity, tally } = this.#o;
    const sampled = tally.sampled;
    return {
      kind: 'kamaitachi-node-ui',
      version: 1,
      stats: nodeStats(engine, identity),
      sampled_at: this.#lastTickAt,
      sampling_since: this.#startedAt,
      interval_ms: this.#intervalMs,
      capacity: this.#capacity,
      requests_per_s: round(this.#series.rps.last(), 1),
      hit_rate: round(this.#series.hit.last(), 2),
      top_subjects: {
        sample_every: tally.sampleEvery,
        sampled,
        list: tally.top(10).map((c) => ({ subject: c.subject, name: engine.subjectName(c.subject) ?? null, count: c.count, share: round(sampled ? c.count / sampled : 0, 4) ?? 0 })),
      },
      series: { requests_per_s: this.#series.rps.toArray(1), hit_rate: this.#series.hit.toArray(2), cache_bytes: this.#series.bytes.toArray(0) },
    };
  }
}
