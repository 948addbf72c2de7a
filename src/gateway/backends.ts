// The slaves the gateway can call right now: follows a MembershipSource, keeps the ring in step
// with it, and holds per-slave state (breaker, counters) that survives membership updates.
import type { BreakerConfig } from '../config/gateway';
import type { Member, MembershipSource } from '../cluster/membership';
import type { Logger } from '../shared/logger';
import { CircuitBreaker } from './breaker';
import { LatencyHistogram } from './LatencyHistogram';
import type { HashRing } from './ring';
import type { UpstreamPool } from './upstream';

export interface Backend {
  readonly id: string;
  readonly addr: string;
  readonly breaker: CircuitBreaker;
  /** Upstream call latency of the current second; the status feed reads and resets it. */
  readonly latency: LatencyHistogram;
  requests: number;
  errors: number;
  lastError: string | undefined;
  /** Unix ms. */
  lastErrorAt: number | undefined;
  lastOkAt: number | undefined;
}

export interface BackendsOptions {
  readonly ring: HashRing;
  readonly pool: UpstreamPool;
  readonly breaker: BreakerConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class Backends {
  readonly ring: HashRing;
  readonly #opts: BackendsOptions;
  readonly #byId = new Map<string, Backend>();
  #list: readonly Backend[] = [];
  #rr = 0;
  #version = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: BackendsOptions) {
    this.#opts = opts;
    this.ring = opts.ring;
  }

  /** Changes on every membership change; scatter plans cached for an older version are rebuilt. */
  get version(): number {
    return this.#version;
  }

  follow(source: MembershipSource): void {
    this.#unsubscribe?.();
    this.update(source.current());
    this.#unsubscribe = source.onChange((m) => this.update(m));
  }

  update(members: readonly Member[]): void {
    const next = new Map(members.map((m) => [m.id, m]));
    for (const [id, b] of this.#byId) {
      const m = next.get(id);
      if (!m || m.addr !== b.addr) {
        this.#byId.delete(id);
        this.#opts.pool.drop(b.addr);
      }
    }
    for (const m of members) {
      if (!this.#byId.has(m.id)) {
        this.#byId.set(m.id, {
          id: m.id,
          addr: m.addr,
          breaker: new CircuitBreaker(this.#opts.breaker, this.#opts.now),
          latency: new LatencyHistogram(),
          requests: 0,
          errors: 0,
          lastError: undefined,
          lastErrorAt: undefined,
          lastOkAt: undefined,
        });
      }
    }
    this.#list = Object.freeze([...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    this.ring.set(this.#list.map((b) => b.id));
    this.#version++;
  }

  get(id: string): Backend | undefined {
    return this.#byId.get(id);
  }

  all(): readonly Backend[] {
    return this.#list;
  }

  /** Ids in the order to try for a routing key: ring owner first. */
  forKey(key: string): readonly string[] {
    return this.ring.candidates(key);
  }

  /** Start index for a request without a routing key: round robin over all slaves. */
  nextSpreadStart(): number {
    const n = this.#list.length;
    if (n === 0) return 0;
    this.#rr = (this.#rr + 1) % n;
    return this.#rr;
  }

  stop(): void {
    this.#unsubscribe?.();
  }
}
