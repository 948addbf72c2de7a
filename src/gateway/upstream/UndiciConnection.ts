// One kept-alive connection to a node through undici: a Client with one socket and one request
// at a time (framing, chunked bodies and trailers are undici's llhttp). undici alone notices
// bytes that arrive while no request is in flight only when it next reads the socket, and takes a
// stray answer that arrives just after the next request was sent for that request's. So the
// socket is watched here (any byte while idle closes it) and UpstreamCall checks the id echo.
import { Client, buildConnector, type Dispatcher } from 'undici';
import type { FailureCause } from './causes';
import { REQUEST_ID_HEADER, type Connection, type ConnectionTarget, type Exchange, type OutgoingRequest } from './Connection';

const baseConnect = buildConnector({});

export class UndiciConnection implements Connection {
  readonly #client: Client;
  readonly #maxAnswerBytes: number;
  readonly #handler: Dispatcher.DispatchHandler;
  #exchange: Exchange | null = null;
  #closed = false;
  #uses = 0;
  #answering = false;
  #status = 0;
  #contentType: string | undefined;
  #echo: string | undefined;
  #reusable = true;
  #chunks: Buffer[] = [];
  #received = 0;
  onIdleClose: (() => void) | null = null;

  constructor(target: ConnectionTarget) {
    this.#maxAnswerBytes = target.maxAnswerBytes;
    const connect: typeof baseConnect = (opts, cb) =>
      baseConnect(opts, (err, socket) => {
        // Runs before undici's own reader: bytes nobody asked for mean the connection is out of step.
        if (process.env.KMT_UNDICI_NOWATCH !== '1') socket?.prependListener('readable', () => {
          if (!this.#exchange) {
            this.#closed = true;
            socket.destroy();
          }
        });
        // The types want both arguments in one order or the other; pass them as undici does.
        if (err) cb(err, null);
        else cb(null, socket!);
      });
    // The call deadline is UpstreamCall's; undici's own timers would only race it.
    this.#client = new Client(`http://${target.hostHeader}`, { connect, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, maxHeaderSize: 64 * 1024 });
    this.#client.on('disconnect', () => this.#onClose());
    this.#client.on('connectionError', () => this.#onClose());
    this.#handler = {
      onConnect: () => {},
      onResponseStarted: () => {
        this.#answering = true;
      },
      onHeaders: (status, raw) => this.#onHeaders(status, raw),
      onData: (chunk) => this.#onData(chunk),
      onComplete: () => this.#onComplete(),
      onError: (err) => this.#onError(err),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get uses(): number {
    return this.#uses;
  }

  get answering(): boolean {
    return this.#answering;
  }

  send(request: OutgoingRequest, exchange: Exchange): void {
    this.#uses++;
    this.#exchange = exchange;
    this.#answering = false;
    this.#status = 0;
    this.#contentType = undefined;
    this.#echo = undefined;
    this.#reusable = true;
    this.#chunks = [];
    this.#received = 0;
    const headers = [REQUEST_ID_HEADER, request.requestId];
    if (request.body && request.body.length > 0) headers.push('content-type', request.contentType ?? 'application/json');
    this.#client.dispatch({ method: request.method, path: request.path, headers, body: request.body ?? (request.method === 'GET' || request.method === 'HEAD' ? null : ''), idempotent: true }, this.#handler);
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy().catch(() => {});
  }

  #onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true;
    this.#status = status;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length === 12 && name.toString('latin1').toLowerCase() === 'content-type') this.#contentType = raw[i + 1].toString('latin1');
      else if (name.length === 20 && name.toString('latin1').toLowerCase() === REQUEST_ID_HEADER) this.#echo = raw[i + 1].toString('latin1');
      else if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length' && Number(raw[i + 1].toString('latin1')) > this.#maxAnswerBytes) {
        this.#fail('too_large', `content-length ${raw[i + 1].toString('latin1')} exceeds ${this.#maxAnswerBytes} bytes`);
        return false;
      } else if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection' && /close/i.test(raw[i + 1].toString('latin1'))) this.#reusable = false;
    }
    return true;
  }

  #onData(chunk: Buffer): boolean {
    if (!this.#exchange) return false;
    this.#received += chunk.length;
    if (this.#received > this.#maxAnswerBytes) {
      this.#fail('too_large', `more than ${this.#maxAnswerBytes} bytes of answer`);
      return false;
    }
    this.#chunks.push(chunk);
    return true;
  }

  #onComplete(): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = null;
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#received);
    this.#chunks = [];
    exchange.onAnswer({ status: this.#status, contentType: this.#contentType, body, echo: this.#echo }, this.#reusable && !this.#closed);
  }

  #onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    let cause: FailureCause;
    if (code === 'ECONNREFUSED') cause = 'refused';
    else if (err.name === 'HTTPParserError' || code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW') cause = 'malformed';
    else cause = this.#answering ? 'truncated' : 'reset';
    this.#fail(cause, code ? `${code}: ${err.message}` : err.message);
  }

  /** Ends the exchange with a failure, reported on a later tick, and never uses the connection again. */
  #fail(cause: FailureCause, detail: string): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    this.#chunks = [];
    this.destroy();
    if (exchange) queueMicrotask(() => exchange.onFailure(cause, detail));
  }

  #onClose(): void {
    const wasClosed = this.#closed;
    this.#closed = true;
    if (!wasClosed) this.#client.destroy().catch(() => {});
    if (!this.#exchange) this.onIdleClose?.();
  }
}
