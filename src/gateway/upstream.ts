// Stage 4: calls to slaves over kept-alive connection pools (raw HTTP/1.1 connections per slave), with a
// deadline, and every way a call can fail sorted into a cause the failover and breaker act on.
import { UpstreamConnection, type Exchange } from './UpstreamConnection';

/**
 * refused    nothing listens (ECONNREFUSED): the slave is down.
 * reset      the connection broke before an answer (killed slave, stale kept-alive socket).
 * timeout    no complete answer within the deadline (a hanging slave).
 * truncated  the answer stopped before its declared end.
 * bad_answer the answer is not a JSON document (garbage from the slave).
 * unavailable the slave answered 502/503/504: it cannot serve right now.
 */
export type FailureCause = 'refused' | 'reset' | 'timeout' | 'truncated' | 'bad_answer' | 'unavailable';
export const FAILURE_CAUSES: readonly FailureCause[] = ['refused', 'reset', 'timeout', 'truncated', 'bad_answer', 'unavailable'];

export class UpstreamError extends Error {
  readonly kind: FailureCause;
  readonly addr: string;

  constructor(kind: FailureCause, addr: string, detail: string) {
    super(detail);
    this.kind = kind;
    this.addr = addr;
  }
}

export interface UpstreamAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly hostHeader: string;
  /** Kept-alive connections waiting for a request, most recently used last. */
  readonly idle: UpstreamConnection[];
  /** Callers waiting for a connection while `open` is at the limit. */
  readonly waiting: Array<(c: UpstreamConnection) => void>;
  open: number;
}

export interface UpstreamPoolOptions {
  /** Deadline for one call. */
  readonly timeoutMs: number;
  /** Connections per slave at most. */
  readonly maxSockets: number;
}

export class UpstreamPool {
  readonly #opts: UpstreamPoolOptions;
  readonly #targets = new Map<string, Target>();

  constructor(opts: UpstreamPoolOptions) {
    this.#opts = opts;
  }

  /**
   * One request to `addr` (`http://host:port`). Resolves with any complete HTTP answer whose body
   * is JSON (or empty where HTTP allows it); rejects with an UpstreamError otherwise.
   */
  call(addr: string, method: string, path: string, body: Buffer | undefined, contentType: string | undefined, timeoutMs = this.#opts.timeoutMs): Promise<UpstreamAnswer> {
    const t = this.#target(addr);
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${t.hostHeader}\r\n`;
    if (body && body.length > 0) head += `content-type: ${contentType ?? 'application/json'}\r\ncontent-length: ${body.length}\r\n`;
    else if (method !== 'GET' && method !== 'HEAD') head += 'content-length: 0\r\n';
    head += '\r\n';
    return new Promise((resolve, reject) => {
      let conn: UpstreamConnection | null = null;
      let settled = false;
      let retried = false;
      const finish = (err: UpstreamError | null, answer?: UpstreamAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(answer as UpstreamAnswer);
      };
      const timer = setTimeout(() => {
        finish(new UpstreamError('timeout', addr, `no complete answer within ${timeoutMs} ms`));
        conn?.destroy();
      }, timeoutMs);
      const exchange: Exchange = {
        onAnswer: (raw, keepAlive) => {
          this.#release(t, conn as UpstreamConnection, keepAlive);
          finish(checkAnswer(raw, addr, method), raw);
        },
        onFailure: (kind, detail) => {
          this.#lost(t);
          // A kept-alive connection the slave had just closed: try once more on a fresh one.
          if (kind === 'reset' && !retried && conn && conn.uses > 1 && !settled) {
            retried = true;
            return this.#acquire(t, true, start);
          }
          finish(new UpstreamError(kind, addr, detail));
        },
      };
      const start = (c: UpstreamConnection): void => {
        if (settled) return this.#release(t, c, true);
        conn = c;
        c.send(head, body, exchange, method === 'HEAD');
      };
      this.#acquire(t, false, start);
    });
  }

  /** Closes the connections of a slave that left the cluster. */
  drop(addr: string): void {
    const t = this.#targets.get(addr);
    if (!t) return;
    for (const c of t.idle) c.destroy();
    t.idle.length = 0;
    this.#targets.delete(addr);
  }

  close(): void {
    for (const addr of [...this.#targets.keys()]) this.drop(addr);
  }

  #acquire(t: Target, fresh: boolean, use: (c: UpstreamConnection) => void): void {
    if (!fresh) {
      let c: UpstreamConnection | undefined;
      while ((c = t.idle.pop()) && c.closed);
      if (c) return use(c);
    }
    if (t.open < this.#opts.maxSockets || fresh) {
      t.open++;
      return use(new UpstreamConnection(t.host, t.port));
    }
    t.waiting.push(use);
  }

  #release(t: Target, c: UpstreamConnection, keepAlive: boolean): void {
    if (!keepAlive || c.closed) {
      c.destroy();
      this.#lost(t);
      return;
    }
    const next = t.waiting.shift();
    if (next) return next(c);
    c.onIdleClose = () => {
      const i = t.idle.indexOf(c);
      if (i !== -1) t.idle.splice(i, 1);
      this.#lost(t);
    };
    t.idle.push(c);
  }

  /** A connection is gone; a waiting caller gets a new one. */
  #lost(t: Target): void {
    t.open--;
    const next = t.waiting.shift();
    if (next) {
      t.open++;
      next(new UpstreamConnection(t.host, t.port));
    }
  }

  #target(addr: string): Target {
    let t = this.#targets.get(addr);
    if (!t) {
      const url = new URL(addr);
      t = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), hostHeader: url.host, idle: [], waiting: [], open: 0 };
      this.#targets.set(addr, t);
    }
    return t;
  }
}

/** null when the answer may be passed on; the failure otherwise. */
function checkAnswer(raw: UpstreamAnswer, addr: string, method: string): UpstreamError | null {
  const { status, body } = raw;
  const mayBeEmpty = status === 204 || status === 304 || method === 'HEAD';
  if (!(body.length === 0 && mayBeEmpty) && !looksLikeJson(body)) {
    return new UpstreamError('bad_answer', addr, `answered ${status} with ${body.length} bytes that are not JSON`);
  }
  if (status === 502 || status === 503 || status === 504) return new UpstreamError('unavailable', addr, `answered ${status}`);
  return null;
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
