// An LRU bounded by bytes, not entries (lru-cache with maxSize), whose entries carry tags
// (the subjects and topics an answer was built from) so one subject's entries can be dropped
// when its data changes, wherever they are cached.
import { LRUCache } from 'lru-cache';

export interface Sized {
  /** Bytes this value keeps alive. */
  readonly bytes: number;
}

interface Slot<V> {
  readonly value: V;
  readonly tags: readonly string[];
  readonly size: number;
}

/** Map and bookkeeping overhead per entry, on top of key and value. */
const ENTRY_OVERHEAD = 96;

export class ByteLru<V extends Sized> {
  readonly maxBytes: number;
  readonly #lru: LRUCache<string, Slot<V>> | null;
  readonly #tagged = new Map<string, Set<string>>();
  #evictions = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
    // lru-cache needs a positive budget; a budget of 0 turns caching off.
    this.#lru =
      maxBytes > 0
        ? new LRUCache<string, Slot<V>>({
            maxSize: maxBytes,
            sizeCalculation: (slot) => slot.size,
            dispose: (slot, key, reason) => {
              if (reason === 'evict') this.#evictions++;
              for (const tag of slot.tags) {
                const keys = this.#tagged.get(tag);
                if (keys && keys.delete(key) && keys.size === 0) this.#tagged.delete(tag);
              }
            },
          })
        : null;
  }

  get(key: string): V | undefined {
    return this.#lru?.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#lru?.has(key) ?? false;
  }

  /** Stores a value unless it alone is larger than the whole budget. */
  set(key: string, value: V, tags: readonly string[] = []): void {
    const lru = this.#lru;
    if (!lru) return;
    const size = value.bytes + key.length * 2 + ENTRY_OVERHEAD;
    if (size > this.maxBytes) return;
    lru.set(key, { value, tags, size });
    for (const tag of tags) {
      let keys = this.#tagged.get(tag);
      if (!keys) this.#tagged.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): boolean {
    return this.#lru?.delete(key) ?? false;
  }

  /** Drops every entry carrying `tag`; returns how many. */
  invalidateTag(tag: string): number {
    const keys = this.#tagged.get(tag);
    if (!keys) return 0;
    let n = 0;
    for (const key of [...keys]) if (this.delete(key)) n++;
    return n;
  }

  clear(): void {
    this.#lru?.clear();
    this.#tagged.clear();
  }

  get entries(): number {
    return this.#lru?.size ?? 0;
  }

  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0;
  }

  get evictions(): number {
    return this.#evictions;
  }

  /** Entries from least to most recently used, so reinserting them in order restores recency. */
  *oldestFirst(): Generator<{ key: string; value: V; tags: readonly string[] }> {
    if (!this.#lru) return;
    for (const key of this.#lru.rkeys()) {
      const slot = this.#lru.peek(key);
      if (slot) yield { key, value: slot.value, tags: slot.tags };
    }
  }
}
