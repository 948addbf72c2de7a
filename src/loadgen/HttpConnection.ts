// One kept-alive HTTP/1.1 connection that writes prebuilt request bytes and reports each answer's
// status. A raw socket instead of node:http: the http client's per-request objects cost more
// than a cached answer from a fast node, so it would measure itself rather than the server.
import { connect, type Socket } from 'node:net';
import { ResponseParser } from './ResponseParser';

/** Why a request failed without an HTTP answer ("bad_status" is the recorder's business). */
export type TransportError = 'timeout' | 'refused' | 'reset' | 'protocol' | 'other';

export interface ConnectionEvents {
  /** The in-flight request got a complete answer. */
  onResponse(status: number): void;
  /** The in-flight request (or the connect made for it) failed; the connection is closed. */
  onFailure(kind: TransportError, detail: string): void;
}

export class HttpConnection {
  readonly host: string;
  readonly port: number;
  #socket: Socket | null = null;
  #connected = false;
  #connecting = false;
  #inFlight = false;
  #lastError: NodeJS.ErrnoException | null = null;
  #onConnect: ((err: Error | null) => void) | null = null;
  readonly #events: ConnectionEvents;
  readonly #parser: ResponseParser;
  readonly #readBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Connections opened, including the first: more than one per worker means the server closed some. */
  connects = 0;

  constructor(host: string, port: number, events: ConnectionEvents) {
    this.host = host;
    this.port = port;
    this.#events = events;
    this.#parser = new ResponseParser((status, keepAlive) => this.#answered(status, keepAlive));
  }

  get connected(): boolean {
    return this.#connected;
  }

  get connecting(): boolean {
    return this.#connecting;
  }

  /** Opens the socket; `done` gets null once it can send, or the error. */
  connect(done: (err: Error | null) => void): void {
    this.#connecting = true;
    this.#lastError = null;
    this.#onConnect = done;
    this.#parser.reset();
    this.connects++;
    // `onread` reads into one reused buffer instead of a fresh Buffer and a 'data' event per
    // read; the parser copies the little it keeps across reads.
    const socket = connect({
      host: this.host,
      port: this.port,
      onread: {
        buffer: this.#readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (socket !== this.#socket) return false;
          try {
            this.#parser.execute(Buffer.from(buf.buffer, buf.byteOffset, n));
          } catch (err) {
            this.#fail('protocol', (err as Error).message);
          }
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('connect', () => {
      this.#connecting = false;
      this.#connected = true;
      const cb = this.#onConnect;
      this.#onConnect = null;
      cb?.(null);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#lastError = err;
    });
    socket.on('close', () => this.#closed(socket));
  }

  /** Writes one request; the connection must be connected and idle. */
  send(bytes: Buffer): void {
    this.#inFlight = true;
    this.#socket!.write(bytes);
  }

  /** Gives up on the in-flight request (or connect) and reports it as `kind`. */
  abort(kind: TransportError, detail: string): void {
    this.#fail(kind, detail);
  }

  close(): void {
    const socket = this.#socket;
    this.#detach();
    socket?.destroy();
  }

  #answered(status: number, keepAlive: boolean): void {
    if (!this.#inFlight) {
      this.#fail('protocol', 'answer without a request');
      return;
    }
    this.#inFlight = false;
    // The server announced it will close: drop the socket now, the next request reconnects.
    if (!keepAlive) this.close();
    this.#events.onResponse(status);
  }

  #closed(socket: Socket): void {
    if (socket !== this.#socket) return;
    if (this.#inFlight) {
      try {
        // A body delimited by close completes here (and reports through #answered).
        if (this.#parser.finish()) {
          this.#detach();
          return;
        }
      } catch {
        // cut short: reported below
      }
    }
    if (this.#inFlight || this.#connecting) {
      const err = this.#lastError;
      const kind = classify(err);
      this.#fail(kind, err ? `${err.code ?? err.message}` : 'connection closed by the server');
      return;
    }
    // Idle close (server keep-alive timeout): reconnect lazily before the next request.
    this.#detach();
  }

  /** Closes the socket and reports the pending request (or connect) as failed, exactly once. */
  #fail(kind: TransportError, detail: string): void {
    const socket = this.#socket;
    const pending = this.#inFlight || this.#connecting;
    const onConnect = this.#onConnect;
    this.#detach();
    socket?.destroy();
    if (onConnect) onConnect(new FailedConnect(kind, detail));
    else if (pending) this.#events.onFailure(kind, detail);
  }

  #detach(): void {
    this.#socket = null;
    this.#connected = false;
    this.#connecting = false;
    this.#inFlight = false;
    this.#onConnect = null;
    this.#parser.reset();
  }
}

/** A connect that failed, with the kind the recorder counts it under. */
export class FailedConnect extends Error {
  readonly kind: TransportError;
  constructor(kind: TransportError, detail: string) {
    super(detail);
    this.kind = kind;
  }
}

function classify(err: NodeJS.ErrnoException | null): TransportError {
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case undefined:
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'other';
  }
}
