// An LRU bounded by bytes, not entries (lru-cache with maxSize), whose entries carry tags
// (the subjects and topics an answer was built from) so one subject's entries can be dropped
// when its data changes, wherever they are cached.
//
// The budget is the memory: an entry is charged its value's bytes plus its key, its tag
// references and a fixed overhead measured on the real heap (docs/design.md, "The byte budget
// is the memory"), and every distinct tag is charged its index set. A test compares the charge
// with the live heap and external memory an entry really holds.
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

/**
 * Bytes an entry holds besides its value's own bytes and its key's characters: the lru-cache
 * node (map entry, list links, size cell), the slot object, the value object and, for an
 * answer, its Buffer's JS object, ArrayBuffer and backing-store header. Measured with
 * test/cache/budget.test.ts.
 */
export const ENTRY_OVERHEAD = 200;
/** A key is a one-byte string: its characters plus the string header. */
const KEY_HEADER = 24;
/** One tag reference: the slot's array cell and the key's place in the tag's index set. */
export const TAG_REF_BYTES = 48;
/** A distinct tag: its string, its index set and the map entry pointing at it. */
export const TAG_BYTES = 160;

interface TagIndex {
  /** The one copy of the tag string that every slot shares. */
  readonly tag: string;
  readonly keys: Set<string>;
}

export class ByteLru<V extends Sized> {
  readonly maxBytes: number;
  readonly #lru: LRUCache<string, Slot<V>> | null;
  readonly #tagged = new Map<string, TagIndex>();
  /** Bytes of the tag index outside the entries' own charge (distinct tags). */
  #indexBytes = 0;
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
                const index = this.#tagged.get(tag);
                if (index && index.keys.delete(key) && index.keys.size === 0) {
                  this.#tagged.delete(tag);
                  this.#indexBytes -= TAG_BYTES + tag.length;
                }
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
    const size = value.bytes + key.length + KEY_HEADER + ENTRY_OVERHEAD + tags.length * TAG_REF_BYTES;
    if (size > this.maxBytes) return;
    // Slots keep the index's copy of each tag, so a tag string exists once however many
    // entries carry it (callers build tags by concatenation, a new string every time).
    const shared = tags.length === 0 ? tags : tags.map((tag) => this.#index(tag).tag);
    // Replacing a key disposes its old slot, which takes the key out of the tag index: so the
    // key goes into the index only after the set.
    lru.set(key, { value, tags: shared, size });
    for (const tag of shared) this.#index(tag).keys.add(key);
    // lru-cache keeps the entries within the budget; the distinct tags' index comes on top.
    while (this.#indexBytes > 0 && lru.calculatedSize + this.#indexBytes > this.maxBytes && lru.size > 0) {
      lru.pop(); // disposed as 'evict', so counted
    }
  }

  /** The index entry of a tag, made on first use. */
  #index(tag: string): TagIndex {
    let index = this.#tagged.get(tag);
    if (!index) {
      this.#tagged.set(tag, (index = { tag, keys: new Set() }));
      this.#indexBytes += TAG_BYTES + tag.length;
    }
    return index;
  }

  delete(key: string): boolean {
    return this.#lru?.delete(key) ?? false;
  }

  /** Drops every entry carrying `tag`; returns how many. */
  invalidateTag(tag: string): number {
    const index = this.#tagged.get(tag);
    if (!index) return 0;
    let n = 0;
    for (const key of [...index.keys]) if (this.delete(key)) n++;
    return n;
  }

  clear(): void {
    this.#lru?.clear();
    this.#tagged.clear();
    this.#indexBytes = 0;
  }

  get entries(): number {
    return this.#lru?.size ?? 0;
  }

  /** Bytes charged: entries plus the tag index. */
  get bytes(): number {
    return (this.#lru?.calculatedSize ?? 0) + this.#indexBytes;
  }

  get evictions(): number {
    return this.#evictions;
  }

  /** Keys from least to most recently used, taken at once: entries may come and go afterwards. */
  keysOldestFirst(): string[] {
    return this.#lru ? [...this.#lru.rkeys()] : [];
  }

  /** An entry without touching its recency; undefined once it is gone. */
  peek(key: string): { value: V; tags: readonly string[] } | undefined {
    const slot = this.#lru?.peek(key);
    return slot && { value: slot.value, tags: slot.tags };
  }
}
