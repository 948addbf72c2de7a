// A node made of a raw TCP server (node:net), so a test can send any bytes at all: it reads
// requests itself and, unless a test says otherwise, answers each with `{"t":<token>,"conn":<n>}`
// (the token from `?t=`, n the connection's number) and echoes the gateway's request id.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** The `t` query parameter, '' when absent. */
  readonly token: string;
  /** The x-kamaitachi-request header, undefined when absent. */
  readonly id: string | undefined;
  readonly body: Buffer;
}

export interface RawConn {
  /** 1 for the first connection the node accepted, 2 for the next, ... */
  readonly n: number;
  readonly socket: Socket;
  /** Requests received on this connection. */
  readonly requests: RawRequest[];
  closed: boolean;
}

/** Answers `req` on `conn` itself; returns false to get the normal answer instead. */
export type Behaviour = (conn: RawConn, req: RawRequest) => boolean | void;
/** Called when a connection opens, before any request. */
export type OnOpen = (conn: RawConn) => void;

export interface RawNode {
  readonly url: string;
  readonly conns: RawConn[];
  close(): Promise<void>;
}

/** A complete HTTP/1.1 answer with a content-length; `echo` adds the request id header. */
export function answer(body: string, echo?: string, extra = ''): string {
  const idLine = echo === undefined ? '' : `x-kamaitachi-request: ${echo}\r\n`;
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${idLine}${extra}\r\n${body}`;
}

/** The normal answer to `req` on `conn`. */
export function normal(conn: RawConn, req: RawRequest): string {
  return answer(JSON.stringify({ t: req.token, conn: conn.n }), req.id);
}

export async function startRawNode(behave: Behaviour = () => false, onOpen: OnOpen = () => {}): Promise<RawNode> {
  const conns: RawConn[] = [];
  const server: Server = createServer((socket) => {
    const conn: RawConn = { n: conns.length + 1, socket, requests: [], closed: false };
    conns.push(conn);
    socket.on('close', () => (conn.closed = true));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = buf.toString('latin1', 0, end).split('\r\n');
        const [method, target] = lines[0].split(' ');
        const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers.get('content-length') ?? 0);
        if (buf.length < end + 4 + length) return;
        const url = new URL(target, 'http://x');
        const req: RawRequest = { method, path: url.pathname, token: url.searchParams.get('t') ?? '', id: headers.get('x-kamaitachi-request'), body: buf.subarray(end + 4, end + 4 + length) };
        buf = buf.subarray(end + 4 + length);
        conn.requests.push(req);
        if (behave(conn, req) !== true && !socket.destroyed) socket.write(normal(conn, req));
      }
    });
    onOpen(conn);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    conns,
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.socket.destroy();
        server.close(() => r());
      }),
  };
}
