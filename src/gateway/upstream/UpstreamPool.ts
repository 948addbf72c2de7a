// Stage 4: calls to nodes over kept-alive connections, one NodePool per node, each call with a
// deadline and a bounded wait for a connection. Every way a call can fail is sorted into a
// cause (causes.ts) that failover and the breakers act on.
import type { ConnectionFactory, OutgoingRequest } from './Connection';
import { NodePool } from './NodePool';
import { UpstreamCall, type CallHandlers, type UpstreamAnswer } from './UpstreamCall';
import { RawConnection } from './RawConnection';

export interface UpstreamPoolOptions {
  /** Deadline of one call, waiting for a connection included. */
  readonly timeoutMs: number;
  /** Connections per node at most. */
  readonly maxSockets: number;
  /** Callers waiting for a connection per node at most; more are refused at once (queue_full). */
  readonly maxWaiting: number;
  /** Longest wait for a connection (queue_timeout); the call deadline bounds it too. */
  readonly waitTimeoutMs: number;
  /** Longest answer body accepted (too_large beyond). */
  readonly maxAnswerBytes: number;
  /** Opens one connection; tests and benchmarks inject another client. */
  readonly connect?: ConnectionFactory;
}

export class UpstreamPool {
  readonly #opts: UpstreamPoolOptions;
  readonly #connect: ConnectionFactory;
  readonly #nodes = new Map<string, NodePool>();
  #lastId = 0;

  constructor(opts: UpstreamPoolOptions) {
    this.#opts = Object.freeze({ ...opts });
    this.#connect = opts.connect ?? ((t) => new RawConnection(t));
  }

  /**
   * One request to `addr` (`http://host:port`). Resolves with a complete answer to this very
   * request whose body is JSON (or empty where HTTP allows it); rejects with an UpstreamError.
   */
  call(addr: string, method: string, path: string, body: Buffer | undefined, contentType: string | undefined, timeoutMs = this.#opts.timeoutMs): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      const handlers: CallHandlers = { onAnswer: resolve, onFailure: reject, onSlow() {} };
      // The fan-out's calls (stats, cache reset) are safe to send twice.
      this.start(addr, method, path, body, contentType, { idempotent: true, slowAfterMs: 0, timeoutMs }, handlers);
    });
  }

  /**
   * The same call with its ends as callbacks, and a handle to cancel it: what hedged reads use.
   * `idempotent` allows the one retry on a fresh connection; `slowAfterMs` (0 = never) calls
   * `handlers.onSlow` once while the call goes on.
   */
  start(
    addr: string,
    method: string,
    path: string,
    body: Buffer | undefined,
    contentType: string | undefined,
    o: { readonly idempotent: boolean; readonly slowAfterMs: number; readonly timeoutMs?: number },
    handlers: CallHandlers,
  ): UpstreamCall {
    const node = this.#node(addr);
    const request: OutgoingRequest = { method, path, body, contentType, requestId: String(++this.#lastId) };
    const limits = { timeoutMs: o.timeoutMs ?? this.#opts.timeoutMs, waitTimeoutMs: this.#opts.waitTimeoutMs, idempotent: o.idempotent, slowAfterMs: o.slowAfterMs };
    const call = new UpstreamCall(node, request, limits, handlers);
    call.start();
    return call;
  }

  /** Connections open, idle and callers waiting for `addr`; undefined for a node never called. */
  stats(addr: string): { open: number; idle: number; waiting: number } | undefined {
    const n = this.#nodes.get(addr);
    return n && { open: n.open, idle: n.idleCount, waiting: n.waiting.length };
  }

  /** Closes the connections of a node that left the cluster; its waiting callers fail at once. */
  drop(addr: string): void {
    const node = this.#nodes.get(addr);
    if (!node) return;
    this.#nodes.delete(addr);
    for (const taker of node.drop()) taker.abandon('unavailable', 'the node left the cluster');
  }

  close(): void {
    for (const addr of [...this.#nodes.keys()]) this.drop(addr);
  }

  #node(addr: string): NodePool {
    let node = this.#nodes.get(addr);
    if (!node) {
      const url = new URL(addr);
      const target = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), hostHeader: url.host, maxAnswerBytes: this.#opts.maxAnswerBytes };
      node = new NodePool(addr, target, { maxSockets: this.#opts.maxSockets, maxWaiting: this.#opts.maxWaiting }, this.#connect);
      this.#nodes.set(addr, node);
    }
    return node;
  }
}
