import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { UpstreamError, UpstreamPool } from '../../src/gateway/upstream';

type Handle = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: Array<Server | ReturnType<typeof createNetServer>> = [];
after(() => {
  for (const s of servers) {
    (s as Server).closeAllConnections?.();
    s.close();
  }
});

async function upstream(handle: Handle): Promise<{ addr: string; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { addr: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, server };
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

describe('upstream pool (raw HTTP/1.1 connections)', () => {
  it('sends method, path, headers and body, and reuses one kept-alive connection', async () => {
    const up = await upstream((req, res, body) => json(res, 200, { method: req.method, url: req.url, type: req.headers['content-type'], body }));
    const pool = new UpstreamPool({ timeoutMs: 2000, maxSockets: 4 });
    for (let i = 0; i < 5; i++) {
      const a = await pool.call(up.addr, 'POST', `/x?i=${i}`, Buffer.from(`{"i":${i}}`), 'application/json');
      assert.equal(a.status, 200);
      assert.equal(a.contentType, 'application/json');
      assert.deepEqual(JSON.parse(a.body.toString()), { method: 'POST', url: `/x?i=${i}`, type: 'application/json', body: `{"i":${i}}` });
    }
    assert.equal(up.connections(), 1);
    pool.close();
  });

  it('reads chunked answers and answers delimited by the connection closing', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a":');
        res.end('[1,2,3]}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        res.end('{"closed":true}');
      }
    });
    const pool = new UpstreamPool({ timeoutMs: 2000, maxSockets: 4 });
    assert.deepEqual(JSON.parse((await pool.call(up.addr, 'GET', '/chunked', undefined, undefined)).body.toString()), { a: [1, 2, 3] });
    assert.deepEqual(JSON.parse((await pool.call(up.addr, 'GET', '/close', undefined, undefined)).body.toString()), { closed: true });
    pool.close();
  });

  it('queues calls beyond the connection limit and serves them all', async () => {
    const up = await upstream((req, res) => setTimeout(() => json(res, 200, { url: req.url }), 5));
    const pool = new UpstreamPool({ timeoutMs: 5000, maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.call(up.addr, 'GET', `/q${i}`, undefined, undefined)));
    assert.deepEqual(answers.map((a) => JSON.parse(a.body.toString()).url), Array.from({ length: 20 }, (_, i) => `/q${i}`));
    assert.equal(up.connections(), 2);
    pool.close();
  });

  it('retries once on a fresh connection when a kept-alive one was closed by the slave', async () => {
    const up = await upstream((req, res) => json(res, 200, { url: req.url }));
    const pool = new UpstreamPool({ timeoutMs: 2000, maxSockets: 4 });
    await pool.call(up.addr, 'GET', '/first', undefined, undefined);
    // Drop the idle connection under the pool's feet without it seeing the close first.
    up.server.closeIdleConnections();
    const a = await pool.call(up.addr, 'GET', '/second', undefined, undefined);
    assert.equal(JSON.parse(a.body.toString()).url, '/second');
    pool.close();
  });

  it('sorts failures into refused, truncated, bad answer, unavailable and timeout', async () => {
    const pool = new UpstreamPool({ timeoutMs: 300, maxSockets: 4 });
    const cause = (p: Promise<unknown>) =>
      p.then(
        () => 'answered',
        (e: unknown) => (e instanceof UpstreamError ? e.kind : String(e)),
      );
    const closed = await upstream(() => {});
    const dead = closed.addr;
    closed.server.close();
    await new Promise((r) => closed.server.once('close', r));
    assert.equal(await cause(pool.call(dead, 'GET', '/', undefined, undefined)), 'refused');

    const up = await upstream((req, res) => {
      if (req.url === '/truncated') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
        res.write('{"partial":');
        setImmediate(() => res.socket?.destroy());
      } else if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>oops</html>');
      } else if (req.url === '/503') json(res, 503, { status_code: 503 });
      // '/hang' never answers
    });
    assert.equal(await cause(pool.call(up.addr, 'GET', '/truncated', undefined, undefined)), 'truncated');
    assert.equal(await cause(pool.call(up.addr, 'GET', '/html', undefined, undefined)), 'bad_answer');
    assert.equal(await cause(pool.call(up.addr, 'GET', '/503', undefined, undefined)), 'unavailable');
    assert.equal(await cause(pool.call(up.addr, 'GET', '/hang', undefined, undefined)), 'timeout');
    pool.close();
  });

  it('treats bytes that are not HTTP as a bad answer', async () => {
    const raw = createNetServer((socket: Socket) => socket.on('data', () => socket.end('SSH-2.0-OpenSSH\r\n\r\n')));
    servers.push(raw);
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const pool = new UpstreamPool({ timeoutMs: 1000, maxSockets: 4 });
    await assert.rejects(pool.call(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`, 'GET', '/', undefined, undefined), (e: unknown) => e instanceof UpstreamError && e.kind === 'bad_answer');
    pool.close();
  });
});
