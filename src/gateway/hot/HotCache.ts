// The gateway's hot cache (docs/design.md, "The gateway's hot cache"): finished answers to read
// requests, keyed by method, path and exact body bytes, so a hit costs one map lookup and no
// JSON parse and no upstream call. Only requests asked twice within `admitWindowMs` get in
// (one-off queries cannot flush the hot set). Entries carry tags like the node cache's
// (S<subject>, T<topic>) and go when the master's change feed says a record touched them
// (HotFeed.ts). Hits are served only while the feed follower holds its lease: a gateway that
// lost the feed passes every request through.
import QuickLRU from 'quick-lru';
import { ByteLru, type Sized } from '../../cache/ByteLru';

export interface HotAnswer extends Sized {
  readonly contentType: string;
  readonly body: Buffer;
  /** content-length as written, made once. */
  readonly length: string;
}

/** Tag of every topic-wide answer: dropped by a record whose touched topics are not known. */
export const ANY_TOPIC_TAG = 'T*';
/** Tag of answers to routes the gateway cannot tag exactly: dropped by every record. */
export const ANY_WRITE_TAG = 'W';

/** Bodies larger than this are never cached (nor remembered for admission). */
export const MAX_HOT_BODY = 8 * 1024;

export interface HotCacheOptions {
  readonly maxBytes: number;
  /** A second ask within this many ms admits a request. Default 10 s. */
  readonly admitWindowMs?: number;
  /** Keys remembered for admission (quick-lru keeps up to twice this many). Default 2048. */
  readonly seenKeys?: number;
  /** Monotonic ms; injected for tests. */
  readonly now: () => number;
}

export class HotCache {
  readonly maxBytes: number;
  readonly #lru: ByteLru<HotAnswer>;
  /**
   * Admission memory: a 31-bit hash of each key (keyHash) -> when it was last asked. Not the key
   * itself: under all-miss traffic thousands of ~250-byte strings would live long enough to be
   * promoted, and every full GC would pay for them. A collision only admits a request on its
   * first ask, which costs one entry of the budget, never a wrong answer.
   */
  readonly #seen: QuickLRU<number, number>;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Feed position: every record up to it has dropped what it touched. -1 = not known yet. */
  position = -1;
  /** The position as the `x-kamaitachi-seq` of hits, made once per change. */
  #positionText = '-1';
  /** Hits are served until this monotonic time (the feed follower's lease). */
  #leaseUntil = -Infinity;
  // Counters in the order of the data path.
  hits = 0;
  /** Cacheable requests not served from here (absent, or no lease). */
  misses = 0;
  /** Misses while the lease was out: passed through whatever was cached. */
  passed_no_lease = 0;
  /** Answers stored (a second ask within the window). */
  admissions = 0;
  /** Answers not stored because the node that gave them was behind the feed position. */
  refused_behind = 0;
  /** Entries dropped by change records. */
  invalidations = 0;
  /** Times everything was dropped (feed gone, unknown record kind, another dataset). */
  clears = 0;

  constructor(o: HotCacheOptions) {
    this.maxBytes = o.maxBytes;
    this.#lru = new ByteLru<HotAnswer>(o.maxBytes);
    this.#seen = new QuickLRU({ maxSize: o.seenKeys ?? 2048 });
    this.#windowMs = o.admitWindowMs ?? 10_000;
    this.#now = o.now;
  }

  /** The cache key of a request, or undefined when it may not be cached (too large a body). */
  static key(method: string, path: string, body: Buffer | undefined): string | undefined {
    if (body === undefined || body.length === 0) return method + ' ' + path;
    if (body.length > MAX_HOT_BODY) return undefined;
    // latin1 maps bytes 1:1: the exact body bytes, as requestInfo.ts keys them.
    return method + ' ' + path + '\n' + body.toString('latin1');
  }

  /** True while hits may be served: the feed follower holds a lease. */
  serving(): boolean {
    return this.#now() <= this.#leaseUntil;
  }

  /** The answer for `key` when it may be served now; counts a hit or a miss. */
  get(key: string): HotAnswer | undefined {
    if (!this.serving()) {
      this.misses++;
      this.passed_no_lease++;
      return undefined;
    }
    const hit = this.#lru.get(key);
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  get positionText(): string {
    return this.#positionText;
  }

  /**
   * Offers a node's 200 answer. Stored only while serving, when the node had applied at least
   * the feed position (`nodeSeq`; a node behind it may answer from before a record whose drop
   * already happened here), and on the key's second ask within the window.
   */
  offer(key: string, nodeSeq: string | undefined, contentType: string, body: Buffer, tags: () => readonly string[]): void {
    if (!this.serving()) return;
    const seq = nodeSeq === undefined ? NaN : Number(nodeSeq);
    if (!(seq >= this.position)) {
      this.refused_behind++;
      return;
    }
    const now = this.#now();
    const h = keyHash(key);
    const seen = this.#seen.get(h);
    if (seen === undefined || now - seen > this.#windowMs) {
      this.#seen.set(h, now);
      return;
    }
    this.#seen.delete(h);
    // An own copy: the answer may be a view into a larger read buffer the budget would not see.
    const own = Buffer.allocUnsafeSlow(body.length);
    body.copy(own);
    const bytes = own.length + contentType.length;
    this.#lru.set(key, { contentType, body: own, length: String(own.length), bytes }, tags());
    if (this.#lru.has(key)) this.admissions++;
  }

  /** Drops every entry carrying one of `tags`. */
  invalidate(tags: Iterable<string>): number {
    let n = 0;
    for (const tag of tags) n += this.#lru.invalidateTag(tag);
    this.invalidations += n;
    return n;
  }

  /** Drops everything (the admission memory stays: it holds no data). */
  clear(): void {
    this.invalidations += this.#lru.entries;
    this.#lru.clear();
    this.clears++;
  }

  /** The feed follower applied every record up to `seq`. */
  advance(seq: number): void {
    if (seq === this.position) return;
    this.position = seq;
    this.#positionText = String(seq);
  }

  /** Hits may be served until `until` (monotonic ms); -Infinity ends serving at once. */
  lease(until: number): void {
    this.#leaseUntil = until;
  }

  revoke(): void {
    this.#leaseUntil = -Infinity;
  }

  stats(): {
    max_bytes: number;
    entries: number;
    bytes: number;
    serving: boolean;
    hits: number;
    misses: number;
    passed_no_lease: number;
    admissions: number;
    refused_behind: number;
    invalidations: number;
    clears: number;
    evictions: number;
  } {
    return {
      max_bytes: this.maxBytes,
      entries: this.#lru.entries,
      bytes: this.#lru.bytes,
      serving: this.serving(),
      hits: this.hits,
      misses: this.misses,
      passed_no_lease: this.passed_no_lease,
      admissions: this.admissions,
      refused_behind: this.refused_behind,
      invalidations: this.invalidations,
      clears: this.clears,
      evictions: this.#lru.evictions,
    };
  }
}

/** FNV-1a over the key's UTF-16 code units, folded to 31 bits (a small integer V8 keeps unboxed). */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 1;
}
