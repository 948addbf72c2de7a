// The upstream pool against node:http and raw TCP servers: keep-alive reuse, framing, the
// failure causes, and the bounded wait for a connection (queue length, deadline, no recursion).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KmtError } from '../../../src/shared/errors';
import { UpstreamError, UpstreamPool, causeCode, type FailureCause, type UpstreamPoolOptions } from '../../../src/gateway/upstream';
import { ManualMembership, http, startTestGateway } from '../../helpers';
import { startRawNode, type RawNode } from '../../helpers';

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

function newPool(timeoutMs: number, maxSockets: number, more: Partial<UpstreamPoolOptions> = {}): UpstreamPool {
  return new UpstreamPool({ timeoutMs, maxSockets, maxWaiting: 1000, waitTimeoutMs: timeoutMs, maxAnswerBytes: 1024 * 1024, ...more });
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const causeOf = (p: Promise<unknown>): Promise<FailureCause | string> =>
  p.then(
    () => 'answered',
    (e: unknown) => (e instanceof UpstreamError ? e.kind : String(e)),
  );

describe('upstream pool', () => {
  it('sends method, path, headers and body, and reuses one kept-alive connection', async () => {
    const up = await upstream((req, res, body) => json(res, 200, { method: req.method, url: req.url, type: req.headers['content-type'], body }));
    const pool = newPool(2000, 4);
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
    const pool = newPool(2000, 4);
    assert.deepEqual(JSON.parse((await pool.call(up.addr, 'GET', '/chunked', undefined, undefined)).body.toString()), { a: [1, 2, 3] });
    assert.deepEqual(JSON.parse((await pool.call(up.addr, 'GET', '/close', undefined, undefined)).body.toString()), { closed: true });
    pool.close();
  });

  it('queues calls beyond the connection limit and serves them all', async () => {
    const up = await upstream((req, res) => setTimeout(() => json(res, 200, { url: req.url }), 5));
    const pool = newPool(5000, 2);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.call(up.addr, 'GET', `/q${i}`, undefined, undefined)));
    assert.deepEqual(answers.map((a) => JSON.parse(a.body.toString()).url), Array.from({ length: 20 }, (_, i) => `/q${i}`));
    assert.equal(up.connections(), 2);
    pool.close();
  });

  it('retries once on a fresh connection when a kept-alive one was closed by the slave', async () => {
    const up = await upstream((req, res) => json(res, 200, { url: req.url }));
    const pool = newPool(2000, 4);
    await pool.call(up.addr, 'GET', '/first', undefined, undefined);
    // Drop the idle connection under the pool's feet without it seeing the close first.
    up.server.closeIdleConnections();
    const a = await pool.call(up.addr, 'GET', '/second', undefined, undefined);
    assert.equal(JSON.parse(a.body.toString()).url, '/second');
    pool.close();
  });

  it('sorts failures into refused, truncated, bad answer, unavailable and timeout', async () => {
    const pool = newPool(300, 4);
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

  it('treats bytes that are not HTTP as a malformed answer', async () => {
    const raw = createNetServer((socket: Socket) => socket.on('data', () => socket.end('SSH-2.0-OpenSSH\r\n\r\n')));
    servers.push(raw);
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const pool = newPool(1000, 4);
    await assert.rejects(pool.call(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`, 'GET', '/', undefined, undefined), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
    pool.close();
  });
});

describe('upstream pool: waiting for a connection', () => {
  /** A node that holds every request to /hang until the test lets go. */
  async function hangingNode(): Promise<RawNode> {
    const n = await startRawNode((_conn, req) => req.path === '/hang');
    servers.push({ close: () => void n.close() } as unknown as Server);
    return n;
  }

  it('takes a caller whose wait deadline passes out of the queue at once, dropping its body', async () => {
    const node = await hangingNode();
    const pool = newPool(5000, 1, { waitTimeoutMs: 50 });
    const held = causeOf(pool.call(node.url, 'GET', '/hang', undefined, undefined, 300));
    let body: WeakRef<Buffer> | undefined;
    const waited = (() => {
      const b = Buffer.from(JSON.stringify({ big: 'x'.repeat(200_000) }));
      body = new WeakRef(b);
      return causeOf(pool.call(node.url, 'POST', '/ok', b, 'application/json'));
    })();
    assert.equal(pool.stats(node.url)?.waiting, 1);
    const started = Date.now();
    assert.equal(await waited, 'queue_timeout');
    assert.ok(Date.now() - started < 1000, 'the caller waited for the call deadline instead of its wait deadline');
    assert.equal(pool.stats(node.url)?.waiting, 0);
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await new Promise((r) => setImmediate(r));
    assert.equal(body?.deref(), undefined, 'the pool still holds the abandoned caller\'s body');
    assert.equal(await held, 'timeout');
    pool.close();
  });

  it('refuses a caller at once with queue_full when max_waiting callers already wait, as a 503', async () => {
    const node = await hangingNode();
    const pool = newPool(5000, 1, { maxWaiting: 2 });
    const held = causeOf(pool.call(node.url, 'GET', '/hang', undefined, undefined, 300));
    const queued = Array.from({ length: 2 }, () => causeOf(pool.call(node.url, 'GET', '/hang', undefined, undefined)));
    const started = Date.now();
    assert.equal(await causeOf(pool.call(node.url, 'GET', '/ok', undefined, undefined)), 'queue_full');
    assert.ok(Date.now() - started < 100);
    assert.equal(new KmtError(causeCode('queue_full'), '').status, 503);
    pool.close();
    assert.deepEqual(await Promise.all(queued), ['unavailable', 'unavailable'], 'callers waiting for a node that left fail at once');
    assert.equal(await held, 'timeout');
  });

  it('answers 503 naming the full queue through the gateway', async () => {
    const node = await hangingNode();
    const gw = await startTestGateway(new ManualMembership([{ id: 'busy', addr: node.url }]), () => ({ maxSockets: 1, maxWaiting: 0, upstreamTimeoutMs: 2000 }));
    try {
      const hung = http('GET', `${gw.url}/data/hang`);
      while (node.conns.length === 0 || node.conns[0].requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const res = await http('GET', `${gw.url}/data/ok`);
      assert.equal(res.status, 503);
      assert.match(res.json.status_msg, /slave busy \(http:\/\/127\.0\.0\.1:\d+\) has too many requests waiting for a connection/);
      node.conns[0].socket.destroy();
      await hung;
    } finally {
      await gw.close();
    }
  });

  it('lets 50,000 queued callers give up and then hands out connections without overflowing the stack', async () => {
    const node = await hangingNode();
    const pool = newPool(5000, 1, { maxWaiting: 100_000, waitTimeoutMs: 50 });
    // The held call outlives every waiter: when its connection goes, 50,000 callers have given up.
    const held = causeOf(pool.call(node.url, 'GET', '/hang', undefined, undefined, 300));
    const waiting = Array.from({ length: 50_000 }, () => causeOf(pool.call(node.url, 'GET', '/ok', undefined, undefined)));
    assert.equal(pool.stats(node.url)?.waiting, 50_000);
    const causes = new Set(await Promise.all(waiting));
    assert.deepEqual([...causes], ['queue_timeout']);
    assert.equal(pool.stats(node.url)?.waiting, 0);
    assert.equal(await held, 'timeout');
    assert.equal(await causeOf(pool.call(node.url, 'GET', '/ok', undefined, undefined)), 'answered');
    pool.close();
  });
});
