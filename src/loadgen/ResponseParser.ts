// Just enough of an HTTP/1.1 response parser for a load generator: the status code, where the
// body ends (content-length, chunked, or connection close) and whether the connection stays
// open. Bodies are skipped without copying; only an incomplete head or chunk-size line is kept.

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('content-length:');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding:');
const CONNECTION = Buffer.from('connection:');
/** A head this large is not an answer from a kamaitachi node; stop instead of buffering on. */
const MAX_LINE_BYTES = 64 * 1024;

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

export type OnResponse = (status: number, keepAlive: boolean) => void;

export class ResponseParser {
  #state = State.Head;
  /** Unparsed bytes of a line-oriented state (head, chunk size, trailers) split across reads. */
  #pending: Buffer | null = null;
  #status = 0;
  #keepAlive = true;
  #remaining = 0;
  readonly #onResponse: OnResponse;

  constructor(onResponse: OnResponse) {
    this.#onResponse = onResponse;
  }

  /** True between the first byte of a response and its end. */
  get inResponse(): boolean {
    return this.#state !== State.Head || this.#pending !== null;
  }

  reset(): void {
    this.#state = State.Head;
    this.#pending = null;
    this.#remaining = 0;
  }

  /** Feeds received bytes; calls onResponse for each completed response. Throws on garbage. */
  execute(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF, pos);
          if (end === -1) return this.#stash(buf, pos);
          pos = this.#parseHead(buf, pos, end);
          break;
        }
        case State.Body: {
          const take = Math.min(this.#remaining, len - pos);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case State.ChunkSize: {
          const end = buf.indexOf(CRLF, pos);
          if (end === -1) return this.#stash(buf, pos);
          const size = parseHex(buf, pos, end);
          pos = end + 2;
          if (size === 0) this.#state = State.Trailers;
          else {
            this.#remaining = size;
            this.#state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, len - pos);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#remaining = 2;
            this.#state = State.ChunkEnd;
          }
          break;
        }
        case State.ChunkEnd: {
          const take = Math.min(this.#remaining, len - pos);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = buf.indexOf(CRLF, pos);
          if (end === -1) return this.#stash(buf, pos);
          // An empty line ends the trailers and the response.
          if (end === pos) this.#complete();
          pos = end + 2;
          break;
        }
        case State.UntilClose:
          return;
      }
    }
  }

  /**
   * The connection closed. Returns true when that completed a response (a body delimited by
   * close), false when nothing was in progress; throws when a response was cut short.
   */
  finish(): boolean {
    if (this.#state === State.UntilClose) {
      this.#keepAlive = false;
      this.#complete();
      return true;
    }
    if (this.inResponse) throw new Error('connection closed in the middle of a response');
    return false;
  }

  #stash(buf: Buffer, pos: number): void {
    if (buf.length - pos > MAX_LINE_BYTES) throw new Error(`response head or chunk line longer than ${MAX_LINE_BYTES} bytes`);
    // Copy: the socket may reuse the chunk's memory.
    this.#pending = Buffer.from(buf.subarray(pos));
  }

  /** Parses the status line and the three headers that matter; returns where the body starts. */
  #parseHead(buf: Buffer, start: number, end: number): number {
    // "HTTP/1.1 200 OK": the version's minor digit at +7, the status at +9..+11.
    if (buf[start] !== 72 || buf[start + 4] !== 47) throw new Error('response does not start with HTTP/');
    const status = (buf[start + 9] - 48) * 100 + (buf[start + 10] - 48) * 10 + (buf[start + 11] - 48);
    if (!(status >= 100 && status <= 999)) throw new Error('response has no valid status code');
    let keepAlive = buf[start + 7] !== 48; // HTTP/1.0 closes unless told otherwise
    let contentLength = -1;
    let chunked = false;
    let line = buf.indexOf(CRLF, start) + 2;
    while (line < end + 2) {
      const lineEnd = buf.indexOf(CRLF, line);
      const first = buf[line] | 0x20;
      if (first === 99 /* c */) {
        if (headerIs(buf, line, lineEnd, CONTENT_LENGTH)) contentLength = parseDecimal(buf, line + CONTENT_LENGTH.length, lineEnd);
        else if (headerIs(buf, line, lineEnd, CONNECTION)) {
          const v = buf.toString('latin1', line + CONNECTION.length, lineEnd).trim().toLowerCase();
          if (v === 'close') keepAlive = false;
          else if (v === 'keep-alive') keepAlive = true;
        }
      } else if (first === 116 /* t */ && headerIs(buf, line, lineEnd, TRANSFER_ENCODING)) {
        chunked = /chunked\s*$/i.test(buf.toString('latin1', line + TRANSFER_ENCODING.length, lineEnd));
      }
      line = lineEnd + 2;
    }
    this.#status = status;
    this.#keepAlive = keepAlive;
    const bodyStart = end + 4;
    if (status < 200) {
      // 1xx: an interim answer; the real one follows.
      this.#state = State.Head;
    } else if (status === 204 || status === 304) {
      this.#complete();
    } else if (chunked) {
      this.#state = State.ChunkSize;
    } else if (contentLength >= 0) {
      this.#remaining = contentLength;
      if (contentLength === 0) this.#complete();
      else this.#state = State.Body;
    } else {
      this.#keepAlive = false;
      this.#state = State.UntilClose;
    }
    return bodyStart;
  }

  #complete(): void {
    this.#state = State.Head;
    this.#remaining = 0;
    this.#onResponse(this.#status, this.#keepAlive);
  }
}

/** Case-insensitive header-name match; `name` is lower case and ends with ':'. */
function headerIs(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start < name.length) return false;
  // OR-ing 0x20 lower-cases letters and leaves '-' and ':' (which have the bit set) alone.
  for (let i = 0; i < name.length; i++) if ((buf[start + i] | 0x20) !== name[i]) return false;
  return true;
}

function parseDecimal(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      digits++;
    } else if (c !== 32 && c !== 9) break;
  }
  if (digits === 0) throw new Error('invalid content-length');
  return n;
}

function parseHex(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] | 0x20;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else break; // chunk extensions (";...") and whitespace end the size
    n = n * 16 + d;
    digits++;
  }
  if (digits === 0) throw new Error('invalid chunk size');
  return n;
}
