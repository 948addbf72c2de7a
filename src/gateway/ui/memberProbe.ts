// The status feed's look at one member, once a second: GET its /stats. The answer gives the cache
// counters (hit rate over the last interval) and, once replication exists, its applied seq and
// lag; a failed call is a miss, and two misses in a row mark the member down on the page, long
// before a dead idle slave's registry lease runs out. It uses its own small keep-alive agent, not
// the data path's upstream pool, so it neither takes nor disturbs data connections.
import type { Agent } from 'node:http';
import { callJson, describeError } from '../../cluster/jsonClient';
import { DATA_ROUTES } from '../../shared/routes';

/** Consecutive failed probes after which a member shows as down. */
export const MISSES_TO_DOWN = 2;

export interface MemberCacheStats {
  readonly entries: number | undefined;
  readonly bytes: number | undefined;
  readonly max_bytes: number | undefined;
  readonly hits: number | undefined;
  readonly misses: number | undefined;
}

/** What changed with this probe, for the event log. */
export type ProbeOutcome = 'ok' | 'up' | 'miss' | 'down' | 'busy';

export class MemberProbe {
  readonly addr: string;
  /** undefined until the first probe has answered or failed twice. */
  reachable: boolean | undefined;
  misses = 0;
  lastError: string | undefined;
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

  async probe(): Promise<ProbeOutcome> {
    if (this.#inFlight) return 'busy';
    this.#inFlight = true;
    try {
      const answer = await callJson(this.addr + DATA_ROUTES.stats, { timeoutMs: this.#timeoutMs, agent: this.#agent });
      const data = answer.envelope?.data as Record<string, unknown> | undefined;
      if (answer.status !== 200 || !data || typeof data !== 'object') throw new Error(`stats answered ${answer.status}`);
      return this.#answered(data);
    } catch (err) {
      this.lastError = describeError(err);
      this.misses++;
      if (this.misses < MISSES_TO_DOWN || this.reachable === false) return 'miss';
      this.reachable = false;
      this.#prevHits = this.#prevMisses = undefined;
      return 'down';
    } finally {
      this.#inFlight = false;
    }
  }

  /** Hits and misses counted since the previous answered probe; each delta is handed out once. */
  takeDelta(): { hits: number; misses: number } | undefined {
    const d = this.#delta;
    this.#delta = undefined;
    return d;
  }

  #answered(data: Record<string, unknown>): ProbeOutcome {
    const wasDown = this.reachable === false;
    this.reachable = true;
    this.misses = 0;
    this.lastError = undefined;
    const c = (data.cache ?? {}) as Record<string, unknown>;
    this.cache = { entries: numberOr(c.entries), bytes: numberOr(c.bytes), max_bytes: numberOr(c.max_bytes), hits: numberOr(c.hits), misses: numberOr(c.misses) };
    // SPEC section 8: nodes report seq/applied_seq/lag in their stats once replication exists.
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
    return wasDown ? 'up' : 'ok';
  }
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
