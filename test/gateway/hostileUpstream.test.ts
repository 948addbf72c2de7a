// The gateway in front of nodes that send bytes no correct node sends (raw TCP servers, one per
// case). Whatever they send, a caller gets either its own answer, a 502 envelope naming the
// cause, or the next node's answer; the connection that carried the bad bytes is never used
// again; and no other request ever receives those bytes. Chunk extensions (`1f;junk`) and
// trailers are legal HTTP/1.1 (RFC 9112 7.1.1, 7.1.2) and are accepted.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualMembership, http, startTestGateway, waitFor, type HttpAnswer as RawAnswer, type TestGateway } from '../helpers';
import { answer, normal, startRawNode, type Behaviour, type OnOpen, type RawConn, type RawNode } from '../helpers';

const MAX_ANSWER = 64 * 1024;
const TIMEOUT_MS = 300;
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

let tokens = 0;
const token = (): string => `t${++tokens}`;

async function node(behave?: Behaviour, onOpen?: OnOpen): Promise<RawNode> {
  const n = await startRawNode(behave, onOpen);
  closers.push(() => n.close());
  return n;
}

async function gatewayFor(...nodes: Array<[string, RawNode]>): Promise<TestGateway> {
  const gw = await startTestGateway(new ManualMembership(nodes.map(([id, n]) => ({ id, addr: n.url }))), (c) => ({
    upstreamTimeoutMs: TIMEOUT_MS,
    maxAnswerBytes: MAX_ANSWER,
    // These tests look at single failures; an open breaker would hide them.
    breaker: { ...c.breaker, minRequests: 1_000_000 },
  }));
  closers.push(() => gw.close());
  return gw;
}

const get = (gw: TestGateway, path: string, t: string): Promise<RawAnswer> => http('GET', `${gw.url}/data${path}?t=${t}`);

/** The connection a request with this token arrived on. */
function connOf(n: RawNode, t: string): RawConn {
  const c = n.conns.find((conn) => conn.requests.some((r) => r.token === t));
  assert.ok(c, `request ${t} never reached the node`);
  return c;
}

/** Sequential and concurrent requests after the fault all get their own answers, on other connections. */
async function othersGetTheirOwnAnswers(gw: TestGateway, n: RawNode, bad: RawConn): Promise<void> {
  const seq: string[] = [];
  for (let i = 0; i < 5; i++) seq.push(token());
  for (const t of seq) assert.equal((await get(gw, '/ok', t)).json?.t, t);
  const par = Array.from({ length: 10 }, token);
  const answers = await Promise.all(par.map((t) => get(gw, '/ok', t)));
  assert.deepEqual(
    answers.map((a) => a.json?.t),
    par,
  );
  for (const t of [...seq, ...par]) assert.notEqual(connOf(n, t), bad, 'a request went over the connection that carried the bad bytes');
}

