// Stage 3: one circuit breaker per slave, so a failing slave is skipped instantly instead of
// costing every request a timeout. Thresholds are the original's (docs/api.md, GET /monitor/circuitbreaker; see BreakerConfig).
import type { BreakerConfig } from '../config/gateway';

/**
 * CLOSED    requests flow; outcomes are counted in a sliding window. When the window holds at
 *           least `minRequests` and failures / requests >= `failureRatio`, it goes OPEN. So do
 *           `minRequests` failures in a row: a slave killed after a busy minute would otherwise
 *           be called until its failures outnumber the successes still in the window.
 * OPEN      requests are refused without calling the slave, for `openMs`; then HALF_OPEN.
 * HALF_OPEN up to `halfOpenProbes` requests at a time are let through as probes; `closeAfter`
 *           consecutive successes close it (with a fresh window), any failure opens it again.
 */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** The window is kept as this many buckets, so recording an outcome is O(1). */
const BUCKETS = 10;

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly requests: number;
  readonly failures: number;
  readonly failure_ratio: number;
  /** Unix ms when the state last changed. */
  readonly since: number;
  readonly opened_count: number;
  readonly consecutive_successes: number;
}

export class CircuitBreaker {
  readonly #cfg: BreakerConfig;
  readonly #now: () => number;
  readonly #bucketMs: number;
  readonly #ok = new Float64Array(BUCKETS);
  readonly #fail = new Float64Array(BUCKETS);
  readonly #bucketAt = new Float64Array(BUCKETS);
  #state: BreakerState = 'CLOSED';
  #since: number;
  #openedCount = 0;
  #probes = 0;
  #successes = 0;
  #failuresInRow = 0;

  constructor(cfg: BreakerConfig, now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#now = now;
    this.#bucketMs = cfg.windowMs / BUCKETS;
    this.#since = now();
  }

  get state(): BreakerState {
    if (this.#state === 'OPEN' && this.#now() - this.#since >= this.#cfg.openMs) this.#to('HALF_OPEN');
    return this.#state;
  }

  /** Whether a request may go to the slave now. In HALF_OPEN a true answer reserves a probe slot. */
  allow(): boolean {
    if (this.#state === 'CLOSED') return true;
    if (this.state === 'OPEN') return false;
    if (this.#probes >= this.#cfg.halfOpenProbes) return false;
    this.#probes++;
    return true;
  }

  onSuccess(): void {
    if (this.#state === 'CLOSED') {
      this.#ok[this.#bucket()]++;
      this.#failuresInRow = 0;
      return;
    }
    if (this.#state === 'HALF_OPEN') {
      this.#probes = Math.max(0, this.#probes - 1);
      if (++this.#successes >= this.#cfg.closeAfter) this.#to('CLOSED');
    }
  }

  onFailure(): void {
    if (this.#state === 'CLOSED') {
      this.#fail[this.#bucket()]++;
      if (++this.#failuresInRow >= this.#cfg.minRequests) return this.#to('OPEN');
      const { ok, fail } = this.#totals();
      const total = ok + fail;
      if (total >= this.#cfg.minRequests && fail / total >= this.#cfg.failureRatio) this.#to('OPEN');
      return;
    }
    if (this.#state === 'HALF_OPEN') this.#to('OPEN');
  }

  /** Frees a HALF_OPEN probe slot taken by allow() when the request never reached the slave. */
  release(): void {
    if (this.#state === 'HALF_OPEN') this.#probes = Math.max(0, this.#probes - 1);
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    const { ok, fail } = this.#totals();
    const total = ok + fail;
    return {
      state,
      requests: total,
      failures: fail,
      failure_ratio: total === 0 ? 0 : Math.round((fail / total) * 1000) / 1000,
      since: this.#since,
      opened_count: this.#openedCount,
      consecutive_successes: this.#successes,
    };
  }

  #to(state: BreakerState): void {
    this.#state = state;
    this.#since = this.#now();
    this.#probes = 0;
    this.#successes = 0;
    this.#failuresInRow = 0;
    if (state === 'OPEN') this.#openedCount++;
    if (state === 'CLOSED') {
      this.#ok.fill(0);
      this.#fail.fill(0);
    }
  }

  /** The bucket for now, emptied first when it last held an older slice of time. */
  #bucket(): number {
    const slice = Math.floor(this.#now() / this.#bucketMs);
    const i = slice % BUCKETS;
    if (this.#bucketAt[i] !== slice) {
      this.#bucketAt[i] = slice;
      this.#ok[i] = 0;
      this.#fail[i] = 0;
    }
    return i;
  }

  #totals(): { ok: number; fail: number } {
    const oldest = Math.floor(this.#now() / this.#bucketMs) - BUCKETS + 1;
    let ok = 0;
    let fail = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#bucketAt[i] >= oldest) {
        ok += this.#ok[i];
        fail += this.#fail[i];
      }
    }
    return { ok, fail };
  }
}
