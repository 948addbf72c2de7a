// The gateway's hot cache behind its feed follower, against a scripted master feed and a node
// that counts the requests reaching it: hits without upstream calls, drops by what each record
// touched, a full clear for a record kind the gateway does not know, 410 and feed loss.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ManualMembership, SNAPSHOT, httpRequest, startTestGateway, waitFor, type TestGateway } from '../../helpers';

const LEASE_MS = 400;

interface Rec {
  seq: number;
  ops: unknown[];
}

/** A master's feed, scripted: records pushed by the test, and modes that break it. */
class FakeMaster {
  server!: Server;
  url = '';
  head = 0;
  records: Rec[] = [];
  touched = new Map<number, { seq: number; subjects: string[]; topics: string[] }>();
  mode: 'ok' | 'down' | 'gone' | 'hang' = 'ok';
  /** `since` of every poll, in order: what the master would count as applied. */
  polls: number[] = [];
  #waiters = new Set<() => void>();
  #held = new Set<ServerResponse>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  push(ops: unknown[], touched?: { subjects: string[]; topics: string[] }): number {
    const seq = ++this.head;
    this.records.push({ seq, ops });
    if (touched) this.touched.set(seq, { seq, ...touched });
    this.wake();
    return seq;
  }

  wake(): void {
    const all = [...this.#waiters];
    this.#waiters.clear();
    for (const w of all) w();
  }

  /** Ends the polls held by 'hang' (their connections drop, as after a network stall). */
  dropHeld(): void {
    for (const res of this.#held) res.destroy();
    this.#held.clear();
  }

  close(): Promise<void> {
    this.dropHeld();
    this.wake();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-kamaitachi-seq': String(this.head) });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/health') return send(200, { status: 'ok' });
    const since = Number(url.searchParams.get('since'));
    this.polls.push(since);
    if (this.mode === 'down') return send(503, { status_code: 1, status_msg: 'down for the test' });
    if (this.mode === 'gone') return send(410, { status_code: 1, status_msg: 'journal trimmed' });
    if (this.mode === 'hang') {
      this.#held.add(res);
      return;
    }
    let after = this.records.filter((r) => r.seq > since);
    if (after.length === 0) {
      await new Promise<void>((r) => {
        this.#waiters.add(r);
        setTimeout(r, Number(url.searchParams.get('wait') ?? 0));
      });
      if (res.destroyed) return;
      after = this.records.filter((r) => r.seq > since);
    }
    const touched = after.map((r) => this.touched.get(r.seq) ?? null);
    send(200, { status_code: 0, data: { seq: this.head, dataset: 'd1', complete: true, records: after, lease_ms: LEASE_MS, touched } });
  }
}

/** A data node that answers every read with its seq header and counts what reaches it. */
class FakeNode {
  server!: Server;
  url = '';
  seq = 0;
  requests = 0;
  version = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const echo = req.headers['x-kamaitachi-request'];
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-kamaitachi-seq': String(this.seq),
          ...(typeof echo === 'string' ? { 'x-kamaitachi-request': echo } : {}),
        });
        res.end(JSON.stringify({ status_code: 0, data: { asked: Buffer.concat(chunks).toString('utf8'), version: this.version } }));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface Setup {
  master: FakeMaster;
  node: FakeNode;
  gw: TestGateway;
  read(body: string): Promise<{ status: number; seq: string | undefined; version: number }>;
}

async function setup(t: TestContext): Promise<Setup> {
  const master = new FakeMaster();
  await master.start();
  const node = new FakeNode();
  await node.start();
  const gw = await startTestGateway(new ManualMembership([{ id: 'n1', addr: node.url }]), () => ({ master: master.url, hotCacheBytes: 1 << 20 }));
  t.after(async () => {
    await gw.close();
    await master.close();
    await node.close();
  });
  const cache = gw.parts.hot!.cache;
  await waitFor(() => cache.serving(), 'the gateway to hold a feed lease');
  const read = async (body: string) => {
    const a = await httpRequest(`${gw.url}/data${SNAPSHOT}`, { body });
    const seq = a.headers['x-kamaitachi-seq'];
    return { status: a.status, seq: typeof seq === 'string' ? seq : undefined, version: a.json?.data?.version as number };
  };
  return { master, node, gw, read };
}

/** Asks twice (admitted on the second), then checks the third is a hit. */
async function makeHot(s: Setup, body: string): Promise<void> {
  await s.read(body);
  await s.read(body);
  const before = s.node.requests;
  await s.read(body);
  assert.equal(s.node.requests, before, `${body} is answered by the gateway`);
}

const A = '{"subjects":"33:000001","ids":"net_profit"}';
const B = '{"subjects":"33:000002","ids":"net_profit"}';
const TOPIC = '{"topic":"pool","ids":"net_profit"}';

