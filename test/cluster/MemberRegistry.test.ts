// The master's membership registry: join, lease expiry on an injected clock, rejoin, and the
// HTTP API including the long-poll.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberRegistry } from '../../src/cluster/MemberRegistry';
import { mountRegistryRoutes } from '../../src/cluster/registryRoutes';
import { CLUSTER_API } from '../../src/shared/routes';
import { Router } from '../../src/http/router';
import { startHttpServer, type RunningServer } from '../../src/http/server';
import { silentLogger } from '../../src/shared/logger';
import { closeServer, http, postJson, waitFor } from '../helpers';

describe('membership registry', () => {
  it('lists a slave after it registers and bumps the version on join and leave only', () => {
    let now = 1_000;
    const r = new MemberRegistry({ ttlSec: 10, now: () => now, sweepIntervalMs: 0 });
    const v0 = r.version;
    r.register('slave1', 'http://127.0.0.1:8081');
    assert.deepEqual(
      r.view().members.map((m) => m.id),
      ['slave1'],
    );
    assert.equal(r.version, v0 + 1);
    now += 1000;
    assert.equal(r.heartbeat('slave1'), true);
    r.register('slave1', 'http://127.0.0.1:8081');
    assert.equal(r.version, v0 + 1, 'heartbeats and repeated registrations are not changes');
    r.register('slave1', 'http://127.0.0.1:9999');
    assert.equal(r.version, v0 + 2, 'a new address is a change');
    assert.equal(r.deregister('slave1'), true);
    assert.equal(r.version, v0 + 3);
    assert.equal(r.view().members.length, 0);
  });

  it('expires a slave after ttl without heartbeat and takes it back when it registers again', () => {
    let now = 50_000;
    const r = new MemberRegistry({ ttlSec: 10, now: () => now, sweepIntervalMs: 0 });
    r.register('slave1', 'http://127.0.0.1:8081');
    r.register('slave2', 'http://127.0.0.1:8082');
    now += 6_000;
    r.heartbeat('slave2');
    now += 4_001;
    assert.deepEqual(r.sweep(), ['slave1']);
    assert.deepEqual(
      r.view().members.map((m) => m.id),
      ['slave2'],
    );
    assert.equal(r.heartbeat('slave1'), false, 'an expired slave is told to register again');
    r.register('slave1', 'http://127.0.0.1:8081');
    assert.deepEqual(
      r.view().members.map((m) => m.id),
      ['slave1', 'slave2'],
    );
  });

  it('wakes a waiting long-poll on a join and times it out otherwise', async () => {
    const r = new MemberRegistry({ sweepIntervalMs: 0 });
    const timedOut = await r.waitForChange(r.version, 30);
    assert.equal(timedOut.members.length, 0);
    const waiting = r.waitForChange(r.version, 5_000);
    r.register('slave1', 'http://127.0.0.1:8081');
    const woke = await waiting;
    assert.equal(woke.members[0].id, 'slave1');
  });
});

describe('registry HTTP API', () => {
  let server: RunningServer;
  let registry: MemberRegistry;

  before(async () => {
    registry = new MemberRegistry({ ttlSec: 10 });
    const router = new Router();
    mountRegistryRoutes(router, registry);
    server = await startHttpServer({ host: '127.0.0.1', port: 0, router, logger: silentLogger });
  });
  after(async () => {
    registry.close();
    await closeServer(server);
  });

  const api = (op: string): string => `${server.url}${CLUSTER_API}/${op}`;

  it('registers, heartbeats and deregisters', async () => {
    const before = registry.version;
    const reg = await postJson(api('register'), { id: 'slave1', addr: 'http://127.0.0.1:8081', ttl: 5 });
    assert.equal(reg.status, 200);
    // The version in the answer is the registry's version after the join: one more than before.
    assert.deepEqual(reg.json.data, { id: 'slave1', addr: 'http://127.0.0.1:8081', ttl: 5, version: before + 1 });
    const beat = await postJson(api('heartbeat'), { id: 'slave1' });
    assert.equal(beat.status, 200);
    assert.deepEqual(beat.json.data, { id: 'slave1', version: before + 1 }, 'a heartbeat is not a change');
    const list = await http('GET', api('members'));
    assert.equal(list.json.data.version, before + 1);
    assert.equal(list.json.data.count, 1);
    assert.equal(list.json.data.members[0].ttl, 5);
    assert.equal((await postJson(api('deregister'), { id: 'slave1' })).json.data.removed, true);
    const unknown = await postJson(api('heartbeat'), { id: 'slave1' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'KMT_UNKNOWN_MEMBER');
  });

  it('rejects bad input with a 4xx envelope that says what is wrong', async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ['register', '{"addr":"http://127.0.0.1:1"}', 400, /id is required/],
      ['register', '{"id":"x"}', 400, /addr is required/],
      ['register', '{"id":"x","addr":"127.0.0.1"}', 400, /addr must be/],
      ['register', '{"id":"x","addr":"http://127.0.0.1:1/path"}', 400, /explicit port and no path/],
      ['register', '{"id":"x","addr":"http://127.0.0.1:1","ttl":0}', 400, /ttl must be/],
      ['register', 'nope', 400, /JSON object/],
      ['heartbeat', '[]', 400, /JSON object/],
      ['deregister', '{"id":""}', 400, /non-empty string/],
    ];
    for (const [op, body, status, msg] of cases) {
      const res = await http('POST', api(op), body);
      assert.equal(res.status, status, `${op} ${body}`);
      assert.match(res.json.status_msg, msg);
    }
    assert.equal((await http('GET', `${api('members')}?wait=abc&after=1`)).status, 400);
    assert.equal((await http('GET', api('register'))).status, 405);
  });

  it('lets a long-poll see a join within a round trip', async () => {
    const first = await http('GET', api('members'));
    const version = first.json.data.version as number;
    const started = Date.now();
    const waiting = http('GET', `${api('members')}?after=${version}&wait=10000`);
    await waitFor(() => registry.waiting === 1, 'the long-poll being held');
    await postJson(api('register'), { id: 'slave9', addr: 'http://127.0.0.1:8089' });
    const seen = await waiting;
    const took = Date.now() - started;
    assert.ok(seen.json.data.members.some((m: { id: string }) => m.id === 'slave9'));
    assert.ok(seen.json.data.version > version);
    assert.ok(took < 1000, `took ${took} ms`);
  });
});
