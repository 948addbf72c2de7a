// A strict incremental parser of one HTTP/1.1 response (RFC 9112), fed as bytes arrive. It
// accepts what the RFC allows (chunk extensions such as `1f;junk`, trailer fields, a body
// delimited by the close) and refuses everything else: a bad status line or header line, bare
// CR or LF, both content-length and transfer-encoding, a transfer coding other than chunked, a
// chunk size that is not hex digits (`-1`, `0x10`), chunk data not followed by CRLF, a bad
// trailer line. An answer larger than the limit is refused as soon as that is known.
import type { FailureCause } from './causes';

export interface ParsedAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The node's `x-kamaitachi-seq` (its applied seq), passed on to the client. */
  readonly seq: string | undefined;
  readonly echo: string | undefined;
  readonly body: Buffer;
  /** The node may take another request on this connection. */
  readonly keepAlive: boolean;
  /** Bytes followed the answer in what was read: the connection is out of step. */
  readonly surplus: boolean;
}

export class AnswerError extends Error {
  readonly failure: FailureCause;

  constructor(cause: FailureCause, message: string) {
    super(message);
    this.failure = cause;
  }
}

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*$/;
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
const CHUNK_SIZE_LINE = new RegExp(`^([0-9A-Fa-f]{1,16})(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*$`);

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

interface Head {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly seq: string | undefined;
  readonly echo: string | undefined;
  readonly keepAlive: boolean;
}

export class AnswerParser {
  readonly #max: number;
  readonly #noBody: boolean;
  #state = State.Head;
  /** Bytes read but not yet parsed (head, chunk lines, trailers). */
  #pending: Buffer | null = null;
  #head: Head | null = null;
  #chunks: Buffer[] = [];
  #received = 0;
  /** Body bytes still due for the current content-length body or chunk. */
  #due = 0;
  #trailerBytes = 0;

  /** `noBody`: the request was HEAD, so the answer has no body whatever its headers say. */
  constructor(maxAnswerBytes: number, noBody = false) {
    this.#max = maxAnswerBytes;
    this.#noBody = noBody;
  }

  /** True once any byte of the answer arrived. */
  get started(): boolean {
    return this.#head !== null || this.#pending !== null;
  }

