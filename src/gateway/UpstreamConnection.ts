// One kept-alive HTTP/1.1 connection to a slave, carrying one request at a time. A raw socket
// instead of node:http's client: profiling the gateway showed ClientRequest, the Agent and
// their streams taking about half of its CPU per proxied request, while all it needs is to
// write a prebuilt head and body and read back status, content-type and a framed body.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** How an exchange ended without an answer; the pool turns these into failure causes. */
export type ConnectionFailure = 'refused' | 'reset' | 'truncated' | 'bad_answer';

export interface Exchange {
  onAnswer(answer: RawAnswer, keepAlive: boolean): void;
  onFailure(kind: ConnectionFailure, detail: string): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

const enum Framing {
  Length,
  Chunked,
  UntilClose,
}

export class UpstreamConnection {
  readonly #socket: Socket;
  #exchange: Exchange | null = null;
  /** Bytes received for the current answer and not yet consumed. */
  #buf: Buffer | null = null;
  #head: { status: number; contentType: string | undefined; framing: Framing; length: number; keepAlive: boolean } | null = null;
  #chunks: Buffer[] = [];
  #received = 0;
  #closed = false;
  #connected = false;
  #headRequest = false;
  /** Requests sent over this connection so far. */
  uses = 0;
  /** Set when the connection is idle in the pool; a close then is just the slave hanging up. */
  onIdleClose: (() => void) | null = null;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port });
    this.#socket.setNoDelay(true);
    this.#socket.on('connect', () => (this.#connected = true));
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#onClose(err));
    this.#socket.on('close', () => this.#onClose(null));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one request; the exchange hears exactly once how it ended. */
  send(head: string, body: Buffer | undefined, exchange: Exchange, headRequest = false): void {
    this.uses++;
    this.#headRequest = headRequest;
    this.#exchange = exchange;
    this.#head = null;
    this.#buf = null;
    this.#chunks = [];
    this.#received = 0;
    this.onIdleClose = null;
    if (body && body.length > 0) {
      this.#socket.cork();
      this.#socket.write(head, 'latin1');
      this.#socket.write(body);
      this.#socket.uncork();
    } else this.#socket.write(head, 'latin1');
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (!this.#exchange) {
      // Bytes nobody asked for: the connection is out of step, never reuse it.
      this.#socket.destroy();
      return;
    }
    this.#buf = this.#buf ? Buffer.concat([this.#buf, chunk]) : chunk;
    try {
      this.#parse();
    } catch (err) {
      this.#fail('bad_answer', (err as Error).message);
      this.#socket.destroy();
    }
  }

  #parse(): void {
    if (!this.#head) {
      const buf = this.#buf!;
      const end = buf.indexOf(CRLFCRLF);
      if (end === -1) {
        if (buf.length > MAX_HEAD) throw new Error(`answer head longer than ${MAX_HEAD} bytes`);
        return;
      }
      this.#head = parseHead(buf.toString('latin1', 0, end));
      // The answer to HEAD has a content-length but no body.
      if (this.#headRequest) this.#head = { ...this.#head, framing: Framing.Length, length: 0 };
      this.#buf = buf.subarray(end + 4);
      if (this.#head.status < 200) {
        // An interim 1xx answer: the real one follows.
        this.#head = null;
        if (this.#buf.length > 0) this.#parse();
        return;
      }
    }
    const head = this.#head;
    if (head.framing === Framing.Length) {
      const buf = this.#buf!;
      if (buf.length < head.length) return;
      this.#complete(buf.length === head.length ? buf : buf.subarray(0, head.length));
    } else if (head.framing === Framing.Chunked) {
      this.#parseChunks();
    } else {
      this.#chunks.push(this.#buf!);
      this.#received += this.#buf!.length;
      this.#buf = null;
    }
  }

  #parseChunks(): void {
    let buf = this.#buf!;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n');
      if (lineEnd === -1) break;
      const size = parseInt(buf.toString('latin1', 0, lineEnd).split(';')[0], 16);
      if (!Number.isFinite(size)) throw new Error('invalid chunk size');
      if (size === 0) {
        // Trailers (none expected) end with an empty line.
        const end = buf.indexOf(CRLFCRLF, lineEnd);
        if (end === -1 && buf.length - lineEnd < 4) break;
        this.#complete(Buffer.concat(this.#chunks, this.#received));
        return;
      }
      if (buf.length < lineEnd + 2 + size + 2) break;
      this.#chunks.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.#received += size;
      buf = buf.subarray(lineEnd + 2 + size + 2);
    }
    this.#buf = buf;
  }

  #complete(body: Buffer): void {
    const head = this.#head!;
    const exchange = this.#exchange!;
    this.#exchange = null;
    this.#head = null;
    this.#buf = null;
    this.#chunks = [];
    exchange.onAnswer({ status: head.status, contentType: head.contentType, body }, head.keepAlive);
  }

  #onClose(err: NodeJS.ErrnoException | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    if (!this.#exchange) {
      this.onIdleClose?.();
      return;
    }
    const head = this.#head;
    if (head && head.framing === Framing.UntilClose) {
      // A body delimited by the close: this close is its end.
      const body = Buffer.concat(this.#chunks, this.#received);
      const exchange = this.#exchange;
      this.#exchange = null;
      exchange.onAnswer({ status: head.status, contentType: head.contentType, body }, false);
      return;
    }
    if (!this.#connected && err?.code === 'ECONNREFUSED') return this.#fail('refused', 'ECONNREFUSED');
    if (head) return this.#fail('truncated', `answer cut off after ${this.#received + (this.#buf?.length ?? 0)} bytes`);
    this.#fail('reset', err?.code ?? 'the slave closed the connection before answering');
  }

  #fail(kind: ConnectionFailure, detail: string): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    exchange?.onFailure(kind, detail);
  }
}

function parseHead(text: string) {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
  if (!m) throw new Error('answer does not start with an HTTP/1.x status line');
  let keepAlive = m[1] === '1';
  let length = -1;
  let chunked = false;
  let contentType: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      length = Number(value);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`invalid content-length "${value}"`);
    } else if (name === 'content-type') contentType = value;
    else if (name === 'transfer-encoding') chunked = /chunked\s*$/i.test(value);
    else if (name === 'connection') keepAlive = !/close/i.test(value) && (keepAlive || /keep-alive/i.test(value));
  }
  const status = Number(m[2]);
  const framing = chunked ? Framing.Chunked : length >= 0 || status === 204 || status === 304 ? Framing.Length : Framing.UntilClose;
  if (framing === Framing.UntilClose) keepAlive = false;
  return { status, contentType, framing, length: Math.max(length, 0), keepAlive };
}
