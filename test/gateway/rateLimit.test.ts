// Token buckets on their own, and the 429 envelope under a tight configured limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveGatewayConfig } from '../../src/config/gateway';
import { RateLimiter, TokenBucket } from '../../src/gateway/rateLimit';
import { SNAPSHOT, ManualMembership, members, postJson, startFakeSlave, startTestGateway, tempDir, type FakeSlave, type TestGateway } from '../helpers';

const off = { rps: 0, burst: 1 };

describe('token bucket', () => {
  it('allows a burst, then one request per 1/rps seconds', () => {
    const b = new TokenBucket({ rps: 10, burst: 3 }, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(99), false);
    assert.equal(b.take(100), true);
  });

  it('limits each client IP separately', () => {
    const now = 0;
    const l = new RateLimiter({ global: off, perRoute: off, perIp: { rps: 1, burst: 1 } }, () => now);
    assert.equal(l.check('/a', '10.0.0.1'), undefined);
    assert.equal(l.check('/a', '10.0.0.1'), 'ip');
    assert.equal(l.check('/a', '10.0.0.2'), undefined);
  });

  it('limits each route separately and all requests together', () => {
    const now = 0;
    const l = new RateLimiter({ global: { rps: 1, burst: 3 }, perRoute: { rps: 1, burst: 2 }, perIp: off }, () => now);
    assert.equal(l.check('/a', 'ip'), undefined);
    assert.equal(l.check('/a', 'ip'), undefined);
    assert.equal(l.check('/a', 'ip'), 'route');
    assert.equal(l.check('/b', 'ip'), undefined);
    assert.equal(l.check('/c', 'ip'), 'global');
  });

  it('is off by default', () => {
    const c = resolveGatewayConfig({ nodes: '127.0.0.1:1' });
    assert.equal(new RateLimiter(c.rateLimit).off, true);
  });
});

describe('rate limiting in the gateway', () => {
  let slave: FakeSlave;
  let gw: TestGateway;

  const dir = tempDir({ after });

  before(async () => {
    const ini = join(dir, 'gateway.ini');
    writeFileSync(ini, '[ratelimit]\nglobal_rps = 1\nglobal_burst = 3\n');
    slave = await startFakeSlave('s1');
    const limited = resolveGatewayConfig({ config: ini, nodes: slave.url });
    gw = await startTestGateway(new ManualMembership(members(slave)), () => ({ rateLimit: limited.rateLimit }));
  });
  after(async () => {
    await gw.close();
    await slave.close();
  });

  it('answers 429 with the envelope once the configured burst is spent', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await postJson(`${gw.url}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: '33:000001' }));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 429, 429],
    );
    const limited = answers[3];
    assert.equal(limited.json.status_code, 429);
    assert.match(limited.json.status_msg, /rate limit exceeded \(global limit: 1 requests\/s, burst 3\)/);
    assert.equal(limited.headers['retry-after'], '1');
    assert.equal(gw.parts.counters.rate_limited, 2);
  });
});
