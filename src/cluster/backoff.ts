// Capped exponential backoff with jitter, for retrying a registry that cannot be reached.

export interface BackoffOptions {
  /** First delay. Default 250 ms. */
  readonly initialMs?: number;
  /** Longest delay. Default 10 s. */
  readonly maxMs?: number;
  /** Injected for tests; a number in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initial = opts.initialMs ?? 250;
    this.#max = opts.maxMs ?? 10_000;
    this.#random = opts.random ?? Math.random;
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next try: doubles each time up to the cap, then +-20% so retries spread out. */
  next(): number {
    const base = Math.min(this.#max, this.#initial * 2 ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (0.8 + 0.4 * this.#random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
