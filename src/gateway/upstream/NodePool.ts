// The connections to one node: kept-alive ones waiting for a request (most recently used last),
// how many are open, and the bounded queue of callers waiting for one. Connections are handed
// out in loops over live waiters only, never by a callback that hands out the next one.
import type { FailureCause } from './causes';
import type { Connection, ConnectionFactory, ConnectionTarget } from './Connection';
import { WaitQueue, type Waiting } from './WaitQueue';

/** A caller that can take a connection. */
export interface Taker {
  /** Sends the caller's request on `conn`; must not hand connections out itself. */
  use(conn: Connection): void;
  /** Fails the caller without a connection (its node left). */
  abandon(cause: FailureCause, detail: string): void;
  /** The caller's place in the queue while it waits. */
  waiting: Waiting<Taker> | null;
}

export interface NodePoolLimits {
  /** Connections open at most (retries on a fresh connection may pass it by one). */
  readonly maxSockets: number;
  /** Callers waiting for a connection at most. */
  readonly maxWaiting: number;
}

export class NodePool {
  readonly addr: string;
  readonly target: ConnectionTarget;
  readonly #limits: NodePoolLimits;
  readonly #open: ConnectionFactory;
  readonly #idle: Connection[] = [];
  readonly waiting = new WaitQueue<Taker>();
  /** Connections open now, idle or in use. */
  open = 0;
  /** Set once the node echoed a request id: from then on every answer must echo its own. */
  echoes = false;
  /** Set when the node left the cluster: nothing goes back to idle any more. */
  dropped = false;

  constructor(addr: string, target: ConnectionTarget, limits: NodePoolLimits, open: ConnectionFactory) {
    this.addr = addr;
    this.target = target;
    this.#limits = limits;
    this.#open = open;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** Gives `taker` a connection now, queues it, or says the queue is full. */
  acquire(taker: Taker): 'given' | 'queued' | 'full' {
    let c: Connection | undefined;
    // A connection that closed while idle is counted as lost when it reports its close.
    while ((c = this.#idle.pop()) && c.closed);
    if (c) {
      c.onIdleClose = null;
      taker.use(c);
      return 'given';
    }
    if (this.open < this.#limits.maxSockets) {
      this.open++;
      taker.use(this.#open(this.target));
      return 'given';
    }
    if (this.waiting.length >= this.#limits.maxWaiting) return 'full';
    taker.waiting = this.waiting.push(taker);
    return 'queued';
  }

  /** A new connection for a retry, even at the limit. */
  acquireFresh(taker: Taker): void {
    this.open++;
    taker.use(this.#open(this.target));
  }

  /** A connection whose exchange ended with an answer; kept for the next caller when `reusable`. */
  release(conn: Connection, reusable: boolean): void {
    if (!reusable || conn.closed || this.dropped) {
      conn.destroy();
      this.lost();
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      next.waiting = null;
      next.use(conn);
      return;
    }
    conn.onIdleClose = () => {
      const i = this.#idle.lastIndexOf(conn);
      if (i !== -1) this.#idle.splice(i, 1);
      this.lost();
    };
    this.#idle.push(conn);
  }

  /** A connection is gone (failed, destroyed or closed while idle); the first waiter gets a new one. */
  lost(): void {
    this.open--;
    if (this.dropped) return;
    const next = this.waiting.shift();
    if (next) {
      next.waiting = null;
      this.open++;
      next.use(this.#open(this.target));
    }
  }

  /** Closes the idle connections and hands back the callers still waiting. */
  drop(): Taker[] {
    this.dropped = true;
    for (const c of this.#idle.splice(0)) {
      c.onIdleClose = null;
      c.destroy();
      this.open--;
    }
    return this.waiting.drain();
  }
}
