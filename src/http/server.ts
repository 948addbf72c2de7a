// HTTP server lifecycle shared by every role: listen, cut off slow clients, turn thrown errors
// into envelopes, and close gracefully (stop accepting, let in-flight requests finish).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { Router } from './router';
import { sendError } from './send';
import { KmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';

/** After the last in-flight request, how long to keep serving late requests on open connections. */
const LINGER_MS = 200;
/** After every socket is destroyed, how long to wait for their close callbacks at most. */
const CLOSE_WAIT_MS = 2000;

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
  /** A ServerResponse subclass (data nodes stamp x-kamaitachi-seq with it, see seqHeader.ts). */
  readonly responseClass?: typeof ServerResponse;
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
      if (closing && inFlight === 0 && drained) drained();
    });
    // Tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (closing) res.setHeader('connection', 'close');
    // Echo the gateway's request id: it tells this answer from a stray one on a kept-alive connection.
    if (req.headers['x-kamaitachi-request'] !== undefined) res.setHeader('x-kamaitachi-request', req.headers['x-kamaitachi-request']);
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

  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 65_000,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)),
      ...(opts.responseClass ? { ServerResponse: opts.responseClass } : {}),
    },
    onRequest,
  );
  // Every accepted socket, so close() can end them all: http's own list (closeAllConnections)
  // holds only sockets with a live parser, and one left open would hold the close forever.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request not received in time; send the headers and body promptly']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'request headers too large']
          : [400, 'Bad Request', `malformed HTTP request (${err.code ?? err.message})`];
    const body = JSON.stringify({ status_code: status, status_msg: message });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
          ? new KmtError('KMT_CONFIG', `cannot listen on ${opts.host}:${opts.port} (${err.code}); pick another --port or --host`)
          : err,
      );
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
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
      // net.Server's close stops accepting without http.Server's immediate sweep of idle
      // connections: a client that connected just before may not have sent its request yet.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const deadline = Date.now() + graceMs;
      let quietSince = inFlight === 0 ? Date.now() : Infinity;
      while (Date.now() < deadline && (inFlight > 0 || Date.now() - quietSince < LINGER_MS)) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, 25);
        });
        drained = null;
        if (inFlight > 0) quietSince = Infinity;
        else if (quietSince === Infinity) quietSince = Date.now();
      }
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      // A ref'd timer beside the wait: the sockets' close callbacks are all that is left to
      // come, and they must not be the only thing between the caller and an empty event loop.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (bound = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(bound);
    },
  };
}
