// The nodes the gateway can call right now: follows a MembershipSource, holds each node's state
// (breaker, counters, health, ejection, hedge delay) across membership updates, and keeps the
// ring in step with the nodes that may be routed to: members, less those the health checks
// found down and those ejected as outliers (docs/design.md#faults). Routing reads the ring
// only, so none of this costs the hot path anything. The counters change only through the
// record* methods, in the order a call meets them.
import type { BreakerConfig, EjectionConfig, HealthCheckConfig, HedgeAfter } from '../config/gateway';
import type { Member, MembershipSource } from '../cluster/membership';
import type { Logger } from '../shared/logger';
import { CircuitBreaker } from './breaker';
import { ejectionMs, mayEject } from './ejection';
import { HedgeDelay } from './HedgeDelay';
import { LatencyHistogram } from './LatencyHistogram';
import type { HashRing } from './ring';
import type { UpstreamPool } from './upstream';

/**
 * unknown  not checked yet (or checks are off): routed to.
 * up       answered its last health checks.
 * down     missed `unhealthyAfter` checks in a row: out of the ring until `healthyAfter` passes in a row.
 */
export type Health = 'unknown' | 'up' | 'down';

/** What the gateway knows about one node (a member it routes to). */
export interface NodeState {
  readonly id: string;
  readonly addr: string;
  readonly breaker: CircuitBreaker;
  /** Upstream call latency of the current second; the status feed reads and resets it. */
  readonly latency: LatencyHistogram;
  /** When a read to it is hedged. */
  readonly hedge: HedgeDelay;
  /** Upstream calls made to it since it joined. */
  readonly requests: number;
  /** Of those, the calls that failed. */
  readonly errors: number;
  readonly lastError: string | undefined;
  /** Unix ms. */
  readonly lastErrorAt: number | undefined;
  readonly lastOkAt: number | undefined;
  readonly health: Health;
  /** Why the last health check failed; undefined once one passes. */
  readonly healthError: string | undefined;
  /** Misses in a row while not down, passes in a row while down. */
  readonly healthStreak: number;
  /** Failed calls in a row (timeouts, transport failures, 502/503/504); ejection counts them. */
  readonly consecutiveErrors: number;
  /** Unix ms until which it is ejected; 0 while it is not. */
  readonly ejectedUntil: number;
  /** Times it was ejected since it joined. */
  readonly ejections: number;
  /** Ejections in a row, each ending less than max_ejection_ms before the next: the doubling. */
  readonly ejectionRepeats: number;
  /** Unix ms when its last ejection ended; 0 if never. */
  readonly ejectionEndedAt: number;
}

/** Only Nodes writes a NodeState; everyone else sees it read-only. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

export type NodeEventKind = 'member_down' | 'member_up' | 'ejected' | 'ejection_ended';

export interface NodesOptions {
  readonly ring: HashRing;
  readonly pool: UpstreamPool;
  readonly breaker: BreakerConfig;
  readonly ejection: EjectionConfig;
  readonly health: HealthCheckConfig;
  readonly hedgeAfter: HedgeAfter;
  /** Bounds the hedge delay. */
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
  /** Health and ejection changes, for the status page's event log. */
  readonly onEvent?: (kind: NodeEventKind, id: string, text: string) => void;
  readonly now?: () => number;
}

