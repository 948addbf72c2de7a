// One upstream call from start to end: wait for a connection (bounded), send, and accept the
// answer only when it is complete, echoes this request's id (once the node is known to echo),
// is JSON and not a 502/503/504. Every connection it held goes back to its NodePool exactly once,
// reusable only when nothing about the exchange was wrong.
import { UpstreamError, type FailureCause } from './causes';
import type { Connection, Exchange, OutgoingRequest, RawAnswer } from './Connection';
import type { NodePool, Taker } from './NodePool';
import type { Waiting } from './WaitQueue';

export interface UpstreamAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The node's `x-kamaitachi-seq` (applied seq when it answered); passed through to the client. */
  readonly seq: string | undefined;
  readonly body: Buffer;
}

export interface CallLimits {
  /** Deadline of the whole call, waiting included. */
  readonly timeoutMs: number;
  /** Longest wait in the queue for a connection. */
  readonly waitTimeoutMs: number;
  /**
   * The request may be sent again: a kept-alive connection the node closed under it is retried
   * once on a fresh one. False for writes, which are never sent twice.
   */
  readonly idempotent: boolean;
  /** Calls `onSlow` once when the call has not settled this long after it started (hedging); 0 = never. */
  readonly slowAfterMs: number;
}

/** How a call ends: exactly one of onAnswer and onFailure (onFailure from start() itself when the queue is full), neither after cancel(). */
export interface CallHandlers {
  onAnswer(answer: UpstreamAnswer): void;
  onFailure(err: UpstreamError): void;
  /** The call has not settled within `slowAfterMs`; it goes on. */
  onSlow(): void;
}

export class UpstreamCall implements Taker {
  waiting: Waiting<Taker> | null = null;
  readonly #node: NodePool;
  #request: OutgoingRequest | null;
  readonly #limits: CallLimits;
  readonly #handlers: CallHandlers;
  #timer: NodeJS.Timeout | undefined;
  #waitTimer: NodeJS.Timeout | undefined;
  #settled = false;
  #retried = false;
  /** The connection of the current exchange, until it reports how the exchange ended. */
  #conn: Connection | null = null;

  constructor(node: NodePool, request: OutgoingRequest, limits: CallLimits, handlers: CallHandlers) {
    this.#node = node;
    this.#request = request;
    this.#limits = limits;
    this.#handlers = handlers;
  }

  start(): void {
    const { timeoutMs, waitTimeoutMs, slowAfterMs } = this.#limits;
    // One timer per call on the hot path: the slow mark first when there is one, then the deadline.
    this.#timer = slowAfterMs > 0 && slowAfterMs < timeoutMs ? setTimeout(() => this.#slow(), slowAfterMs) : setTimeout(() => this.#deadline(), timeoutMs);
    const got = this.#node.acquire(this);
    if (got === 'full') {
      this.#fail('queue_full', `${this.#node.waiting.length} callers already wait for a connection to this node`);
    } else if (got === 'queued' && waitTimeoutMs < timeoutMs) {
      this.#waitTimer = setTimeout(() => this.#waitExpired(), waitTimeoutMs);
    }
  }

