// Slaves keeping their lease (heartbeat.ts) and the gateway following the registry
// (masterMembership.ts), against a real registry server that goes away and comes back.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startMembership } from '../../src/cluster/heartbeat';
import { MasterMembership } from '../../src/cluster/masterMembership';
import { membershipStatusWire } from '../../src/cluster/membership';
import { MemberRegistry } from '../../src/cluster/MemberRegistry';
import { mountRegistryRoutes } from '../../src/cluster/registryRoutes';
import { Router } from '../../src/http/router';
import { startHttpServer, type RunningServer } from '../../src/http/server';
import { silentLogger } from '../../src/shared/logger';
import { closeServer, waitFor } from '../helpers';

interface Master {
  registry: MemberRegistry;
  server: RunningServer;
  stop(): Promise<void>;
}

async function startMaster(port = 0, ttlSec = 10): Promise<Master> {
  const registry = new MemberRegistry({ ttlSec, sweepIntervalMs: 50 });
  const router = new Router();
  mountRegistryRoutes(router, registry);
  const server = await startHttpServer({ host: '127.0.0.1', port, router, logger: silentLogger });
  return {
    registry,
    server,
    async stop() {
      registry.close();
      await closeServer(server, 50);
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const ids = (r: MemberRegistry): string[] => r.view().members.map((m) => m.id);

describe('slave heartbeats', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('registers, registers again when the master forgets it, and deregisters on stop', async () => {
    const master = await startMaster();
    cleanups.push(() => master.stop());
    const m = startMembership({ master: master.server.url, id: 'slave1', addr: 'http://127.0.0.1:8081', ttlSec: 1, logger: silentLogger });
    cleanups.push(() => m.stop());
    await waitFor(() => ids(master.registry).includes('slave1'), 'registration');
    master.registry.deregister('slave1');
    await waitFor(() => ids(master.registry).includes('slave1'), 're-registration after the master forgot it', 2000);
    // Heartbeats every ttl/3 keep a 1 s lease alive well past the ttl.
    await new Promise((r) => setTimeout(r, 1300));
    assert.deepEqual(ids(master.registry), ['slave1']);
    await m.stop();
    assert.deepEqual(ids(master.registry), []);
  });

  it('keeps retrying an unreachable master and registers once it is up', async () => {
    const port = await freePort();
    const m = startMembership({ master: `http://127.0.0.1:${port}`, id: 'slave2', addr: 'http://127.0.0.1:8082', ttlSec: 3, logger: silentLogger });
    cleanups.push(() => m.stop());
    await waitFor(() => m.failures() >= 2, 'two failed registration attempts');
    assert.equal(m.registered(), false);
    const master = await startMaster(port);
    cleanups.push(() => master.stop());
    await waitFor(() => ids(master.registry).includes('slave2'), 'registration with a master that came up late', 3000);
    // The master lists it as soon as it handled the call; the slave knows once the answer is back.
    await waitFor(() => m.registered(), 'the slave seeing its registration', 1000);
  });
});

describe('gateway membership from the master', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('sees a join and a leave within a fraction of a second', async () => {
    const master = await startMaster();
    cleanups.push(() => master.stop());
    const follower = new MasterMembership({ master: master.server.url, logger: silentLogger, waitMs: 5000 });
    cleanups.push(() => follower.stop());
    await follower.start();
    assert.deepEqual(follower.current(), []);
    const changes: number[] = [];
    follower.onChange((m) => changes.push(m.length));

    const joined = Date.now();
    master.registry.register('slave1', 'http://127.0.0.1:8081');
    await waitFor(() => follower.current().length === 1, 'the join');
    assert.ok(Date.now() - joined < 500, `join seen after ${Date.now() - joined} ms`);

    const left = Date.now();
    master.registry.deregister('slave1');
    await waitFor(() => follower.current().length === 0, 'the leave');
    assert.ok(Date.now() - left < 500, `leave seen after ${Date.now() - left} ms`);
    assert.deepEqual(changes, [1, 0]);
  });

  it('keeps the last known members while the master is down and bridges a master restart', async () => {
    const master = await startMaster();
    const port = master.server.port;
    master.registry.register('slave1', 'http://127.0.0.1:8081');
    const follower = new MasterMembership({ master: master.server.url, logger: silentLogger, waitMs: 5000, ttlSec: 1 });
    cleanups.push(() => follower.stop());
    await follower.start();
    assert.equal(follower.current().length, 1);

    await master.stop();
    await waitFor(() => !follower.status().connected, 'the follower to notice the master is gone');
    assert.deepEqual(
      follower.current().map((m) => m.id),
      ['slave1'],
    );

    // The restarted master knows nobody yet: the old member stays for one lease (1 s here).
    const restarted = await startMaster(port, 1);
    cleanups.push(() => restarted.stop());
    await waitFor(() => follower.status().connected, 'reconnection', 6000);
    assert.deepEqual(
      follower.current().map((m) => m.id),
      ['slave1'],
    );
    await waitFor(() => follower.current().length === 0, 'the bridged member to be dropped', 3000);
  });
});

describe('registry input errors', () => {
  it('answers an out-of-range after/wait/ttl with KMT_BAD_RANGE and a ttl of the wrong type with KMT_BAD_TYPE, as the data routes do', async () => {
    const master = await startMaster();
    try {
      const members = `${master.server.url}/kamaitachi/api/cluster/v1/members`;
      for (const q of ['wait=600000', 'wait=-1', 'after=abc']) {
        const res = await fetch(`${members}?${q}`);
        const body = (await res.json()) as { error_code: string; status_msg: string };
        assert.equal(res.status, 400, q);
        assert.equal(body.error_code, 'KMT_BAD_RANGE', q);
        assert.match(body.status_msg, /must be an integer between/, q);
      }
      const register = (ttl: unknown) =>
        fetch(`${master.server.url}/kamaitachi/api/cluster/v1/register`, { method: 'POST', body: JSON.stringify({ id: 's', addr: 'http://127.0.0.1:8081', ttl }) });
      const tooLong = await register(99999);
      assert.equal(tooLong.status, 400);
      assert.equal(((await tooLong.json()) as { error_code: string }).error_code, 'KMT_BAD_RANGE');
      const text = await register('ten');
      assert.equal(text.status, 400);
      assert.equal(((await text.json()) as { error_code: string }).error_code, 'KMT_BAD_TYPE');
    } finally {
      await master.stop();
    }
  });
});

describe('membership status on the wire', () => {
  it('is snake_case: last_contact_ms once the master answered, last_error while it cannot be reached', async () => {
    const master = await startMaster();
    const m = new MasterMembership({ master: master.server.url, logger: silentLogger, waitMs: 200 });
    try {
      await m.start(3000);
      const up = membershipStatusWire(m.status());
      assert.equal(up.connected, true);
      assert.equal(typeof up.last_contact_ms, 'number');
      assert.equal('last_error' in up, false);
      await master.stop();
      await waitFor(() => !m.status().connected, 'the gateway noticing the master is gone', 5000);
      const down = membershipStatusWire(m.status());
      assert.equal(typeof down.last_error, 'string');
      assert.deepEqual(Object.keys(down).sort(), ['connected', 'last_contact_ms', 'last_error', 'source']);
    } finally {
      await m.stop();
    }
  });
});