const head = (id: string | undefined, extra = ''): string =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${id === undefined ? '' : `x-kamaitachi-request: ${id}\r\n`}${extra}`;
const chunked = (id: string | undefined, rest: string): string => `${head(id, 'transfer-encoding: chunked\r\n')}\r\n${rest}`;
const THIRTY_ONE = '{"t":"xxxxxxxxxxxxxxxxxxxxxxx"}';

interface FramingCase {
  readonly name: string;
  /** Bytes sent for /bad (the request id is passed in). */
  readonly send: (conn: RawConn, id: string | undefined) => void;
  /** The cause the 502 names, or the body a legal answer carries. */
  readonly expect: RegExp | string;
}

const FRAMING: FramingCase[] = [
  { name: 'a chunked body with a legal trailer', send: (c, id) => c.socket.write(chunked(id, `${(15).toString(16)}\r\n{"t":"trailer"}\r\n0\r\nx-checksum: 1234\r\n\r\n`)), expect: '{"t":"trailer"}' },
  { name: 'a chunk size with an extension (1f;junk)', send: (c, id) => c.socket.write(chunked(id, `1f;junk\r\n${THIRTY_ONE}\r\n0\r\n\r\n`)), expect: THIRTY_ONE },
  { name: 'a trailer line without a colon', send: (c, id) => c.socket.write(chunked(id, `7\r\n{"t":1}\r\n0\r\nno colon here\r\n\r\n`)), expect: /not well-formed HTTP/ },
  { name: 'a trailer name with a space before the colon', send: (c, id) => c.socket.write(chunked(id, `7\r\n{"t":1}\r\n0\r\nx-a : 1\r\n\r\n`)), expect: /not well-formed HTTP/ },
  { name: 'a chunk size of -1', send: (c, id) => c.socket.write(chunked(id, `-1\r\n{"t":1}\r\n0\r\n\r\n`)), expect: /not well-formed HTTP/ },
  { name: 'a chunk size of 0x10', send: (c, id) => c.socket.write(chunked(id, `0x10\r\n{"t":"0123456789"}\r\n0\r\n\r\n`)), expect: /not well-formed HTTP/ },
  { name: 'a chunk without its CRLF', send: (c, id) => c.socket.write(chunked(id, `7\r\n{"t":1}XX0\r\n\r\n`)), expect: /not well-formed HTTP/ },
  {
    name: 'a content-length beyond max_answer_bytes',
    send: (c, id) => c.socket.write(`${head(id, `content-length: ${MAX_ANSWER + 1}\r\n`)}\r\n{"t":"${'x'.repeat(MAX_ANSWER - 9)}"}`),
    expect: /larger than \[gateway\] max_answer_bytes/,
  },
  {
    name: 'chunks adding up beyond max_answer_bytes',
    send: (c, id) => {
      const part = 'x'.repeat(16 * 1024);
      c.socket.write(chunked(id, `1\r\n[\r\n${Array.from({ length: 5 }, () => `4000\r\n${part}\r\n`).join('')}1\r\n]\r\n0\r\n\r\n`));
    },
    expect: /larger than \[gateway\] max_answer_bytes/,
  },
  {
    name: 'a close in the middle of a body',
    send: (c, id) => {
      c.socket.write(`${head(id, 'content-length: 1000\r\n')}\r\n{"t":"cut`);
      setTimeout(() => c.socket.destroy(), 5);
    },
    expect: /truncated/,
  },
  {
    name: 'an answer dripping one byte every 100 ms past the deadline',
    send: (c, id) => {
      const bytes = Buffer.from(`${head(id, 'content-length: 30\r\n')}\r\n{"t":"drip-drip-drip-drip-dr"}`);
      let i = 0;
      const timer = setInterval(() => {
        if (c.socket.destroyed || i >= bytes.length) return clearInterval(timer);
        c.socket.write(bytes.subarray(i, ++i));
      }, 100);
    },
    expect: /started an answer but did not finish it in time/,
  },
];

