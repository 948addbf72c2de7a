import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBenchOptions, type BenchFlags } from '../../src/loadgen/options';
import { runLoadgen } from '../../src/roles/loadgen';
import { checkResultShape } from '../../src/loadgen/result';
import { startFakeNode, quietIo, type FakeNode, type FakeNodeOptions } from '../helpers';

const nodes: FakeNode[] = [];
after(() => Promise.all(nodes.map((n) => n.close())));

async function node(o: FakeNodeOptions = {}): Promise<FakeNode> {
  const n = await startFakeNode(o);
  nodes.push(n);
  return n;
}

function bench(flags: BenchFlags) {
  const io = quietIo();
  return runLoadgen(resolveBenchOptions({ progress: false, ...flags }), io).then((result) => ({ result, io }));
}

describe('a bench run', () => {
  it('reports exactly the scripted 500s and 429s of a server that fails every 5th and 7th request', async () => {
    // Request n fails with 500 when n % 5 == 0, else with 429 when n % 7 == 0.
    const n = await node({ statusFor: (k) => (k % 5 === 0 ? 500 : k % 7 === 0 ? 429 : undefined) });
    const { result, io } = await bench({ target: n.url, requests: '700', concurrent: '8' });
    assert.equal(n.dataRequests(), 700);
    assert.equal(result.total, 700);
    assert.equal(result.success, 480);
    assert.equal(result.failed, 220);
    assert.deepEqual(result.errors.by_status, { 500: 140, 429: 80 });
    assert.equal(result.errors.by_kind.bad_status, 220);
    assert.equal(result.latency_ms !== null && result.latency_ms.p50 > 0, true);
    assert.match(io.stdout.text, /Failed {10}220 {2}\(HTTP 429: 80, HTTP 500: 140\)/);
  });

  it('counts a request the server never answers as a timeout and carries on', async () => {
    const n = await node({ stallOn: (k) => k % 10 === 0 });
    const { result } = await bench({ target: n.url, requests: '60', concurrent: '4', timeout: '150' });
    assert.equal(result.total, 60);
    assert.equal(result.errors.by_kind.timeout, 6);
    assert.equal(result.success, 54);
    // Each timeout drops its connection; workers reconnect unless no request is left for them.
    assert.ok(result.reconnects >= 6 - 4, `reconnected after timeouts (${result.reconnects})`);
  });

  it('reconnects when the server closes the connection and loses no request', async () => {
    const n = await node({ closeOn: (k) => k % 3 === 0 });
    const { result } = await bench({ target: n.url, requests: '300', concurrent: '5' });
    assert.equal(result.success, 300);
    // 100 closes; a worker whose last answer closed has nothing left to reconnect for.
    assert.ok(result.reconnects > 100 - 5 && result.reconnects <= 100, `reconnects ${result.reconnects}`);
  });

  it('reads chunked answers', async () => {
    const n = await node({ chunked: true });
    const { result } = await bench({ target: n.url, requests: '200', concurrent: '4' });
    assert.equal(result.success, 200);
  });

  it('splits the load over several targets and reports each', async () => {
    const a = await node();
    const b = await node();
    const { result, io } = await bench({ target: `${a.url},${b.url}`, requests: '400', concurrent: '6' });
    assert.equal(result.per_target.length, 2);
    assert.equal(result.per_target[0].total + result.per_target[1].total, 400);
    assert.equal(a.dataRequests() + b.dataRequests(), 400);
    assert.ok(a.dataRequests() > 0 && b.dataRequests() > 0);
    assert.match(io.stdout.text, /Per target/);
  });

  it('sends the same request sequence for the same seed, and draws subjects from the target', async () => {
    const a = await node();
    await bench({ target: a.url, requests: '100', concurrent: '1', seed: '9', scenario: '7' });
    const b = await node();
    await bench({ target: b.url, requests: '100', concurrent: '1', seed: '9', scenario: '7' });
    assert.deepEqual(a.bodies, b.bodies);
    assert.equal(new Set(a.bodies).size > 50, true, 'repeat 0 means random requests');
    const subjects = a.bodies.flatMap((body) => String((JSON.parse(body) as { subjects?: string }).subjects ?? '').split(',')).filter(Boolean);
    assert.ok(subjects.every((s) => /^33:0001[0-2]\d$|^33:0000\d\d$/.test(s)), 'subjects come from the subjects endpoint');
  });

  it('cycles K distinct requests with --repeat and measures the hit rate from stats deltas', async () => {
    const n = await node();
    const { result } = await bench({ target: n.url, requests: '200', concurrent: '4', repeat: '10', warmup: '10' });
    assert.equal(new Set(n.bodies).size, 10);
    assert.equal(n.dataRequests(), 210, '10 warm-up requests are sent but not counted');
    assert.equal(result.total, 200);
    // The warm-up saw every distinct request once, so the measured run is all hits.
    assert.deepEqual(result.hit_rate && [result.hit_rate.hits, result.hit_rate.misses, result.hit_rate.percent], [200, 0, 100]);
  });

  it('warms up random runs with requests of their own, not the measured ones', async () => {
    const n = await node();
    await bench({ target: n.url, requests: '100', concurrent: '1', warmup: '50', seed: '5' });
    const plain = await node();
    await bench({ target: plain.url, requests: '100', concurrent: '1', seed: '5' });
    assert.equal(n.bodies.length, 150);
    assert.deepEqual(n.bodies.slice(50), plain.bodies, 'the measured sequence does not depend on the warm-up');
    const measured = new Set(plain.bodies);
    assert.ok(n.bodies.slice(0, 50).filter((b) => measured.has(b)).length < 5, 'warm-up bodies are other random requests');
  });

  it('runs by time with --duration and stays within the time bound', async () => {
    const n = await node();
    const started = Date.now();
    const { result } = await bench({ target: n.url, duration: '0.5', concurrent: '2', repeat: '5' });
    const elapsed = Date.now() - started;
    assert.ok(result.duration_s >= 0.5 && result.duration_s < 1, `duration ${result.duration_s}`);
    assert.ok(elapsed < 3000);
    assert.equal(result.config.requests, null);
    assert.ok(result.total > 10);
  });

  it('prints a --json result that has the documented shape', async () => {
    const n = await node({ statusFor: (k) => (k % 4 === 0 ? 503 : undefined) });
    const { io } = await bench({ target: n.url, requests: '150', concurrent: '3', json: true, scenario: '7' });
    const parsed: unknown = JSON.parse(io.stdout.text);
    assert.deepEqual(checkResultShape(parsed), []);
    const r = parsed as { errors: { by_status: Record<string, number> }; verdict: { target_qps: null } };
    assert.deepEqual(r.errors.by_status, { 503: 37 });
    assert.equal(r.verdict.target_qps, null);
  });
});

describe('the result shape check', () => {
  it('names what is missing or mistyped', () => {
    assert.deepEqual(checkResultShape({}).slice(0, 2), ['$.kind: expected string, got undefined', '$.version: expected number, got undefined']);
  });
});
