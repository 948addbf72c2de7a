// Counters of the answer path, named after its branches in the order a request meets them:
// the exact request was answered before (hits: stored bytes written as they are) or the answer
// is built from the in-memory data (misses), which may first need a topic's as-of view
// (view_builds). Evictions are counted by the cache itself (ByteLru). The table is read from
// SQLite once, when the node starts, so there is no load counter to keep.

export class CacheStats {
  /** Requests answered with stored answer bytes. */
  hits = 0;
  /** Requests whose answer was built (and then stored). */
  misses = 0;
  /** Topic as-of views built for whole-pool queries. */
  viewBuilds = 0;

  /** Percent of requests answered from stored bytes, 0..100 with two decimals. */
  hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : Math.round((this.hits / total) * 10000) / 100;
  }

  /** The original's cache/reset: counters go back to zero, entries stay. */
  reset(): void {
    this.hits = 0;
    this.misses = 0;
    this.viewBuilds = 0;
  }
}