  /** Parses `chunk`; the answer once it is complete, null while more is due. Throws AnswerError. */
  feed(chunk: Buffer): ParsedAnswer | null {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = null;
    let at = 0;
    for (;;) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF, at);
          if (end === -1) return this.#keep(buf, at, MAX_HEAD, 'answer head');
          this.#startBody(parseHead(buf.toString('latin1', at, end)));
          at = end + 4;
          break;
        }
        case State.Length: {
          const take = Math.min(this.#due, buf.length - at);
          if (take > 0) this.#chunks.push(buf.subarray(at, at + take));
          this.#due -= take;
          at += take;
          if (this.#due > 0) return null;
          return this.#complete(buf.length > at);
        }
        case State.ChunkSize: {
          const end = buf.indexOf(CRLF, at);
          if (end === -1) return this.#keep(buf, at, MAX_LINE, 'chunk size line');
          const line = buf.toString('latin1', at, end);
          const m = CHUNK_SIZE_LINE.exec(line);
          if (!m) throw new AnswerError('malformed', `invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          const size = parseInt(m[1], 16);
          at = end + 2;
          if (size === 0) {
            this.#state = State.Trailers;
            break;
          }
          this.#grow(size);
          this.#due = size;
          this.#state = State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#due, buf.length - at);
          if (take > 0) this.#chunks.push(buf.subarray(at, at + take));
          this.#due -= take;
          at += take;
          if (this.#due > 0) return null;
          this.#state = State.ChunkEnd;
          break;
        }
        case State.ChunkEnd: {
          if (buf.length - at < 2) return this.#keep(buf, at, 2, 'chunk end');
          if (buf[at] !== 0x0d || buf[at + 1] !== 0x0a) throw new AnswerError('malformed', 'chunk data not followed by CRLF');
          at += 2;
          this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = buf.indexOf(CRLF, at);
          if (end === -1) return this.#keep(buf, at, MAX_LINE, 'trailer line');
          const line = buf.toString('latin1', at, end);
          this.#trailerBytes += end - at + 2;
          if (this.#trailerBytes > MAX_HEAD) throw new AnswerError('malformed', `trailers longer than ${MAX_HEAD} bytes`);
          at = end + 2;
          if (line === '') return this.#complete(buf.length > at);
          if (!FIELD_LINE.test(line)) throw new AnswerError('malformed', `invalid trailer line ${JSON.stringify(line.slice(0, 40))}`);
          break;
        }
        case State.UntilClose: {
          if (buf.length > at) {
            this.#grow(buf.length - at);
            this.#chunks.push(at === 0 ? buf : buf.subarray(at));
          }
          return null;
        }
      }
    }
  }

  /** The connection closed: the answer when the close was its end; throws AnswerError otherwise. */
  end(): ParsedAnswer {
    if (this.#state === State.UntilClose) return this.#complete(false);
    if (!this.#head) throw new AnswerError('truncated', 'the connection closed before the answer head was complete');
    const got = this.#state === State.Length || this.#state === State.ChunkData ? this.#received - this.#due : this.#received;
    throw new AnswerError('truncated', `the connection closed after ${got} body bytes`);
  }

  #startBody(head: ParsedHead): void {
    if (head.status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (head.status === 101) throw new AnswerError('malformed', 'answered 101 Switching Protocols to a request that asked for no upgrade');
      return;
    }
    this.#head = head;
    if (this.#noBody || head.status === 204 || head.status === 304) {
      this.#state = State.Length;
      this.#due = 0;
    } else if (head.chunked) {
      this.#state = State.ChunkSize;
    } else if (head.length >= 0) {
      if (head.length > this.#max) throw new AnswerError('too_large', `content-length ${head.length} exceeds ${this.#max} bytes`);
      this.#received = head.length;
      this.#due = head.length;
      this.#state = State.Length;
    } else {
      this.#head = { ...head, keepAlive: false };
      this.#state = State.UntilClose;
    }
  }

  #grow(n: number): void {
    this.#received += n;
    if (this.#received > this.#max) throw new AnswerError('too_large', `more than ${this.#max} bytes of answer`);
  }

  /** Keeps the unparsed rest for the next chunk, refusing more than `limit` bytes of it. */
  #keep(buf: Buffer, at: number, limit: number, what: string): null {
    if (buf.length - at > limit) throw new AnswerError('malformed', `${what} longer than ${limit} bytes`);
    if (buf.length > at) this.#pending = at === 0 ? buf : buf.subarray(at);
    return null;
  }

  #complete(surplus: boolean): ParsedAnswer {
    const head = this.#head!;
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
    this.#chunks = [];
    return { status: head.status, contentType: head.contentType, seq: head.seq, echo: head.echo, body, keepAlive: head.keepAlive, surplus };
  }
}

interface ParsedHead extends Head {
  /** -1 when there is no content-length. */
  readonly length: number;
  readonly chunked: boolean;
}

function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) throw new AnswerError('malformed', `invalid status line ${JSON.stringify(lines[0].slice(0, 40))}`);
  const http10 = m[1] === '0';
  let keepAlive = !http10;
  let length = -1;
  let chunked = false;
  let contentType: string | undefined;
  let seq: string | undefined;
  let echo: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const f = FIELD_LINE.exec(lines[i]);
    if (!f) throw new AnswerError('malformed', `invalid header line ${JSON.stringify(lines[i].slice(0, 40))}`);
    const name = f[1].toLowerCase();
    const value = f[2];
    if (name === 'content-length') {
      if (!/^\d{1,16}$/.test(value) || (length !== -1 && Number(value) !== length)) throw new AnswerError('malformed', `invalid content-length ${JSON.stringify(value)}`);
      length = Number(value);
    } else if (name === 'transfer-encoding') {
      if (chunked || value.toLowerCase() !== 'chunked' || http10) throw new AnswerError('malformed', `unsupported transfer-encoding ${JSON.stringify(value)}`);
      chunked = true;
    } else if (name === 'content-type') contentType = value;
    else if (name === 'x-kamaitachi-seq') seq = value;
    else if (name === 'x-kamaitachi-request') {
      if (echo !== undefined) throw new AnswerError('malformed', 'two request id echoes');
      echo = value;
    } else if (name === 'connection') {
      const v = value.toLowerCase();
      if (/(?:^|,)\s*close\s*(?:,|$)/.test(v)) keepAlive = false;
      else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(v)) keepAlive = true;
    }
  }
  if (chunked && length !== -1) throw new AnswerError('malformed', 'both content-length and transfer-encoding');
  return { status: Number(m[2]), contentType, seq, echo, keepAlive, length, chunked };
}
