// Up to `size` batches in flight at once (docs/import.md, Online). Requests in flight may commit
// in any order, so a batch that shares a (subject_key, report_date) with one in flight waits
// until every batch in flight is done: the rows of one key apply in file order.
import type { ReportRow } from '../store/records';

export class BatchWindow {
  readonly #size: number;
  readonly #inflight = new Set<{ done: Promise<void>; keys: Set<string> }>();
  #failure: { error: unknown } | undefined;

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  /**
   * Starts `send` for `rows` once the window has room (and no batch in flight shares a key);
   * resolves when it has started. Rejects with the first failure of any batch.
   */
  async add(rows: readonly ReportRow[], send: () => Promise<void>): Promise<void> {
    const keys = new Set<string>();
    for (const r of rows) keys.add(`${r.subject_key}\u0000${r.report_date}`);
    let overlaps = false;
    for (const b of this.#inflight) {
      for (const k of b.keys) {
        if (keys.has(k)) {
          overlaps = true;
          break;
        }
      }
      if (overlaps) break;
    }
    await this.#settle(overlaps ? 0 : this.#size - 1);
    const entry = { keys, done: Promise.resolve() };
    entry.done = send().then(
      () => void this.#inflight.delete(entry),
      (error: unknown) => {
        this.#failure ??= { error };
        this.#inflight.delete(entry);
      },
    );
    this.#inflight.add(entry);
  }

  /** Resolves when every batch is done; rejects with the first failure. */
  drain(): Promise<void> {
    return this.#settle(0);
  }

  /** Waits for every batch in flight, failed or not (before giving up). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.race([...this.#inflight].map((b) => b.done));
  }

  async #settle(atMost: number): Promise<void> {
    while (this.#inflight.size > atMost) await Promise.race([...this.#inflight].map((b) => b.done));
    if (this.#failure) throw this.#failure.error;
  }
}
