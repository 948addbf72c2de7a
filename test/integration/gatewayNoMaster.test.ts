// A gateway started while its master is unreachable keeps running, listens, and retries in the
// background: it used to exit with code 0 after ~0.3 s, silently, because every membership timer
// was unref'd and no server listened yet.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, http, spawnBundle } from '../helpers';

describe('gateway without a reachable master', () => {
  it('stays up, answers /health with 503 and no slaves, and logs that it retries', async (t) => {
    const closed = await freePort();
    const gw = await spawnBundle(t, ['gateway', '--host', '127.0.0.1', '--port', '0', '--master', `http://127.0.0.1:${closed}`, '--log-level', 'info']);
    // The failure was an early exit: the process must still be there 2 s after it listened.
    const outcome = await Promise.race([gw.exited.then((code) => `exited with ${code}`), new Promise<string>((r) => setTimeout(() => r('alive'), 2000))]);
    assert.equal(outcome, 'alive');
    const health = await http('GET', `${gw.url}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(health.json, { status: 'no_slaves', nodes: [], count: 0 });
    assert.ok(gw.lines.some((l) => l.includes('"event":"membership_pending"')), gw.lines.join('\n'));
    process.kill(gw.child.pid as number, 'SIGTERM');
    assert.equal(await gw.exited, 0);
  });
});