export class Nodes {
  readonly ring: HashRing;
  readonly #opts: NodesOptions;
  readonly #now: () => number;
  readonly #byId = new Map<string, NodeState>();
  readonly #timers = new Map<NodeState, NodeJS.Timeout>();
  #list: readonly NodeState[] = [];
  #routing: readonly NodeState[] = [];
  #rr = 0;
  #version = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: NodesOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.ring = opts.ring;
  }

  /** Changes whenever the ring does; scatter plans made for an older version are rebuilt. */
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
    for (const [id, n] of this.#byId) {
      const m = next.get(id);
      if (!m || m.addr !== n.addr) {
        this.#byId.delete(id);
        clearTimeout(this.#timers.get(n));
        this.#timers.delete(n);
        this.#opts.pool.drop(n.addr);
      }
    }
    const fixed = typeof this.#opts.hedgeAfter === 'number' ? this.#opts.hedgeAfter : undefined;
    for (const m of members) {
      if (!this.#byId.has(m.id)) {
        this.#byId.set(m.id, {
          id: m.id,
          addr: m.addr,
          breaker: new CircuitBreaker(this.#opts.breaker, this.#opts.now),
          latency: new LatencyHistogram(),
          hedge: new HedgeDelay(fixed, this.#opts.upstreamTimeoutMs),
          requests: 0,
          errors: 0,
          lastError: undefined,
          lastErrorAt: undefined,
          lastOkAt: undefined,
          health: 'unknown',
          healthError: undefined,
          healthStreak: 0,
          consecutiveErrors: 0,
          ejectedUntil: 0,
          ejections: 0,
          ejectionRepeats: 0,
          ejectionEndedAt: 0,
        });
      }
    }
    this.#list = Object.freeze([...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    this.#rebuild();
  }

  get(id: string): NodeState | undefined {
    return this.#byId.get(id);
  }

  /** Every member, whether routed to or not. */
  all(): readonly NodeState[] {
    return this.#list;
  }

  /** The nodes on the ring: members neither down nor ejected, or every member when that leaves none. */
  routing(): readonly NodeState[] {
    return this.#routing;
  }

  /** True while `node` is out of the ring by a health verdict or an ejection. */
  isOut(node: NodeState): boolean {
    return node.health === 'down' || node.ejectedUntil !== 0;
  }

  /** Ids in the order to try for a routing key: ring owner first. */
  forKey(key: string): readonly string[] {
    return this.ring.candidates(key);
  }

  /** Start index into routing() for a request without a routing key: round robin. */
  nextSpreadStart(): number {
    const n = this.#routing.length;
    if (n === 0) return 0;
    this.#rr = (this.#rr + 1) % n;
    return this.#rr;
  }

  /** An upstream call is about to be made to `node`. */
  recordCall(node: NodeState): void {
    (node as Writable<NodeState>).requests++;
  }

  /** `node` answered with `status`. A 500 is about the request, not the node's health: neither a success nor a failure for its breaker or ejection. */
  recordAnswer(node: NodeState, status: number, ms: number): void {
    node.latency.record(ms);
    node.hedge.record(ms);
    const n = node as Writable<NodeState>;
    if (status === 500) node.breaker.release();
    else {
      node.breaker.onSuccess();
      n.consecutiveErrors = 0;
    }
    n.lastOkAt = this.#now();
  }

  /** The call to `node` failed; `reason` says how, for /monitor/status. */
  recordFailure(node: NodeState, reason: string, ms: number): void {
    node.latency.record(ms);
    node.breaker.onFailure();
    const n = node as Writable<NodeState>;
    n.errors++;
    n.lastError = reason;
    n.lastErrorAt = this.#now();
    this.#countError(n);
  }

  /**
   * The call to `node` was cancelled because another node answered first: neither a success nor
   * a failure (a stall of a second is what hedging is for, not a reason to eject; a node that
   * stays hung fails its health checks). `slow`: it had been given its own hedge time, so its
   * next reads are hedged sooner until it answers again.
   */
  recordCancelled(node: NodeState, ms: number, slow: boolean): void {
    node.latency.record(ms);
    node.breaker.release();
    if (slow) node.hedge.lost();
  }

  /** A health check of `node` passed or failed (`detail` says why). */
  recordHealth(node: NodeState, ok: boolean, detail?: string): void {
    if (this.#byId.get(node.id) !== node) return;
    const n = node as Writable<NodeState>;
    const { unhealthyAfter, healthyAfter } = this.#opts.health;
    n.healthError = ok ? undefined : detail;
    if (n.health === 'down') {
      n.healthStreak = ok ? n.healthStreak + 1 : 0;
      if (n.healthStreak < healthyAfter) return;
      n.health = 'up';
      n.healthStreak = 0;
      this.#event('member_up', n, `${n.id} passed ${healthyAfter} health checks in a row: back in the ring`);
      this.#rebuild();
      return;
    }
    if (ok) {
      n.health = 'up';
      n.healthStreak = 0;
      return;
    }
    if (++n.healthStreak < unhealthyAfter) return;
    n.health = 'down';
    n.healthStreak = 0;
    this.#event('member_down', n, `${n.id} missed ${unhealthyAfter} health checks in a row (${detail ?? 'no answer'}): out of the ring`);
    this.#rebuild();
  }

  stop(): void {
    this.#unsubscribe?.();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #countError(n: Writable<NodeState>): void {
    n.consecutiveErrors++;
    const limit = this.#opts.ejection.consecutiveErrors;
    if (limit > 0 && n.consecutiveErrors >= limit && n.ejectedUntil === 0) this.#eject(n);
  }

  #eject(n: Writable<NodeState>): void {
    const cfg = this.#opts.ejection;
    const ejected = this.#list.reduce((k, m) => k + (m.ejectedUntil !== 0 ? 1 : 0), 0);
    // At the limit the node stays in and keeps counting: the next failure tries again.
    if (!mayEject(cfg, ejected, this.#list.length)) return;
    const now = this.#now();
    if (n.ejectionEndedAt !== 0 && now - n.ejectionEndedAt > cfg.maxMs) n.ejectionRepeats = 0;
    const ms = ejectionMs(cfg, n.ejectionRepeats);
    n.ejectionRepeats++;
    n.ejections++;
    n.ejectedUntil = now + ms;
    const errors = n.consecutiveErrors;
    n.consecutiveErrors = 0;
    const timer = setTimeout(() => this.#endEjection(n), ms);
    timer.unref();
    this.#timers.set(n, timer);
    this.#event('ejected', n, `${n.id} ejected for ${ms} ms after ${errors} failures in a row (${n.lastError ?? 'slower than its hedge time'})`);
    this.#rebuild();
  }

  #endEjection(n: Writable<NodeState>): void {
    this.#timers.delete(n);
    if (this.#byId.get(n.id) !== n) return;
    const interval = this.#opts.health.intervalMs;
    if (interval > 0 && n.healthError !== undefined) {
      // Its last health check failed too: a node still hung would only be ejected again after
      // costing a round of hedges. It comes back once a check passes (or the checks take it down).
      n.ejectedUntil = this.#now() + interval;
      const timer = setTimeout(() => this.#endEjection(n), interval);
      timer.unref();
      this.#timers.set(n, timer);
      return;
    }
    n.ejectedUntil = 0;
    n.ejectionEndedAt = this.#now();
    n.consecutiveErrors = 0;
    this.#event('ejection_ended', n, `${n.id} back in the ring after its ejection`);
    this.#rebuild();
  }

  /** The ring holds the routable nodes; with none routable, all members (better a try than a certain 503). */
  #rebuild(): void {
    const routable = this.#list.filter((n) => !this.isOut(n));
    this.#routing = Object.freeze(routable.length > 0 ? routable : this.#list);
    this.ring.set(this.#routing.map((n) => n.id));
    this.#version++;
  }

  #event(kind: NodeEventKind, n: NodeState, text: string): void {
    const level = kind === 'member_up' || kind === 'ejection_ended' ? 'info' : 'warn';
    this.#opts.logger[level]({ event: kind, node: n.id, addr: n.addr }, text);
    this.#opts.onEvent?.(kind, n.id, text);
  }
}