  use(conn: Connection): void {
    clearTimeout(this.#waitTimer);
    if (this.#settled || !this.#request) {
      // Not reachable while settled calls leave the queue at once; kept so a slip cannot leak a connection.
      this.#node.release(conn, true);
      return;
    }
    this.#conn = conn;
    conn.send(this.#request, this.#exchange(conn));
  }

  abandon(cause: FailureCause, detail: string): void {
    this.#fail(cause, detail);
  }

  /**
   * The caller no longer wants the answer (another node answered first): the call ends without
   * a word to its handlers, leaves the queue, and a connection mid-exchange is closed, so its
   * answer can never reach anyone.
   */
  cancel(): void {
    if (!this.#settled) this.#end();
  }

  /** One exchange on one connection: reports back to the pool once, then settles the call. */
  #exchange(conn: Connection): Exchange {
    return {
      onAnswer: (raw: RawAnswer, reusable: boolean) => {
        this.#conn = null;
        const wrong = this.#wrongEcho(raw);
        this.#node.release(conn, reusable && wrong === undefined);
        if (wrong !== undefined) return this.#fail('mismatch', wrong);
        const bad = checkAnswer(raw, this.#request?.method ?? 'GET');
        if (bad) return this.#fail(bad.cause, bad.detail);
        this.#succeed({ status: raw.status, contentType: raw.contentType, seq: raw.seq, body: raw.body });
      },
      onFailure: (cause: FailureCause, detail: string) => {
        this.#conn = null;
        this.#node.lost();
        // A kept-alive connection the node had just closed: try once more on a fresh one.
        if (cause === 'reset' && conn.uses > 1 && this.#limits.idempotent && !this.#retried && !this.#settled) {
          this.#retried = true;
          return this.#node.acquireFresh(this);
        }
        this.#fail(cause, detail);
      },
    };
  }

  /** Why the answer is not this request's, or undefined when it is (or cannot be told). */
  #wrongEcho(raw: RawAnswer): string | undefined {
    const id = this.#request?.requestId;
    if (raw.echo === undefined) return this.#node.echoes ? `the answer carries no request id echo (expected ${id})` : undefined;
    if (raw.echo !== id) return `the answer echoes request ${raw.echo}, not ${id}`;
    this.#node.echoes = true;
    return undefined;
  }

  #slow(): void {
    if (this.#settled) return;
    const { timeoutMs, slowAfterMs } = this.#limits;
    this.#timer = setTimeout(() => this.#deadline(), timeoutMs - slowAfterMs);
    this.#handlers.onSlow();
  }

  #deadline(): void {
    if (this.#settled) return;
    const { timeoutMs } = this.#limits;
    if (this.waiting) return this.#waitExpired();
    const conn = this.#conn;
    if (conn?.answering) this.#fail('stalled', `the answer was not complete within ${timeoutMs} ms`);
    else this.#fail('timeout', `no answer within ${timeoutMs} ms`);
  }

  #waitExpired(): void {
    if (this.#settled || !this.waiting) return;
    this.#fail('queue_timeout', `waited ${Math.min(this.#limits.waitTimeoutMs, this.#limits.timeoutMs)} ms with ${this.#node.waiting.length} callers queued`);
  }

  #succeed(answer: UpstreamAnswer): void {
    if (this.#settled) return;
    this.#end();
    this.#handlers.onAnswer(answer);
  }

  #fail(cause: FailureCause, detail: string): void {
    if (this.#settled) return;
    this.#end();
    this.#handlers.onFailure(new UpstreamError(cause, this.#node.addr, detail));
  }

  /** Settles: leaves the queue, drops the body, and cuts a connection still mid-exchange. */
  #end(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#waitTimer);
    if (this.waiting) {
      this.#node.waiting.remove(this.waiting);
      this.waiting = null;
    }
    this.#request = null;
    // Its answer can no longer be delivered; the connection reports the close and is counted lost then.
    this.#conn?.destroy();
  }
}

interface Rejection {
  readonly cause: FailureCause;
  readonly detail: string;
}

/** undefined when the answer may be passed on; the failure otherwise. */
function checkAnswer(raw: RawAnswer, method: string): Rejection | undefined {
  const { status, body } = raw;
  const mayBeEmpty = status === 204 || status === 304 || method === 'HEAD';
  if (!(body.length === 0 && mayBeEmpty) && !looksLikeJson(body)) {
    return { cause: 'bad_answer', detail: `answered ${status} with ${body.length} bytes that are not JSON` };
  }
  if (status === 502 || status === 503 || status === 504) return { cause: 'unavailable', detail: `answered ${status}` };
  return undefined;
}

/**
 * A cheap check instead of JSON.parse on the hot path: the body starts with { or [ and ends with
 * } or ] (whitespace aside). It catches HTML error pages, text and most truncations.
 */
function looksLikeJson(b: Buffer): boolean {
  let i = 0;
  let j = b.length - 1;
  while (i <= j && isSpace(b[i])) i++;
  while (j >= i && isSpace(b[j])) j--;
  if (i > j) return false;
  const first = b[i];
  const last = b[j];
  return (first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
