// Hedged reads against raw nodes: a read its node has not answered within hedge_after_ms goes to
// the next node on the ring too, the first answer wins, and the other call's connection is
// closed so its answer reaches nobody. Writes are never hedged and, once sent, never sent again.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HashRing } from '../../src/gateway/ring';
import { ManualMembership, SNAPSHOT, API, freePort, http, normal, startRawNode, startTestGateway, waitFor, type RawConn, type RawNode, type RawRequest, type TestGateway } from '../helpers';

const SUBJECT = '33:000001';
const BODY = JSON.stringify({ ids: 'net_profit', subjects: SUBJECT });
// A POST the forwarder treats as a write and sends to a slave: reports go to the master instead
// (test/replication/gatewayWrites.test.ts), so this uses the per-slave cache reset route.
const WRITE_PATH = `${API}/cache/reset`;

/** What a node does with a request carrying a token: true when it answered (or never will). */
type Script = (node: string, conn: RawConn, req: RawRequest) => boolean | void;

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

interface Cluster {
  readonly gw: TestGateway;
  readonly nodes: Record<string, RawNode>;
  /** The ring owner of SUBJECT and the other node. */
  readonly owner: string;
  readonly other: string;
  script: Script;
  /** Requests with token `t` each node received. */
  seen(t: string): Record<string, number>;
  connOf(node: string, t: string): RawConn;
}

async function cluster(upstreamTimeoutMs: number, addrOf: (id: string, url: string) => string = (_id, url) => url): Promise<Cluster> {
  const c = { script: (() => false) as Script } as Cluster;
  const nodes: Record<string, RawNode> = {};
  for (const id of ['a', 'b']) {
    nodes[id] = await startRawNode((conn, req) => c.script(id, conn, req));
    closers.push(() => nodes[id].close());
  }
  const gw = await startTestGateway(new ManualMembership(['a', 'b'].map((id) => ({ id, addr: addrOf(id, nodes[id].url) }))), () => ({ hedgeAfter: 30, upstreamTimeoutMs }));
  closers.push(() => gw.close());
  const owner = gw.parts.nodes.ring.owner(SUBJECT) as string;
  return Object.assign(c, {
    gw,
    nodes,
    owner,
    other: owner === 'a' ? 'b' : 'a',
    seen: (t: string) => Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, n.conns.flatMap((x) => x.requests).filter((r) => r.token === t).length])),
    connOf: (node: string, t: string) => {
      const conn = nodes[node].conns.find((x) => x.requests.some((r) => r.token === t));
      assert.ok(conn, `${t} never reached ${node}`);
      return conn;
    },
  });
}

const read = (c: Cluster, t: string) => http('POST', `${c.gw.url}/data${SNAPSHOT}?t=${t}`, BODY);
const write = (c: Cluster, t: string) => http('POST', `${c.gw.url}/data${WRITE_PATH}?t=${t}`, BODY);

