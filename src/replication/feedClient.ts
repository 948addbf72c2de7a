// The follower's two calls to the master: one feed poll (JSON) and the dump download (streamed
// to a file and fsynced). Kept-alive connections, a deadline per call, an abort signal.
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';

export interface FeedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed envelope, or undefined when the body was not JSON. */
  readonly envelope: { status_msg?: string; data?: unknown } | undefined;
}

export class FeedClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 2 });
  readonly #headers: Record<string, string>;

  constructor(token: string | undefined) {
    this.#headers = token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Resolves for any HTTP answer; rejects on network errors (err.code ECONNREFUSED etc.) and timeouts. */
  get(url: string, timeoutMs: number, signal: AbortSignal): Promise<FeedAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.#agent, headers: this.#headers, signal, timeout: timeoutMs });
      req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${url} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          if (!res.complete) return reject(new Error(`truncated answer from ${url}`));
          let envelope: FeedAnswer['envelope'];
          try {
            envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FeedAnswer['envelope'];
          } catch {
            envelope = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, envelope });
        });
      });
      req.end();
    });
  }

  /** Streams `url` into `file` and fsyncs it; returns the answer's headers. Removes the file on failure. */
  async download(url: string, file: string, timeoutMs: number, signal: AbortSignal): Promise<IncomingHttpHeaders> {
    try {
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = request(url, { agent: this.#agent, headers: this.#headers, signal, timeout: timeoutMs });
        req.once('timeout', () => req.destroy(new Error(`the dump from ${url} stalled for ${timeoutMs} ms`)));
        req.once('error', reject);
        req.once('response', resolve);
        req.end();
      });
      if (res.statusCode !== 200) {
        res.resume();
        throw new Error(`${url} answered ${res.statusCode}`);
      }
      await pipeline(res, createWriteStream(file));
      const expected = Number(res.headers['content-length']);
      const fh = await open(file, 'r+');
      try {
        const { size } = await fh.stat();
        if (Number.isFinite(expected) && size !== expected) throw new Error(`the dump from ${url} ended after ${size} of ${expected} bytes`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return res.headers;
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}
