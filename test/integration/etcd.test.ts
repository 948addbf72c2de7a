// Discovery through etcd (docs/design.md, Membership through etcd) against a real etcd server: nodes register under
// <prefix><name> with a lease, the gateway lists and watches the prefix, the master is found
// under <prefix>master, and an etcd outage costs no routing. In-process nodes and gateway where
// the test allows; bundle processes where a slave must die by SIGKILL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { EtcdConfig } from '../../src/config/etcd';
import { resolveGatewayConfig } from '../../src/config/gateway';
import { resolveNodeConfig } from '../../src/config/node';
import { createEtcdClient, type EtcdClient } from '../../src/cluster/etcdClient';
import { startDataNode, type RunningNode } from '../../src/roles/node';
import { startGateway, type RunningGateway } from '../../src/roles/gateway';
import { silentLogger } from '../../src/shared/logger';
import { API, BUNDLE, SNAPSHOT, freePort, http, makeTestDb, pidAlive, postJson as post, startEtcd, startNodeProcess, waitFor, type EtcdServer, type NodeProcess } from '../helpers';

const TTL = 2;
let prefixes = 0;

/** What every test shares: one etcd, one database, and teardown in reverse order of start. */
function suite(): {
  etcd: () => EtcdServer;
  db: () => string;
  cleanup: (fn: () => Promise<void> | void) => void;
  prefix: () => string;
} {
  let etcd: EtcdServer | undefined;
  let dir: string | undefined;
  let db = '';
  const cleanups: Array<() => Promise<void> | void> = [];
  before(async () => {
    etcd = await startEtcd();
    ({ dir, db } = await makeTestDb(60));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await etcd?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    etcd: () => etcd as EtcdServer,
    db: () => db,
    cleanup: (fn) => cleanups.push(fn),
    // Each test under its own prefix, so one test's leftovers never show up in another.
    prefix: () => `/kmt-test-${process.pid}-${++prefixes}/`,
  };
}

function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

interface Ctx {
  readonly endpoint: string;
  readonly prefix: string;
  readonly db: string;
  readonly cleanup: (fn: () => Promise<void> | void) => void;
}

async function master(c: Ctx): Promise<RunningNode> {
  const config = resolveNodeConfig('master', { db: c.db, port: '0', snapshot: 'none', etcd: c.endpoint, etcdPrefix: c.prefix, etcdTtl: String(TTL) });
  const node = await startDataNode(config, silentLogger);
  c.cleanup(() => node.close());
  return node;
}

async function slave(c: Ctx, name: string, extra: { master?: string } = {}): Promise<RunningNode> {
  const config = resolveNodeConfig('slave', { db: c.db, port: '0', snapshot: 'none', name, etcd: c.endpoint, etcdPrefix: c.prefix, etcdTtl: String(TTL), ...extra });
  const node = await startDataNode(config, silentLogger);
  c.cleanup(() => node.close());
  return node;
}

async function gateway(c: Ctx, logger: Logger = silentLogger): Promise<RunningGateway> {
  const gw = await startGateway(resolveGatewayConfig({ port: '0', etcd: c.endpoint, etcdPrefix: c.prefix, logLevel: 'silent' }), logger);
  c.cleanup(() => gw.stop());
  return gw;
}

async function client(c: Ctx): Promise<EtcdClient> {
  const config: EtcdConfig = { endpoints: [c.endpoint], prefix: c.prefix, ttlSec: TTL };
  const etcd = await createEtcdClient(config);
  c.cleanup(() => etcd.close());
  return etcd;
}

async function healthNodes(gw: RunningGateway): Promise<string[]> {
  const res = await http('GET', `${gw.server.url}/health`);
  return [...((res.json?.nodes as string[] | undefined) ?? [])].sort();
}

async function membershipStatus(gw: RunningGateway): Promise<{ connected: boolean; master?: string; source: string; last_contact_ms?: number; last_error?: string }> {
  return (await http('GET', `${gw.server.url}/monitor/status`)).json.data.membership;
}

/** Waits until the slave follows the master's feed (and so holds a read lease). */
async function following(node: RunningNode): Promise<void> {
  await waitFor(async () => (await http('GET', `${node.url}${API}/stats`)).json.data.replication.state === 'following', `${node.url} to follow the master`, 10_000);
}

const sorted = (...urls: string[]): string[] => [...urls].sort();

describe('discovery through etcd', () => {
  const s = suite();
  const ctx = (): Ctx => ({ endpoint: s.etcd().endpoint, prefix: s.prefix(), db: s.db(), cleanup: s.cleanup });

  it("lists two registered slaves in the gateway's /health, each under <prefix><name> with its address, role and start time", async () => {
    const c = ctx();
    const before = Date.now();
    const [a, b] = await Promise.all([slave(c, 'alpha'), slave(c, 'beta')]);
    const gw = await gateway(c);
    await waitFor(async () => (await healthNodes(gw)).length === 2, 'both slaves in /health', 10_000);
    assert.deepEqual(await healthNodes(gw), sorted(a.url, b.url));

    const etcd = await client(c);
    const record = JSON.parse((await etcd.get(`${c.prefix}alpha`).string()) ?? 'null');
    assert.equal(record.addr, a.url);
    assert.equal(record.role, 'slave');
    assert.ok(record.started_at >= before && record.started_at <= Date.now(), `started_at ${record.started_at}`);
    const status = await membershipStatus(gw);
    assert.equal(status.connected, true);
    assert.match(status.source, /^etcd /);
    // snake_case on the wire, like every other field
    assert.equal(typeof status.last_contact_ms, 'number');
    assert.deepEqual(Object.keys(status).sort(), ['connected', 'last_contact_ms', 'source']);
  });

  it('publishes the master under <prefix>master, where the gateway and a slave without --master find it', async () => {
    const c = ctx();
    const primary = await master(c);
    const lone = await slave(c, 'lone');
    const gw = await gateway(c);
    await waitFor(() => gw.master() === primary.url, "the gateway to learn the master's address", 10_000);
    await waitFor(() => lone.master() === primary.url, "the slave to learn the master's address", 10_000);
    assert.equal((await membershipStatus(gw)).master, primary.url);
    // The master is the write primary, not a read target: the ring holds the slave only.
    await waitFor(async () => (await healthNodes(gw)).length === 1, 'the slave in /health', 10_000);
    assert.deepEqual(await healthNodes(gw), [lone.url]);
    // A slave told where the master is keeps that address.
    const told = await slave(c, 'told', { master: 'http://127.0.0.1:1' });
    assert.equal(told.master(), 'http://127.0.0.1:1');
  });

  it('replicates to a slave that found the master in etcd: a write through the gateway is read back through it', async () => {
    const c = ctx();
    const primary = await master(c);
    const follower = await slave(c, 'follower');
    const gw = await gateway(c);
    await waitFor(async () => (await healthNodes(gw)).length === 1 && gw.master() === primary.url, 'the slave in the ring and the master known', 10_000);
    await following(follower);
    const subject = (await http('GET', `${follower.url}${API}/subjects?offset=0&limit=1`)).json.data.subjects[0] as string;
    const read = { ids: 'net_profit,report_date', subjects: subject, field: 'report_date', limit: 1 };
    const before = await post(`${gw.server.url}/data${SNAPSHOT}`, read);
    assert.equal(before.status, 200, before.text);
    const date = before.json.data[0].data.report_date as string;
    for (const value of [1234.5, 6789.25]) {
      // Nobody was given --master: the gateway forwards the write to the master etcd names.
      const w = await post(`${gw.server.url}/data${API}/reports`, { reports: [{ subject_key: subject, report_date: date, net_profit: value }], wait: 'replicated' });
      assert.equal(w.status, 200, w.text);
      const after = await post(`${gw.server.url}/data${SNAPSHOT}`, read);
      assert.equal(after.status, 200, after.text);
      assert.equal(after.json.data[0].data.net_profit, value, `the slave serves the written value: ${after.text}`);
    }
    const stats = (await http('GET', `${follower.url}${API}/stats`)).json.data.replication;
    assert.equal(stats.master, primary.url);
    assert.equal(stats.state, 'following');
    assert.equal(stats.records_applied, 2);
  });

  it('keeps a slave without a known master from answering reads (503 KMT_STALE) until etcd names one', async () => {
    const c = ctx();
    const orphan = await slave(c, 'orphan');
    const subject = '33:000001'; // in every generated file
    const refused = await post(`${orphan.url}${SNAPSHOT}`, { ids: 'net_profit', subjects: subject });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.status_msg.includes('master'), true, refused.text);
    assert.equal((await http('GET', `${orphan.url}${API}/stats`)).json.data.replication.state, 'no_master');
    const primary = await master(c);
    await waitFor(async () => (await post(`${orphan.url}${SNAPSHOT}`, { ids: 'net_profit', subjects: subject })).status === 200, 'the slave to follow the master once published', 10_000);
    assert.equal(orphan.master(), primary.url);
  });

  it('revokes the lease on a clean shutdown, so the slave leaves the ring without waiting for the ttl', async () => {
    const c = ctx();
    // A long lease: only the revoke can remove it within the wait below.
    const config = resolveNodeConfig('slave', { db: c.db, port: '0', snapshot: 'none', name: 'leaving', etcd: c.endpoint, etcdPrefix: c.prefix, etcdTtl: '60' });
    const node = await startDataNode(config, silentLogger);
    c.cleanup(() => node.close());
    const gw = await gateway(c);
    await waitFor(async () => (await healthNodes(gw)).length === 1, 'the slave in /health', 10_000);
    await node.close();
    await waitFor(async () => (await healthNodes(gw)).length === 0, 'the slave to leave the ring after its revoke', 5000);
    assert.equal(await (await client(c)).get(`${c.prefix}leaving`).string(), null);
  });

  it('registers again under a new lease when etcd no longer knows its lease', async () => {
    const c = ctx();
    const node = await slave(c, 'renewed');
    const etcd = await client(c);
    const key = `${c.prefix}renewed`;
    const leaseOf = async (): Promise<string | undefined> => (await etcd.getAll().prefix(key).exec()).kvs.find((kv) => kv.key.toString() === key)?.lease;
    await waitFor(async () => (await leaseOf()) !== undefined, 'the registration', 10_000);
    const old = (await leaseOf()) as string;
    // What an expired lease looks like to the node: the key is gone and keepalives answer TTL -1.
    await etcd.leaseClient.leaseRevoke({ ID: old });
    await waitFor(async () => {
      const now = await leaseOf();
      return now !== undefined && now !== old;
    }, 'a registration under a new lease', 10_000);
    const record = JSON.parse((await etcd.get(key).string()) ?? 'null');
    assert.equal(record.addr, node.url);
  });

  it('logs and ignores values under the prefix that are not node records', async () => {
    const c = ctx();
    const etcd = await client(c);
    const bad: Record<string, string> = {
      'not-json': 'hello',
      array: '[1,2]',
      'no-addr': JSON.stringify({ role: 'slave', started_at: 1 }),
      'bad-addr': JSON.stringify({ addr: 'ftp://x:1', role: 'slave', started_at: 1 }),
      'bad-role': JSON.stringify({ addr: 'http://127.0.0.1:9', role: 'king', started_at: 1 }),
      master: JSON.stringify({ addr: 'http://127.0.0.1:9', role: 'slave', started_at: 1 }),
    };
    for (const [k, v] of Object.entries(bad)) await etcd.put(`${c.prefix}${k}`).value(v).exec();
    const good = await slave(c, 'good');
    const { logger, lines } = capturingLogger();
    const gw = await gateway(c, logger);
    await waitFor(async () => (await healthNodes(gw)).length === 1, 'the valid slave in /health', 10_000);
    // A bad value arriving through the watch is ignored too, and replaces a good one.
    await etcd.put(`${c.prefix}late`).value('{"addr":').exec();
    await etcd.put(`${c.prefix}good`).value('{}').exec();
    await waitFor(async () => (await healthNodes(gw)).length === 0, 'the overwritten registration to leave the ring', 5000);
    const reported = lines.filter((l) => l.event === 'etcd_bad_value').map((l) => String(l.key).slice(c.prefix.length));
    assert.deepEqual(reported.sort(), [...Object.keys(bad), 'late', 'good'].sort());
    assert.equal(gw.master(), undefined, 'a master key holding a slave record is not a master');
    assert.equal((await http('GET', `${gw.server.url}/health`)).status, 503);
    assert.ok(good.url);
  });

  it('drops a slave killed with SIGKILL once its lease runs out and takes it back within 2 s of its restart', async () => {
    const c = ctx();
    const args = ['--db', c.db, '--name', 'victim', '--etcd', c.endpoint, '--etcd-prefix', c.prefix, '--etcd-ttl', String(TTL)];
    const spawned: NodeProcess[] = [];
    c.cleanup(async () => {
      for (const p of spawned) p.kill('SIGKILL');
      await Promise.all(spawned.map((p) => p.exited));
    });
    const first = await startNodeProcess('slave', args);
    spawned.push(first);
    const gw = await gateway(c);
    await waitFor(async () => (await healthNodes(gw)).includes(first.url), 'the slave in /health', 10_000);

    first.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    // Nothing deregistered it: the lease still holds the key until the ttl runs out.
    assert.deepEqual(await healthNodes(gw), [first.url]);
    await waitFor(async () => (await healthNodes(gw)).length === 0, 'the killed slave to leave the ring', (TTL + 5) * 1000);
    assert.ok(Date.now() - killedAt >= 1000, `removed ${Date.now() - killedAt} ms after the kill, before its lease could expire`);

    const second = await startNodeProcess('slave', args);
    spawned.push(second);
    await waitFor(async () => (await healthNodes(gw)).includes(second.url), 'the restarted slave in /health within 2 s of listening', 2000);
  });
});

