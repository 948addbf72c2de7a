import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_DEFAULTS, parseWarmup, resolveBenchOptions } from '../../src/loadgen/options';

describe('bench options', () => {
  it('default to the original tool: scenario 1, 5000 requests, 30 workers, one node target', () => {
    const o = resolveBenchOptions({});
    assert.deepEqual([o.scenario, o.maxRequests, o.concurrent, o.repeat, o.targets], [1, 5000, 30, 0, ['http://127.0.0.1:8081']]);
    assert.equal(o.maxSeconds, BENCH_DEFAULTS.safetyCapSec, 'a count run is still bounded in time');
    assert.ok(Object.isFrozen(o));
  });

  it('bound a --duration run by time, and by count only when --requests is also given', () => {
    assert.deepEqual([resolveBenchOptions({ duration: '10' }).maxRequests, resolveBenchOptions({ duration: '10' }).maxSeconds], [Infinity, 10]);
    assert.equal(resolveBenchOptions({ duration: '10', requests: '50' }).maxRequests, 50);
  });

  it('read --warmup as a request count or as seconds', () => {
    assert.deepEqual(parseWarmup(undefined), { kind: 'none' });
    assert.deepEqual(parseWarmup('500'), { kind: 'requests', count: 500 });
    assert.deepEqual(parseWarmup('2.5s'), { kind: 'seconds', seconds: 2.5 });
    assert.throws(() => parseWarmup('soon'), /--warmup must be a request count/);
  });

  it('normalise targets and keep a gateway prefix', () => {
    const o = resolveBenchOptions({ target: '127.0.0.1:9000/data/, http://localhost:8081', concurrent: '2' });
    assert.deepEqual(o.targets, ['http://127.0.0.1:9000/data', 'http://localhost:8081']);
  });

  it('say which flag is wrong and what is allowed', () => {
    assert.throws(() => resolveBenchOptions({ concurrent: '0' }), /--concurrent must be an integer between 1 and 10000, got "0"/);
    assert.throws(() => resolveBenchOptions({ target: 'https://x:1' }), /only http:\/\/ targets/);
    assert.throws(() => resolveBenchOptions({ target: 'http://a:1,http://b:2', concurrent: '1' }), /at least the number of targets/);
    assert.throws(() => resolveBenchOptions({ subjects: ' , ' }), /--subjects must list at least one/);
  });
});
