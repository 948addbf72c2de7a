// The per-slave circuit breaker on its own (injected clock) and in front of a slave that fails on demand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_DEFAULTS } from '../../src/config/gateway';
import { CircuitBreaker } from '../../src/gateway/breaker';
import { SNAPSHOT, ManualMembership, http, members, postJson, startFakeSlave, startTestGateway, type FakeSlave, type TestGateway } from '../helpers';

const cfg = GATEWAY_DEFAULTS.breaker;

describe('circuit breaker', () => {
  it('stays closed below the minimum number of requests however many fail', () => {
    let now = 0;
    const b = new CircuitBreaker(cfg, () => now);
    for (let i = 0; i < 9; i++) b.onFailure();
    assert.equal(b.state, 'CLOSED');
    now = 100;
    b.onFailure();
    assert.equal(b.state, 'OPEN', 'the 10th failure within the window reaches the threshold');
  });

  it('opens at a 50% failure ratio within the 10 s window and not when failures are older', () => {
    let now = 1_000_000;
    const b = new CircuitBreaker(cfg, () => now);
    for (let i = 0; i < 6; i++) b.onFailure();
    now += 11_000; // the six failures leave the window
    for (let i = 0; i < 6; i++) b.onSuccess();
    for (let i = 0; i < 5; i++) b.onFailure();
    assert.equal(b.state, 'CLOSED', '5 failures of 11 in the window is below 50%');
    b.onFailure();
    assert.equal(b.state, 'OPEN', '6 of 12 is 50%');
  });

  it('opens after 10 failures in a row even when older successes fill the window', () => {
    let now = 2_000_000;
    const b = new CircuitBreaker(cfg, () => now);
    for (let i = 0; i < 500; i++) b.onSuccess();
    now += 100;
    for (let i = 0; i < 9; i++) b.onFailure();
    assert.equal(b.state, 'CLOSED');
    b.onFailure();
    assert.equal(b.state, 'OPEN');
  });

  it('refuses while open, probes after 10 s and closes after 5 consecutive successes', () => {
    let now = 5_000_000;
    const b = new CircuitBreaker(cfg, () => now);
    for (let i = 0; i < 10; i++) b.onFailure();
    assert.equal(b.allow(), false);
    now += 9_999;
    assert.equal(b.allow(), false);
    now += 1;
    assert.equal(b.state, 'HALF_OPEN');
    assert.equal(b.allow(), true);
    assert.equal(b.allow(), true);
    assert.equal(b.allow(), true);
    assert.equal(b.allow(), false, 'only 3 probes at a time');
    for (let i = 0; i < 5; i++) {
      b.onSuccess();
      if (i < 4) assert.equal(b.state, 'HALF_OPEN');
      b.allow();
    }
    assert.equal(b.state, 'CLOSED');
    assert.equal(b.snapshot().opened_count, 1);
  });

  it('opens again when a half-open probe fails', () => {
    let now = 0;
    const b = new CircuitBreaker(cfg, () => now);
    for (let i = 0; i < 10; i++) b.onFailure();
    now += 10_000;
    assert.equal(b.allow(), true);
    b.onFailure();
    assert.equal(b.state, 'OPEN');
    assert.equal(b.snapshot().opened_count, 2);
  });
});

describe('circuit breaker in the gateway', () => {
  let slave: FakeSlave;
  let gw: TestGateway;
  let now = 10_000_000;

  before(async () => {
    slave = await startFakeSlave('flaky');
    gw = await startTestGateway(new ManualMembership(members(slave)), () => ({ routing: 'owner' }), { now: () => now });
  });
  after(async () => {
    await gw.close();
    await slave.close();
  });

  const ask = () => postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000001' });
  const state = async (): Promise<string> => (await http('GET', `${gw.url}/monitor/circuitbreaker`)).json.data.breakers[0].state;

  it('goes CLOSED -> OPEN -> HALF_OPEN -> CLOSED against a slave that fails on demand', async () => {
    assert.equal(await state(), 'CLOSED');
    slave.mode = 'fail503';
    for (let i = 0; i < 10; i++) assert.equal((await ask()).status, 503);
    assert.equal(await state(), 'OPEN');

    const seen = slave.seen.length;
    const rejected = await ask();
    assert.equal(rejected.status, 503);
    assert.match(rejected.json.status_msg, /circuit breaker open for flaky/);
    assert.equal(slave.seen.length, seen, 'an open breaker does not call the slave');
    assert.equal(gw.parts.counters.breaker_open_rejects, 1);

    slave.mode = 'ok';
    now += 10_000;
    assert.equal(await state(), 'HALF_OPEN');
    for (let i = 0; i < 5; i++) assert.equal((await ask()).status, 200);
    assert.equal(await state(), 'CLOSED');
  });
});
