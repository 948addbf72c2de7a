// The status feed's look at one member's cache, once a second while the page is watched: GET its
// /stats for the cache counters (hit rate over the last interval) and, once replication exists,
// its applied seq and lag. Whether the member answers at all is not decided here: that is the
// gateway's health checker (../HealthChecker.ts), which routing uses too. It uses the feed's
// small keep-alive agent, not the data path's upstream pool, so it neither takes nor disturbs
// data connections.
import type { Agent } from 'node:http';
import { callJson } from '../../cluster/jsonClient';
import { DATA_ROUTES } from '../../shared/routes';

export interface MemberCacheStats {
  readonly entries: number | undefined;
  readonly bytes: number | undefined;
  readonly max_bytes: number | undefined;
  readonly hits: number | undefined;
  readonly misses: number | undefined;
}

export class MemberStats {
  readonly addr: string;
  /** The last answered stats; kept when a later call fails. */
  cache: MemberCacheStats | undefined;
  appliedSeq: number | undefined;
  lag: number | undefined;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  #inFlight = false;
  #prevHits: number | undefined;
  #prevMisses: number | undefined;
  #delta: { hits: number; misses: number } | undefined;

  constructor(addr: string, agent: Agent, timeoutMs: number) {
    this.addr = addr;
    this.#agent = agent;
    this.#timeoutMs = timeoutMs;
  }

  /** Asks once (unless the previous call is still out); a failed call leaves a gap in the hit rate. */
  async sample(): Promise<void> {
    if (this.#inFlight) return;
    this.#inFlight = true;
    try {
      const answer = await callJson(this.addr + DATA_ROUTES.stats, { timeoutMs: this.#timeoutMs, agent: this.#agent });
      const data = answer.envelope?.data as Record<string, unknown> | undefined;
      if (answer.status === 200 && data && typeof data === 'object') this.#answered(data);
      else this.#prevHits = this.#prevMisses = undefined;
    } catch {
      this.#prevHits = this.#prevMisses = undefined;
    } finally {
      this.#inFlight = false;
    }
  }

  /** Hits and misses counted since the previous answered call; each delta is handed out once. */
  takeDelta(): { hits: number; misses: number } | undefined {
    const d = this.#delta;
    this.#delta = undefined;
    return d;
  }

  #answered(data: Record<string, unknown>): void {
    const c = (data.cache ?? {}) as Record<string, unknown>;
    this.cache = { entries: numberOr(c.entries), bytes: numberOr(c.bytes), max_bytes: numberOr(c.max_bytes), hits: numberOr(c.hits), misses: numberOr(c.misses) };
    // Nodes report seq/applied_seq/lag in their stats (docs/api.md, GET /kamaitachi/api/data/v1/stats).
    this.appliedSeq = numberOr(data.applied_seq) ?? numberOr(data.seq);
    this.lag = numberOr(data.lag);
    const { hits, misses } = this.cache;
    if (hits !== undefined && misses !== undefined) {
      // A cache reset sets the counters back: skip that interval rather than report nonsense.
      if (this.#prevHits !== undefined && this.#prevMisses !== undefined && hits >= this.#prevHits && misses >= this.#prevMisses) {
        const d = this.#delta ?? { hits: 0, misses: 0 };
        this.#delta = { hits: d.hits + hits - this.#prevHits, misses: d.misses + misses - this.#prevMisses };
      }
      this.#prevHits = hits;
      this.#prevMisses = misses;
    }
  }
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
