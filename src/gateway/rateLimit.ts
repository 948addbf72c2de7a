// Stage 1 of a gateway request: token buckets, globally, per route path and per client IP.
// A bucket refills continuously at `rps` tokens per second up to `burst`; a request takes one.
import QuickLRU from 'quick-lru';
import type { BucketConfig, RateLimitConfig } from '../config/gateway';

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(cfg: BucketConfig, now: number) {
    this.#rate = cfg.rps / 1000;
    this.#burst = cfg.burst;
    this.#tokens = cfg.burst;
    this.#last = now;
  }

  take(now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Which limit refused a request, for the 429 message and the counters. */
export type LimitScope = 'global' | 'route' | 'ip';

/**
 * Keyed buckets beyond this are dropped least recently used first (quick-lru keeps between this
 * and twice this many), so a flood of addresses cannot grow memory while active clients keep theirs.
 */
const MAX_KEYED_BUCKETS = 10_000;

export class RateLimiter {
  readonly #cfg: RateLimitConfig;
  readonly #now: () => number;
  readonly #global: TokenBucket | undefined;
  readonly #routes = new QuickLRU<string, TokenBucket>({ maxSize: MAX_KEYED_BUCKETS });
  readonly #ips = new QuickLRU<string, TokenBucket>({ maxSize: MAX_KEYED_BUCKETS });
  /** True when no limit is configured: the check is then a single branch. */
  readonly off: boolean;

  constructor(cfg: RateLimitConfig, now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#now = now;
    this.#global = cfg.global.rps > 0 ? new TokenBucket(cfg.global, now()) : undefined;
    this.off = cfg.global.rps === 0 && cfg.perRoute.rps === 0 && cfg.perIp.rps === 0;
  }

  /** Undefined when allowed, else the scope whose bucket is empty. */
  check(route: string, ip: string): LimitScope | undefined {
    if (this.off) return undefined;
    const now = this.#now();
    // Per-IP first: one noisy client should not drain the global bucket for everyone.
    if (this.#cfg.perIp.rps > 0 && !keyed(this.#ips, ip, this.#cfg.perIp, now).take(now)) return 'ip';
    if (this.#cfg.perRoute.rps > 0 && !keyed(this.#routes, route, this.#cfg.perRoute, now).take(now)) return 'route';
    if (this.#global && !this.#global.take(now)) return 'global';
    return undefined;
  }

  describe(scope: LimitScope): BucketConfig {
    return scope === 'global' ? this.#cfg.global : scope === 'route' ? this.#cfg.perRoute : this.#cfg.perIp;
  }
}

function keyed(map: QuickLRU<string, TokenBucket>, key: string, cfg: BucketConfig, now: number): TokenBucket {
  let b = map.get(key);
  if (!b) {
    b = new TokenBucket(cfg, now);
    map.set(key, b);
  }
  return b;
}
