// The nodes the gateway can call right now: follows a MembershipSource, keeps the ring in step
// with it, and holds each node's state (breaker, counters) across membership updates. The
// counters change only through the record* methods, in the order a call meets them.
import type { BreakerConfig } from '../config/gateway';
import type { Member, MembershipSource } from '../cluster/membership';
import type { Logger } from '../shared/logger';
import { CircuitBreaker } from './breaker';
import { LatencyHistogram } from './LatencyHistogram';
import type { HashRing } from './ring';
import type { UpstreamPool } from './upstream';

/** What the gateway knows about one node (a member it routes to). */
export interface NodeState {
  readonly id: string;
  readonly addr: string;
  readonly breaker: CircuitBreaker;
  /** Upstream call latency of the current second; the status feed reads and resets it. */
  readonly latency: LatencyHistogram;
  /** Upstream calls made to it since it joined. */
  readonly requests: number;
  /** Of those, the calls that failed. */
  readonly errors: number;
  readonly lastError: string | undefined;
  /** Unix ms. */
  readonly lastErrorAt: number | undefined;
  readonly lastOkAt: number | undefined;
}

/** Only Nodes writes a NodeState; everyone else sees it read-only. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface NodesOptions {
  readonly ring: HashRing;
  readonly pool: UpstreamPool;
  readonly breaker: BreakerConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class Nodes {
  readonly ring: HashRing;
  readonly #opts: NodesOptions;
  readonly #now: () => number;
  readonly #byId = new Map<string, NodeState>();
  #list: readonly NodeState[] = [];
  #rr = 0;
  #version = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: NodesOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.ring = opts.ring;
  }

  /** Changes on every membership change; scatter plans made for an older version are rebuilt. */
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
        this.#opts.pool.drop(n.addr);
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
    this.ring.set(this.#list.map((n) => n.id));
    this.#version++;
  }

  get(id: string): NodeState | undefined {
    return this.#byId.get(id);
  }

  all(): readonly NodeState[] {
    return this.#list;
  }

  /** Ids in the order to try for a routing key: ring owner first. */
  forKey(key: string): readonly string[] {
    return this.ring.candidates(key);
  }

  /** Start index for a request without a routing key: round robin over all nodes. */
  nextSpreadStart(): number {
    const n = this.#list.length;
    if (n === 0) return 0;
    this.#rr = (this.#rr + 1) % n;
    return this.#rr;
  }

  /** An upstream call is about to be made to `node`. */
  recordCall(node: NodeState): void {
    (node as Writable<NodeState>).requests++;
  }

  /** `node` answered with `status`. A 500 is about the request, not the node's health: neither a success nor a failure for its breaker. */
  recordAnswer(node: NodeState, status: number, ms: number): void {
    node.latency.record(ms);
    if (status === 500) node.breaker.release();
    else node.breaker.onSuccess();
    (node as Writable<NodeState>).lastOkAt = this.#now();
  }

  /** The call to `node` failed; `reason` says how, for /monitor/status. */
  recordFailure(node: NodeState, reason: string, ms: number): void {
    node.latency.record(ms);
    node.breaker.onFailure();
    const n = node as Writable<NodeState>;
    n.errors++;
    n.lastError = reason;
    n.lastErrorAt = this.#now();
  }

  stop(): void {
    this.#unsubscribe?.();
  }
}
