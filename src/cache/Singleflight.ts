// Coalesces identical concurrent work: while a load for a key is in flight, later callers get
// the same promise instead of starting another load.

export class Singleflight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Runs `load` unless one for `key` is running; `joined` is told when the caller piggybacks. */
  do(key: string, load: () => Promise<T>, joined?: () => void): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) {
      joined?.();
      return running;
    }
    const p = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, p);
    return p;
  }

  get size(): number {
    return this.#inFlight.size;
  }
}