describe('gateway hot cache and the change feed', () => {
  it('answers a hot read without an upstream call, passing the node seq through on misses', async (t) => {
    const s = await setup(t);
    s.node.seq = 7;
    s.master.head = 0;
    const first = await s.read(A);
    assert.equal(first.seq, '7', 'a proxied read carries the node seq');
    await s.read(A);
    const calls = s.gw.parts.counters.upstream_calls;
    const nodeRequests = s.node.requests;
    for (let i = 0; i < 20; i++) {
      const hit = await s.read(A);
      assert.equal(hit.status, 200);
      assert.equal(hit.seq, '0', 'a hit carries the feed position');
    }
    assert.equal(s.node.requests, nodeRequests, 'no request reached the node');
    assert.equal(s.gw.parts.counters.upstream_calls, calls);
    assert.equal(s.gw.parts.hot!.cache.hits, 20);
    const stats = await httpRequest(`${s.gw.url}/kamaitachi/api/data/v1/stats`);
    assert.equal(stats.json.data.hot_cache.hits, 20);
    assert.equal(stats.json.data.hot_cache.feed.applied_seq, 0);
    const metrics = await httpRequest(`${s.gw.url}/metrics`);
    assert.match(metrics.text, /kamaitachi_gateway_hot_hits_total 20/);
    assert.match(metrics.text, /kamaitachi_gateway_hot_max_bytes 1048576/);
    const reset = await httpRequest(`${s.gw.url}/kamaitachi/api/data/v1/cache/reset`, { body: '{}' });
    assert.equal(reset.status, 200, reset.text);
    assert.equal(s.gw.parts.hot!.cache.stats().entries, 0, 'a cache reset empties the hot cache too');
  });

  it('never caches writes, non-200 answers or one-off reads', async (t) => {
    const s = await setup(t);
    for (let i = 0; i < 5; i++) await s.read(`{"subjects":"33:00000${i}"}`);
    assert.equal(s.gw.parts.hot!.cache.stats().entries, 0);
    assert.equal(s.gw.parts.hot!.cache.admissions, 0);
  });

  it('drops exactly what a record touched, before polling again', async (t) => {
    const s = await setup(t);
    await makeHot(s, A);
    await makeHot(s, B);
    await makeHot(s, TOPIC);
    s.node.version = 1;
    const seq = s.master.push([{ op: 'upsert', rows: [{ subject_key: '33:000001', report_date: 1, net_profit: 1 }] }], { subjects: ['33:000001'], topics: ['other'] });
    await waitFor(() => s.master.polls.includes(seq), 'the gateway to poll past the record');
    // The poll with since >= seq is the acknowledgement: by then the entry is gone.
    assert.equal((await s.read(A)).version, 1);
    assert.equal((await s.read(B)).version, 0, 'another subject keeps its entry');
    assert.equal((await s.read(TOPIC)).version, 0, 'a topic the record did not touch keeps its entry');
    const seq2 = s.master.push([{ op: 'delete', subject_key: '33:000002' }], { subjects: ['33:000002'], topics: ['pool'] });
    await waitFor(() => s.master.polls.includes(seq2), 'the gateway to poll past the delete');
    assert.equal((await s.read(B)).version, 1, 'a delete drops its subject');
    assert.equal((await s.read(TOPIC)).version, 1, 'and the topics it touched');
  });

  it('drops every topic-wide answer when the master does not say what a record touched', async (t) => {
    const s = await setup(t);
    await makeHot(s, B);
    await makeHot(s, TOPIC);
    s.node.version = 1;
    const seq = s.master.push([{ op: 'upsert', rows: [{ subject_key: '33:000009', report_date: 1, net_profit: 1 }] }]);
    await waitFor(() => s.master.polls.includes(seq), 'the gateway to poll past the record');
    assert.equal((await s.read(TOPIC)).version, 1);
    assert.equal((await s.read(B)).version, 0);
  });

  it('clears the whole cache for a record kind it does not know', async (t) => {
    const s = await setup(t);
    await makeHot(s, A);
    await makeHot(s, B);
    const seq = s.master.push([{ op: 'rename_topic', from: 'pool', to: 'pool2' }], { subjects: [], topics: [] });
    await waitFor(() => s.master.polls.includes(seq), 'the gateway to poll past the record');
    assert.equal(s.gw.parts.hot!.cache.stats().entries, 0);
    assert.equal(s.gw.parts.hot!.cache.clears, 2, 'one clear at start, one for the record');
  });

  it('clears on 410 and continues from the master seq', async (t) => {
    const s = await setup(t);
    await makeHot(s, A);
    s.master.head = 50;
    s.master.records = [];
    s.master.mode = 'gone';
    s.master.wake();
    await waitFor(() => s.gw.parts.hot!.cache.position === 50, 'the gateway to restart at the master seq');
    assert.equal(s.gw.parts.hot!.cache.stats().entries, 0);
    s.master.mode = 'ok';
    await waitFor(() => s.master.polls.at(-1) === 50, 'polls from the new seq');
    await waitFor(() => s.gw.parts.hot!.cache.serving(), 'a new lease');
    s.node.seq = 49;
    await s.read(A);
    await s.read(A);
    assert.equal(s.gw.parts.hot!.cache.stats().entries, 0, 'answers of a node behind the position are not kept');
    s.node.seq = 50;
    await makeHot(s, A);
  });

  for (const loss of ['down', 'hang'] as const) {
    it(`stops answering from the cache when the feed is ${loss === 'down' ? 'failing' : 'stalled past the lease'}, until it has caught up`, async (t) => {
      const s = await setup(t);
      await makeHot(s, A);
      const cache = s.gw.parts.hot!.cache;
      s.master.mode = loss;
      s.master.wake();
      await waitFor(() => !cache.serving(), 'the gateway to stop serving hits', 3000);
      const before = s.node.requests;
      await s.read(A);
      await s.read(A);
      assert.equal(s.node.requests, before + 2, 'every read passes through to the node');
      // Back, with records the gateway has not seen: no hit before it applied them.
      s.node.version = 1;
      s.master.push([{ op: 'upsert', rows: [{ subject_key: '33:000001', report_date: 1, net_profit: 2 }] }], { subjects: ['33:000001'], topics: [] });
      s.master.mode = 'ok';
      s.master.dropHeld();
      await waitFor(() => cache.serving(), 'the gateway to serve hits again');
      assert.equal(cache.position, s.master.head, 'caught up before serving');
      assert.equal((await s.read(A)).version, 1);
      const status = await httpRequest(`${s.gw.url}/monitor/status`);
      assert.equal(status.json.data.hot_cache.feed.state, 'following');
    });
  }
});
