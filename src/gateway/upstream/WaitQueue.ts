// Callers waiting for a connection to one node, first come first served. A doubly linked list so
// a caller whose deadline passes leaves in O(1) at once (with the request body it holds), and
// the queue only ever holds callers still waiting: handing out a connection never meets a stale
// one, so it never needs to go round again (the recursion that once overflowed the stack).

export interface Waiting<T> {
  readonly value: T;
  /** @internal */ prev: Waiting<T> | null;
  /** @internal */ next: Waiting<T> | null;
  /** @internal */ queued: boolean;
}

export class WaitQueue<T> {
  #head: Waiting<T> | null = null;
  #tail: Waiting<T> | null = null;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: T): Waiting<T> {
    const entry: Waiting<T> = { value, prev: this.#tail, next: null, queued: true };
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    this.#length++;
    return entry;
  }

  /** The longest-waiting caller, taken out of the queue. */
  shift(): T | undefined {
    const entry = this.#head;
    if (!entry) return undefined;
    this.remove(entry);
    return entry.value;
  }

  /** Takes `entry` out; a no-op when it already left. */
  remove(entry: Waiting<T>): void {
    if (!entry.queued) return;
    entry.queued = false;
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = entry.next = null;
    this.#length--;
  }

  /** Empties the queue, returning who was in it. */
  drain(): T[] {
    const out: T[] = [];
    let v: T | undefined;
    while ((v = this.shift()) !== undefined) out.push(v);
    return out;
  }
}
