// A small HTTP client for the control plane (registry calls, stats fan-in): one JSON request,
// a deadline, an abort signal, and the envelope (docs/api.md, Conventions) unwrapped. Not for the data hot path.
import { request, type Agent } from 'node:http';

export interface JsonCallOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** Whole-call deadline. Default 2000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly agent?: Agent;
  /** Extra request headers (the cluster token's Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface JsonAnswer {
  readonly status: number;
  /** The parsed envelope, or undefined when the body was not JSON. */
  readonly envelope: { status_code?: number; status_msg?: string; data?: unknown } | undefined;
}

/** Resolves for any HTTP answer; rejects on network errors, timeouts and aborts. */
export function callJson(url: string, opts: JsonCallOptions = {}): Promise<JsonAnswer> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const timeoutMs = opts.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method ?? (payload ? 'POST' : 'GET'),
      agent: opts.agent,
      signal: opts.signal,
      headers: payload ? { ...opts.headers, 'content-type': 'application/json', 'content-length': payload.length } : { ...opts.headers },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs);
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', () => {});
      res.once('end', () => {
        clearTimeout(timer);
        if (!res.complete) {
          reject(new Error(`truncated answer from ${url}`));
          return;
        }
        let envelope: JsonAnswer['envelope'];
        try {
          envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonAnswer['envelope'];
        } catch {
          envelope = undefined;
        }
        resolve({ status: res.statusCode ?? 0, envelope });
      });
    });
    req.end(payload);
  });
}

/** The error text for logs: the code when there is one (ECONNREFUSED), else the message. */
export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : String(e?.message ?? err);
}

/** The Authorization header for the cluster token, or none. */
export function bearer(token: string | undefined): Record<string, string> | undefined {
  return token ? { authorization: `Bearer ${token}` } : undefined;
}