describe('hedged reads', () => {
  it('sends a read its node has not answered within hedge_after_ms to the next node, and the first answer wins', async () => {
    const c = await cluster(5000);
    c.script = (node, _conn, req) => node === c.owner && req.token === 'hung';
    const res = await read(c, 'hung');
    assert.equal(res.status, 200);
    assert.equal(res.json.t, 'hung');
    assert.deepEqual(c.seen('hung'), { [c.owner]: 1, [c.other]: 1 });
    const counters = c.gw.parts.counters;
    assert.equal(counters.hedges, 1);
    assert.equal(counters.hedge_wins, 1);
    assert.equal(counters.upstream_errors, 0, 'the cancelled call is not a failure');
    await waitFor(() => c.connOf(c.owner, 'hung').closed, "the cancelled call's connection closed");
    const metrics = (await http('GET', `${c.gw.url}/metrics`)).text;
    assert.match(metrics, /kamaitachi_gateway_hedges_total 1\b/);
    assert.match(metrics, /kamaitachi_gateway_hedge_wins_total 1\b/);
    const status = (await http('GET', `${c.gw.url}/monitor/status`)).json.data;
    assert.equal(status.requests.hedges, 1);
    assert.equal(status.nodes.find((n: { id: string }) => n.id === c.owner).hedge_after_ms, 30);
  });

  it('never hands the late answer of the cancelled call to another request', async () => {
    const c = await cluster(5000);
    let late: RawConn | undefined;
    c.script = (node, conn, req) => {
      if (node !== c.owner || req.token !== 'late') return false;
      late = conn;
      setTimeout(() => conn.socket.destroyed || conn.socket.write(normal(conn, req)), 150);
      return true;
    };
    assert.equal((await read(c, 'late')).json.t, 'late');
    assert.equal(c.gw.parts.counters.hedge_wins, 1);
    // Requests to the owner right after, one by one and together, each get their own answer.
    const tokens = Array.from({ length: 12 }, (_, i) => `next${i}`);
    for (const t of tokens.slice(0, 4)) assert.equal((await read(c, t)).json.t, t);
    const together = await Promise.all(tokens.slice(4).map((t) => read(c, t)));
    assert.deepEqual(
      together.map((r) => r.json.t),
      tokens.slice(4),
    );
    await waitFor(() => late?.closed === true, "the cancelled call's connection closed");
    for (const t of tokens) assert.notEqual(c.nodes[c.owner].conns.find((x) => x.requests.some((r) => r.token === t)), late);
  });

  it('keeps the first call when it answers before the hedge, and cancels the hedge', async () => {
    const c = await cluster(5000);
    c.script = (node, conn, req) => {
      if (req.token !== 'first') return false;
      // The owner answers after its hedge time, the other node much later.
      setTimeout(() => conn.socket.destroyed || conn.socket.write(normal(conn, req)), node === c.owner ? 80 : 2000);
      return true;
    };
    const res = await read(c, 'first');
    assert.equal(res.json.t, 'first');
    assert.equal(c.gw.parts.counters.hedges, 1);
    assert.equal(c.gw.parts.counters.hedge_wins, 0);
    await waitFor(() => c.connOf(c.other, 'first').closed, "the hedge's connection closed");
  });
});

describe('writes through the forwarder', () => {
  it('never hedges a write: it waits for its node alone', async () => {
    const c = await cluster(400);
    c.script = (node, _conn, req) => node === c.owner && req.token === 'w-hung';
    const res = await write(c, 'w-hung');
    assert.equal(res.status, 504);
    assert.deepEqual(c.seen('w-hung'), { [c.owner]: 1, [c.other]: 0 });
    assert.equal(c.gw.parts.counters.hedges, 0);
  });

  it('never sends a write twice, not even on a fresh connection after a kept-alive one broke; a read is repeated', async () => {
    const c = await cluster(2000);
    const cut = new Set<string>();
    c.script = (node, conn, req) => {
      if (node !== c.owner || !req.token.startsWith('cut') || cut.has(req.token)) return false;
      cut.add(req.token);
      conn.socket.destroy();
      return true;
    };
    // A first write leaves a kept-alive connection, so the next ones meet a connection that breaks under them.
    assert.equal((await write(c, 'warm')).status, 200);
    const w = await write(c, 'cut-w');
    assert.equal(w.status, 502);
    assert.match(w.json.status_msg, /dropped the connection/);
    assert.deepEqual(c.seen('cut-w'), { [c.owner]: 1, [c.other]: 0 });
    assert.equal((await write(c, 'warm2')).status, 200);
    const r = await read(c, 'cut-r');
    assert.equal(r.status, 200);
    assert.equal(r.json.t, 'cut-r');
    assert.equal(c.seen('cut-r')[c.owner] + c.seen('cut-r')[c.other], 2, 'the read was sent again');
  });

  it('sends a write to the next node when it cannot have reached its own (connection refused)', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    // Ring places depend on ids only: the owner's address is the one that refuses.
    const ring = new HashRing();
    ring.set(['a', 'b']);
    const c2 = await cluster(2000, (id, url) => (id === ring.owner(SUBJECT) ? dead : url));
    const res = await write(c2, 'w-refused');
    assert.equal(res.status, 200);
    assert.equal(c2.seen('w-refused')[c2.other], 1);
  });
});
