// One kept-alive HTTP/1.1 connection to a node, carrying one request at a time, on a raw socket:
// it writes a prebuilt head and body and reads the answer with AnswerParser. Any byte that
// arrives while no request is in flight, or after a complete answer, closes the connection.
// Not undici: measured on the hot gateway path, undici 7 (a Client per connection) cost 1.3-1.75x
// the gateway CPU per request and 18-48% of the throughput (bench/wrk/gateway-hot.mjs, README).
import { connect, type Socket } from 'node:net';
import { AnswerError, AnswerParser } from './AnswerParser';
import { REQUEST_ID_HEADER, type Connection, type ConnectionTarget, type Exchange, type OutgoingRequest } from './Connection';

export class RawConnection implements Connection {
  readonly #socket: Socket;
  readonly #hostHeader: string;
  readonly #max: number;
  #exchange: Exchange | null = null;
  #parser: AnswerParser | null = null;
  #closed = false;
  #connected = false;
  #uses = 0;
  onIdleClose: (() => void) | null = null;

  constructor(target: ConnectionTarget) {
    this.#hostHeader = target.hostHeader;
    this.#max = target.maxAnswerBytes;
    this.#socket = connect({ host: target.host, port: target.port });
    this.#socket.setNoDelay(true);
    this.#socket.on('connect', () => (this.#connected = true));
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#onClose(err));
    this.#socket.on('close', () => this.#onClose(null));
  }

  get closed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  get uses(): number {
    return this.#uses;
  }

  get answering(): boolean {
    return this.#parser?.started ?? false;
  }

  send(request: OutgoingRequest, exchange: Exchange): void {
    const { method, body } = request;
    let head = `${method} ${request.path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n${REQUEST_ID_HEADER}: ${request.requestId}\r\n`;
    if (body && body.length > 0) head += `content-type: ${request.contentType ?? 'application/json'}\r\ncontent-length: ${body.length}\r\n`;
    else if (method !== 'GET' && method !== 'HEAD') head += 'content-length: 0\r\n';
    head += '\r\n';
    this.#uses++;
    this.#exchange = exchange;
    this.#parser = new AnswerParser(this.#max, method === 'HEAD');
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
    const exchange = this.#exchange;
    const parser = this.#parser;
    if (!exchange || !parser) {
      // Bytes nobody asked for: the connection is out of step, never use it again.
      this.#socket.destroy();
      return;
    }
    let answer;
    try {
      answer = parser.feed(chunk);
    } catch (err) {
      const e = err as AnswerError;
      this.#fail(e.failure, e.message);
      this.#socket.destroy();
      return;
    }
    if (!answer) return;
    this.#exchange = null;
    this.#parser = null;
    const reusable = answer.keepAlive && !answer.surplus;
    if (!reusable) this.#socket.destroy();
    exchange.onAnswer({ status: answer.status, contentType: answer.contentType, seq: answer.seq, body: answer.body, echo: answer.echo }, reusable);
  }

  #onClose(err: NodeJS.ErrnoException | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    const exchange = this.#exchange;
    const parser = this.#parser;
    if (!exchange || !parser) {
      this.onIdleClose?.();
      return;
    }
    if (!this.#connected && err?.code === 'ECONNREFUSED') return this.#fail('refused', 'ECONNREFUSED');
    if (!parser.started) return this.#fail('reset', err?.code ?? 'the node closed the connection before answering');
    let answer;
    try {
      answer = parser.end();
    } catch (e) {
      return this.#fail((e as AnswerError).failure, (e as AnswerError).message);
    }
    this.#exchange = null;
    this.#parser = null;
    exchange.onAnswer({ status: answer.status, contentType: answer.contentType, seq: answer.seq, body: answer.body, echo: answer.echo }, false);
  }

  #fail(cause: AnswerError['failure'], detail: string): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    this.#parser = null;
    exchange?.onFailure(cause, detail);
  }
}