describe('etcd outage', () => {
  const s = suite();
  let c: Ctx;
  let gw: RunningGateway;
  let nodes: RunningNode[];

  before(async () => {
    c = { endpoint: s.etcd().endpoint, prefix: s.prefix(), db: s.db(), cleanup: s.cleanup };
    // The slaves follow the master etcd names; its feed, not etcd, keeps their read leases.
    await master(c);
    nodes = await Promise.all([slave(c, 'one'), slave(c, 'two')]);
    for (const n of nodes) await following(n);
    gw = await gateway(c);
    await waitFor(async () => (await healthNodes(gw)).length === 2, 'both slaves in /health', 10_000);
  });

  it('keeps routing to both slaves while etcd is down and says so in /monitor/status', async () => {
    await s.etcd().kill();
    await waitFor(async () => !(await membershipStatus(gw)).connected, 'the gateway to notice etcd is gone', 10_000);
    assert.deepEqual(await healthNodes(gw), sorted(...nodes.map((n) => n.url)));
    const subjects: string[] = (await http('GET', `${nodes[0].url}/kamaitachi/api/data/v1/subjects?offset=0&limit=40`)).json.data.subjects;
    for (const subject of subjects) {
      const res = await post(`${gw.server.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subject, limit: 1 });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.data[0].subject.subject, subject);
    }
    const routed = (await http('GET', `${gw.server.url}/monitor/status`)).json.data.nodes as Array<{ addr: string; requests: number }>;
    assert.deepEqual(routed.map((n) => n.addr).sort(), sorted(...nodes.map((n) => n.url)));
    for (const n of routed) assert.ok(n.requests > 0, `no request reached ${n.addr}`);
  });

  it('sees a slave started during the outage once etcd is back', async () => {
    assert.equal((await membershipStatus(gw)).connected, false, 'etcd is still down');
    const late = await slave(c, 'three');
    await s.etcd().start();
    await waitFor(async () => (await healthNodes(gw)).includes(late.url), 'the slave started during the outage in /health', 10_000);
    await waitFor(async () => (await membershipStatus(gw)).connected, 'the gateway to reconnect', 5000);
    assert.deepEqual(await healthNodes(gw), sorted(late.url, ...nodes.map((n) => n.url)));
  });
});

describe('cluster up --etcd', () => {
  const s = suite();

  function clusterUp(args: string[]): { proc: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
    const proc = spawn(process.execPath, [BUNDLE, 'cluster', 'up', '--master-port', '0', '--slave-base-port', '0', '--gateway-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    s.cleanup(async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    });
    return { proc, stdout: () => out, stderr: () => err, exited };
  }

  it('runs the local cluster on a user-started etcd: the roles find each other and the master there, and a stop revokes every key', async () => {
    const endpoint = s.etcd().endpoint;
    const up = clusterUp(['--db', s.db(), '--data-dir', join(dirname(s.db()), 'cluster'), '--etcd', endpoint]);
    await waitFor(() => up.stdout().includes('READY ') || up.proc.exitCode !== null, 'the READY line', 60_000);
    const readyLine = up.stdout().split('\n').find((l) => l.startsWith('READY '));
    assert.ok(readyLine, `no READY line; stderr: ${up.stderr()}`);
    const ready = JSON.parse(readyLine.slice('READY '.length)) as { gateway: string; master: string; slaves: string[] };
    const childPids = [...up.stdout().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    s.cleanup(() => {
      for (const pid of childPids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    });

    const health = await http('GET', `${ready.gateway}/health`);
    assert.deepEqual([...health.json.nodes].sort(), [...ready.slaves].sort());
    const membership = (await http('GET', `${ready.gateway}/monitor/status`)).json.data.membership;
    assert.match(membership.source, /^etcd /);
    assert.equal(membership.master, ready.master);
    // Nobody was given --master: the slaves run without the master's registry.
    for (const pid of childPids) assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--master'), `pid ${pid} got --master`);

    const etcd = await createEtcdClient({ endpoints: [endpoint], prefix: '/kamaitachi/nodes/', ttlSec: 10 });
    s.cleanup(() => etcd.close());
    assert.deepEqual((await etcd.getAll().prefix('/kamaitachi/nodes/').keys()).sort(), ['/kamaitachi/nodes/master', '/kamaitachi/nodes/slave1', '/kamaitachi/nodes/slave2']);

    up.proc.kill('SIGTERM');
    assert.equal(await up.exited, 0);
    assert.deepEqual(await etcd.getAll().prefix('/kamaitachi/nodes/').keys(), []);
  });

  it('refuses to start when etcd does not answer, saying to start it first', async () => {
    const up = clusterUp(['--db', s.db(), '--data-dir', join(dirname(s.db()), 'nowhere'), '--etcd', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(await up.exited, 1);
    assert.match(up.stderr(), /^kamaitachi cluster: etcd is not answering \(http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED.*\); start it first/);
    assert.doesNotMatch(up.stdout(), /READY/);
  });
});
