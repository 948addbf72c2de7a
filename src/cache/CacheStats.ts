// Counters of the cache path, named after its branches in the order a request meets them:
// an answer is served from stored bytes (answer_hits) or built (misses count the builds that
// had to go to SQLite); builds load from SQLite (sql_loads) unless an identical load is already
// under way (coalesced). Evictions are counted by the cache itself (ByteLru).

export class CacheStats {
  /** Requests answered without SQLite: from stored answer bytes or from series in memory. */
  hits = 0;
  /** Requests that needed at least one SQLite load. */
  misses = 0;
  /** Of the hits, those answered with stored bytes. */
  answerHits = 0;
  /** Loads that joined an identical load already in flight instead of starting one. */
  coalesced = 0;
  /** Loads from SQLite: one per subject series or topic view chunk set. */
  sqlLoads = 0;

  /** Percent of requests answered without SQLite, 0..100 with two decimals. */
  hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : Math.round((this.hits / total) * 10000) / 100;
  }

  /** The original's cache/reset: counters go back to zero, entries stay. */
  reset(): void {
    this.hits = 0;
    this.misses = 0;
    this.answerHits = 0;
    this.coalesced = 0;
    this.sqlLoads = 0;
  }
}
