// Upstream call latency of one node for the current second, cheap enough for the hot path: a
// fixed array of log-linear buckets (HDR-style, 16 per power of two, so a reported percentile is
// at most 1/16 above the true value) and an increment per call; nothing is allocated. The status
// feed (ui/statusFeed.ts) reads a percentile and resets it once a second; the hedge delay
// (HedgeDelay.ts) keeps one that decays instead.

/** Values below this many microseconds get a bucket each. */
const LINEAR = 32;
/** Sub-buckets per power of two above LINEAR (log2 = 4 bits of mantissa). */
const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Microseconds are clamped to 2^31 - 1 (about 36 minutes), so the exponent is at most 30. */
const MAX_US = 0x7fffffff;
export const BUCKETS = LINEAR + (30 - SUB_BITS) * SUB;

/** Bucket index of a latency in microseconds (a non-negative integer). */
export function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  const e = 31 - Math.clz32(us);
  return LINEAR + (e - SUB_BITS - 1) * SUB + ((us >>> (e - SUB_BITS)) - SUB);
}

/** The largest value in microseconds that falls in bucket `i` (what a percentile reports). */
export function bucketTop(i: number): number {
  if (i < LINEAR) return i;
  const e = ((i - LINEAR) >> SUB_BITS) + SUB_BITS + 1;
  const m = SUB + ((i - LINEAR) & (SUB - 1));
  return ((m + 1) << (e - SUB_BITS)) - 1;
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  /** One call that took `ms` milliseconds (a performance.now() difference). */
  record(ms: number): void {
    const us = ms <= 0 ? 0 : ms >= MAX_US / 1000 ? MAX_US : (ms * 1000) | 0;
    this.counts[bucketOf(us)]++;
    this.count++;
  }

  /** Adds this histogram's counts to `into` (the cluster-wide histogram of a second). */
  addTo(into: LatencyHistogram): void {
    if (this.count === 0) return;
    const a = this.counts;
    const b = into.counts;
    for (let i = 0; i < BUCKETS; i++) b[i] += a[i];
    into.count += this.count;
  }

  /** The q-quantile (0 < q <= 1) in milliseconds, or undefined without a recorded call. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return bucketTop(i) / 1000;
    }
    return bucketTop(BUCKETS - 1) / 1000;
  }

  /** Halves every count (rounding down): older calls weigh less, so a percentile follows recent ones. */
  decay(): void {
    if (this.count === 0) return;
    const a = this.counts;
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) n += a[i] >>>= 1;
    this.count = n;
  }

  reset(): void {
    if (this.count === 0) return;
    this.counts.fill(0);
    this.count = 0;
  }
}
