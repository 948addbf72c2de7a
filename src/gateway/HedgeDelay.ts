// How long a read waits for one node before the same read also goes to the next node on the
// ring (docs/design.md#faults): about twice the node's recent p99 of answered calls, never below
// 20 ms and never beyond the upstream timeout, or a fixed time when configured. Recording is one
// bucket increment; the p99 is recomputed at most once a second, after which the counts are
// halved, so the estimate follows the last few seconds of calls. A node that let a hedge beat
// it and has not answered anything since is suspect: its reads are hedged after the floor
// time until it answers again, so a node that just hung costs each following read 20 ms, not
// twice the p99 of better times.
import { LatencyHistogram } from './LatencyHistogram';

/** Hedging sooner than this would hedge ordinary answers, doubling the load for nothing. */
export const HEDGE_FLOOR_MS = 20;
/** Before a node has answered anything: a guess between the floor and a slow cold miss. */
export const HEDGE_UNKNOWN_MS = 50;
const REFRESH_MS = 1000;

export class HedgeDelay {
  readonly #hist = new LatencyHistogram();
  readonly #fixed: number | undefined;
  readonly #ceiling: number;
  #ms: number;
  #refreshedAt = -Infinity;
  #suspect = false;

  /** `fixed`: a configured delay (no estimate); `ceiling`: the upstream timeout. */
  constructor(fixed: number | undefined, ceiling: number) {
    this.#fixed = fixed;
    this.#ceiling = ceiling;
    this.#ms = fixed ?? Math.min(HEDGE_UNKNOWN_MS, ceiling);
  }

  /** An answered call that took `ms` (failures and cancelled calls are not recorded). */
  record(ms: number): void {
    this.#hist.record(ms);
    this.#suspect = false;
  }

  /** A call was cancelled because a hedge answered first, after this node's own hedge time. */
  lost(): void {
    this.#suspect = true;
  }

  /** The delay now; `now` is performance.now(). */
  ms(now: number): number {
    if (this.#fixed !== undefined) return this.#fixed;
    if (now - this.#refreshedAt >= REFRESH_MS) this.#refresh(now);
    return this.#suspect ? Math.min(HEDGE_FLOOR_MS, this.#ms) : this.#ms;
  }

  #refresh(now: number): void {
    this.#refreshedAt = now;
    const p99 = this.#hist.quantile(0.99);
    // An idle node keeps its last estimate rather than falling back to the guess.
    if (p99 !== undefined) this.#ms = Math.min(this.#ceiling, Math.max(HEDGE_FLOOR_MS, Math.ceil(2 * p99)));
    this.#hist.decay();
  }
}
