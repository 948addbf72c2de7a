// HTTP server lifecycle shared by every role: listen, cut off slow clients, turn thrown errors
// into envelopes, and close gracefully (stop accepting, let in-flight requests finish).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from './router';
import { sendError } from './envelope';
import type { Logger } from '../shared/logger';

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly router: Router;
  readonly logger: Logger;
  /** Time allowed to receive the request headers. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Time allowed to receive the whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this. Default 65 s (beyond common proxies' 60 s). */
  readonly keepAliveTimeoutMs?: number;
}

export interface RunningServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting, waits up to `graceMs` for in-flight requests, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningServer> {
  const { router, logger } = opts;
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | null = null;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (closing) {
        // Tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
        if (inFlight === 0 && drained) drained();
      }
    });
    if (closing) res.setHeader('connection', 'close');
    let result: void | Promise<void>;
    try {
      const { handler, path } = router.resolve(req.method ?? 'GET', req.url ?? '/');
      result = handler(req, res, path);
    } catch (err) {
      fail(req, res, err);
      return;
    }
    if (result) result.catch((err: unknown) => fail(req, res, err));
  };

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    const status = (err as { status?: number }).status;
    if (!status || status >= 500) logger.error({ err, method: req.method, url: req.url }, 'request failed');
    // Drain what is left of the body so the socket can be reused.
    req.resume();
    sendError(res, err);
  };

  const server = createServer(
    {
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 65_000,
    },
    onRequest,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ status_code: 400, status_msg: `bad request: ${err.code ?? err.message}` });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;

  return {
    server,
    host: addr.address,
    port: addr.port,
    url,
    inFlight: () => inFlight,
    async close(graceMs = 4000) {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
