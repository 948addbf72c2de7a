// Stage 4: calls to slaves over kept-alive connection pools (one http.Agent per slave), with a
// deadline, and every way a call can fail sorted into a cause the failover and breaker act on.
import { Agent, request, type IncomingMessage } from 'node:http';

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
  readonly agent: Agent;
  readonly hostname: string;
  readonly port: number;
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
    const headers: Record<string, string | number> = {};
    if (body && body.length > 0) {
      headers['content-length'] = body.length;
      headers['content-type'] = contentType ?? 'application/json';
    } else if (method !== 'GET' && method !== 'HEAD') {
      headers['content-length'] = 0;
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const fail = (kind: FailureCause, detail: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new UpstreamError(kind, addr, detail));
      };
      const req = request({ agent: t.agent, hostname: t.hostname, port: t.port, method, path, headers });
      const timer = setTimeout(() => {
        timedOut = true;
        fail('timeout', `no complete answer within ${timeoutMs} ms`);
        req.destroy();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (timedOut) return;
        fail(err.code === 'ECONNREFUSED' ? 'refused' : 'reset', err.code ?? err.message);
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
        });
        res.on('error', () => {});
        res.on('close', () => {
          if (!res.complete) fail('truncated', `answer cut off after ${size} bytes`);
        });
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) return fail('truncated', `answer cut off after ${size} bytes`);
          const status = res.statusCode ?? 0;
          const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
          const mayBeEmpty = status === 204 || status === 304 || method === 'HEAD';
          if (!(size === 0 && mayBeEmpty) && !looksLikeJson(data)) {
            return fail('bad_answer', `answered ${status} with ${size} bytes that are not JSON`);
          }
          if (status === 502 || status === 503 || status === 504) return fail('unavailable', `answered ${status}`);
          settled = true;
          clearTimeout(timer);
          resolve({ status, contentType: res.headers['content-type'], body: data });
        });
      });
      req.end(body);
    });
  }

  /** Closes the pool of a slave that left the cluster. */
  drop(addr: string): void {
    this.#targets.get(addr)?.agent.destroy();
    this.#targets.delete(addr);
  }

  close(): void {
    for (const t of this.#targets.values()) t.agent.destroy();
    this.#targets.clear();
  }

  #target(addr: string): Target {
    let t = this.#targets.get(addr);
    if (!t) {
      const url = new URL(addr);
      t = {
        agent: new Agent({ keepAlive: true, maxSockets: this.#opts.maxSockets, maxFreeSockets: this.#opts.maxSockets, scheduling: 'lifo' }),
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
      };
      this.#targets.set(addr, t);
    }
    return t;
  }
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
