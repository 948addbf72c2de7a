// Gateway configuration: defaults <- INI file <- flags, validated and frozen.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_DEFAULTS, resolveGatewayConfig } from '../../src/config/gateway';
import { tempDir } from '../helpers';

const dir = tempDir({ after });
let files = 0;

function ini(text: string): string {
  const file = join(dir, `gateway-${++files}.ini`);
  writeFileSync(file, text);
  return file;
}

describe('gateway config', () => {
  it('follows the master on 127.0.0.1:8080 by default with the documented breaker thresholds and no rate limit', () => {
    const c = resolveGatewayConfig({});
    assert.equal(c.port, 9000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.master, 'http://127.0.0.1:8080');
    assert.deepEqual(c.nodes, []);
    assert.equal(c.virtualNodes, 150);
    assert.deepEqual(c.breaker, GATEWAY_DEFAULTS.breaker);
    assert.equal(c.rateLimit.global.rps, 0);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.breaker));
  });

  it('reads every section of the INI file and lets flags win over it', () => {
    const file = ini(
      [
        '[server]\nport = 9100\nhost = 0.0.0.0',
        '[cluster]\nmaster = 127.0.0.1:7000',
        '[etcd]\nttl = 4',
        '[gateway]\nrouting = owner\nvirtual_nodes = 50\nupstream_timeout_ms = 900',
        '[ratelimit]\nglobal_rps = 1000\nip_rps = 10\nip_burst = 20',
        '[breaker]\nwindow_sec = 5\nmin_requests = 4\nfailure_percent = 25\nopen_sec = 2\nclose_after = 3',
      ].join('\n'),
    );
    const c = resolveGatewayConfig({ config: file, port: '9200', routing: 'scatter' });
    assert.equal(c.port, 9200);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.master, 'http://127.0.0.1:7000');
    assert.equal(c.ttlSec, 4);
    assert.equal(c.routing, 'scatter');
    assert.equal(c.virtualNodes, 50);
    assert.equal(c.upstreamTimeoutMs, 900);
    assert.deepEqual(c.rateLimit.global, { rps: 1000, burst: 1000 });
    assert.deepEqual(c.rateLimit.perIp, { rps: 10, burst: 20 });
    assert.deepEqual(c.breaker, { windowMs: 5000, minRequests: 4, failureRatio: 0.25, openMs: 2000, halfOpenProbes: 3, closeAfter: 3 });
  });

  it('uses a static --nodes list instead of the master unless --master is given too', () => {
    const c = resolveGatewayConfig({ nodes: '127.0.0.1:8081, http://127.0.0.1:8082' });
    assert.deepEqual(c.nodes, ['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    assert.equal(c.master, undefined);
  });

  it('reads the fault settings: in-flight limit, hedging, ejection and health checks', () => {
    const d = resolveGatewayConfig({});
    assert.equal(d.maxInflight, 4096);
    assert.equal(d.hedgeAfter, 'adaptive');
    assert.deepEqual(d.ejection, { consecutiveErrors: 5, baseMs: 2000, maxMs: 60_000, maxPercent: 50 });
    assert.deepEqual(d.health, { intervalMs: 1000, timeoutMs: 500, unhealthyAfter: 2, healthyAfter: 2 });
    const c = resolveGatewayConfig({
      config: ini(
        '[gateway]\nmax_inflight = 100\nhedge_after_ms = 40\nconsecutive_errors = 0\nejection_base_ms = 500\nmax_ejection_ms = 4000\nmax_ejection_percent = 30\nhealth_interval_ms = 0\nhealth_timeout_ms = 250',
      ),
    });
    assert.equal(c.maxInflight, 100);
    assert.equal(c.hedgeAfter, 40);
    assert.deepEqual(c.ejection, { consecutiveErrors: 0, baseMs: 500, maxMs: 4000, maxPercent: 30 });
    assert.equal(c.health.intervalMs, 0);
    assert.equal(c.health.timeoutMs, 250);
    assert.ok(Object.isFrozen(c.ejection) && Object.isFrozen(c.health));
    assert.equal(resolveGatewayConfig({ config: ini('[gateway]\nhedge_after_ms = off') }).hedgeAfter, 'off');
    assert.equal(resolveGatewayConfig({ config: ini('[gateway]\nhedge_after_ms = adaptive') }).hedgeAfter, 'adaptive');
  });

  it('refuses bad values with a message naming the setting', () => {
    assert.throws(() => resolveGatewayConfig({ routing: 'random' }), /routing must be one of owner, scatter/);
    assert.throws(() => resolveGatewayConfig({ port: '99999' }), /--port must be an integer between 0 and 65535/);
    assert.throws(() => resolveGatewayConfig({ nodes: 'localhost' }), /--nodes needs a port/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[breaker]\nfailure_percent = 0') }), /\[breaker\] failure_percent .* between 1 and 100/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[gateway]\nhedge_after_ms = soon') }), /\[gateway\] hedge_after_ms must be adaptive, off or a number of milliseconds, got "soon"/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[gateway]\nhedge_after_ms = 0') }), /\[gateway\] hedge_after_ms .* between 1 and 600000/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[gateway]\nmax_inflight = 0') }), /\[gateway\] max_inflight .* between 1 and/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[gateway]\nmax_ejection_percent = 101') }), /\[gateway\] max_ejection_percent .* between 0 and 100/);
  });

  it('keeps a 64 MiB hot cache by default; [gateway] hot_cache_bytes and --hot-cache-bytes set it, 0 turns it off', () => {
    assert.equal(resolveGatewayConfig({}).hotCacheBytes, 64 * 1024 * 1024);
    assert.equal(GATEWAY_DEFAULTS.hotCacheBytes, 64 * 1024 * 1024);
    const file = ini('[gateway]\nhot_cache_bytes = 0');
    assert.equal(resolveGatewayConfig({ config: file }).hotCacheBytes, 0);
    assert.equal(resolveGatewayConfig({ config: file, hotCacheBytes: '1000000' }).hotCacheBytes, 1_000_000);
    assert.throws(() => resolveGatewayConfig({ hotCacheBytes: '-1' }), /--hot-cache-bytes must be an integer between 0 and/);
    assert.throws(() => resolveGatewayConfig({ config: ini('[gateway]\nhot_cache_bytes = lots') }), /\[gateway\] hot_cache_bytes/);
  });
});
