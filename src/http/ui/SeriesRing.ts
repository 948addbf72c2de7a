// The last `capacity` one-second samples of one figure (requests/s, hit rate, p99...), for the
// status pages' sparklines. A gap (no traffic, member unreachable) is stored as NaN and sent as
// null, so a line breaks instead of dropping to zero.

/** 5 minutes at one sample a second. */
export const SERIES_CAPACITY = 300;

export class SeriesRing {
  readonly capacity: number;
  readonly #values: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity = SERIES_CAPACITY) {
    this.capacity = capacity;
    this.#values = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(value: number | undefined): void {
    this.#values[this.#next] = value === undefined || !Number.isFinite(value) ? NaN : value;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The newest sample, or undefined for a gap or an empty ring. */
  last(): number | undefined {
    if (this.#size === 0) return undefined;
    const v = this.#values[(this.#next - 1 + this.capacity) % this.capacity];
    return Number.isNaN(v) ? undefined : v;
  }

  /** Oldest first, rounded to `digits` decimals; gaps as null. */
  toArray(digits: number): Array<number | null> {
    const out: Array<number | null> = new Array(this.#size);
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) out[i] = round(this.#values[(start + i) % this.capacity], digits);
    return out;
  }
}

/** `v` rounded to `digits` decimals; null for NaN/undefined (JSON has no NaN). */
export function round(v: number | undefined, digits: number): number | null {
  if (v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