describe('gateway in front of a hostile node', () => {
  for (const c of FRAMING) {
    const legal = typeof c.expect === 'string';
    it(`${legal ? 'accepts' : 'refuses'} ${c.name}${legal ? ' and keeps the connection' : ', never reuses the connection, and the next node serves it'}`, async () => {
      const bad: Behaviour = (conn, req) => {
        if (req.path !== '/bad') return false;
        c.send(conn, req.id);
        return true;
      };
      const hostile = await node(bad);
      const gw = await gatewayFor(['hostile', hostile]);
      const warm = token();
      assert.equal((await get(gw, '/ok', warm)).status, 200);
      const t = token();
      const res = await get(gw, '/bad', t);
      const conn = connOf(hostile, t);
      if (typeof c.expect === 'string') {
        assert.equal(res.status, 200);
        assert.equal(res.text, c.expect);
        const next = token();
        assert.equal((await get(gw, '/ok', next)).json.conn, conn.n, 'a legal answer must leave the connection reusable');
        return;
      }
      assert.equal(res.status, 502);
      assert.equal(res.json.status_code, 502);
      assert.match(res.json.status_msg, c.expect);
      assert.match(res.json.status_msg, /slave hostile \(http:\/\/127\.0\.0\.1:\d+\)/);
      await waitFor(() => conn.closed, 'the gateway to close the connection that carried the bad answer');
      await othersGetTheirOwnAnswers(gw, hostile, conn);

      // With another node beside it, the caller never sees the fault.
      const good = await node();
      const both = await gatewayFor(['hostile', hostile], ['good', good]);
      for (let i = 0; i < 2; i++) {
        const t2 = token();
        const served = await get(both, '/bad', t2);
        assert.equal(served.status, 200);
        assert.equal(served.json.t, t2);
      }
    });
  }

  it('closes a connection that receives a stray answer while idle; the stray reaches nobody', async () => {
    const stray: Behaviour = (conn, req) => {
      if (req.path !== '/bad') return false;
      conn.socket.write(normal(conn, req));
      setTimeout(() => conn.socket.write(answer('{"t":"STRAY"}')), 2);
      return true;
    };
    const hostile = await node(stray);
    const gw = await gatewayFor(['hostile', hostile]);
    const t = token();
    assert.equal((await get(gw, '/bad', t)).json.t, t);
    const conn = connOf(hostile, t);
    await waitFor(() => conn.closed, 'the gateway to close the connection the stray answer arrived on');
    await othersGetTheirOwnAnswers(gw, hostile, conn);
  });

  it('refuses an answer sent before the request once the node is known to echo request ids', async () => {
    // Connection 1 answers and closes; connection 2 gets an answer the moment it opens.
    const early: OnOpen = (conn) => {
      if (conn.n === 2) conn.socket.write(answer('{"t":"EARLY"}'));
    };
    const closeAfterFirst: Behaviour = (conn, req) => {
      if (conn.n !== 1) return false;
      conn.socket.end(answer(JSON.stringify({ t: req.token, conn: 1 }), req.id, 'connection: close\r\n'));
      return true;
    };
    const hostile = await node(closeAfterFirst, early);
    const gw = await gatewayFor(['hostile', hostile]);
    assert.equal((await get(gw, '/ok', token())).status, 200);
    const res = await get(gw, '/bad', token());
    assert.equal(res.status, 502);
    assert.match(res.json.status_msg, /sent an answer to another request: the answer carries no request id echo/);
    const conn = hostile.conns[1];
    await waitFor(() => conn.closed, 'the gateway to close the connection with the early answer');
    await othersGetTheirOwnAnswers(gw, hostile, conn);
  });

  it('refuses an answer that echoes another request id, even from a node it never heard from', async () => {
    const early: OnOpen = (conn) => {
      if (conn.n === 1) conn.socket.write(answer('{"t":"EARLY"}', '999999'));
    };
    const hostile = await node(undefined, early);
    const gw = await gatewayFor(['hostile', hostile]);
    const res = await get(gw, '/bad', token());
    assert.equal(res.status, 502);
    assert.match(res.json.status_msg, /sent an answer to another request: the answer echoes request 999999/);
    await waitFor(() => hostile.conns[0].closed, 'the gateway to close the connection with the early answer');
    await othersGetTheirOwnAnswers(gw, hostile, hostile.conns[0]);
  });

  it('never gives any of 200 sequential requests a wrong answer behind a node sending a stray answer 2 ms after each', async (t) => {
    let n = 0;
    const stray: Behaviour = (conn, req) => {
      conn.socket.write(normal(conn, req));
      // Half the strays replay the request id just answered, half carry none.
      const echo = n++ % 2 === 0 ? req.id : undefined;
      setTimeout(() => !conn.socket.destroyed && conn.socket.write(answer('{"t":"STRAY"}', echo)), 2);
      return true;
    };
    const hostile = await node(stray);
    const gw = await gatewayFor(['hostile', hostile]);
    let own = 0;
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const t = token();
      const res = await get(gw, '/ok', t);
      if (res.status === 200) {
        assert.equal(res.json.t, t, `request ${i} received another request's answer: ${res.text}`);
        own++;
      } else {
        assert.equal(res.status, 502, res.text);
        assert.match(res.json.status_msg, /sent an answer to another request/);
        refused++;
      }
    }
    assert.equal(own + refused, 200);
    assert.ok(own > 0, 'no request got its answer at all');
    t.diagnostic(`${own} got their own answer, ${refused} a 502 naming the stray answer`);
  });
});
