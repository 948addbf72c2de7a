import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolveBenchOptions } from '../../src/loadgen/options';
import { runLoadgen } from '../../src/roles/loadgen';
import { exitCodeOf, isKmtError } from '../../src/shared/errors';
import { freePort, quietIo, startFakeNode, type FakeNode } from '../helpers';

const nodes: FakeNode[] = [];
after(() => Promise.all(nodes.map((n) => n.close())));

describe('the health check before a run', () => {
  it('refuses a dead target up front with a one-line message', async () => {
    const live = await startFakeNode();
    nodes.push(live);
    const port = await freePort();
    const dead = `http://127.0.0.1:${port}`;
    await assert.rejects(
      runLoadgen(resolveBenchOptions({ target: `${live.url},${dead}`, requests: '10', progress: false }), quietIo()),
      (err: unknown) => {
        assert.ok(isKmtError(err));
        assert.equal(err.code, 'KMT_TARGET_DOWN');
        assert.equal(exitCodeOf(err), 2);
        assert.equal(err.message, `target ${dead} is down: GET ${dead}/health failed (ECONNREFUSED); start it or fix --target`);
        return true;
      },
    );
    assert.equal(live.dataRequests(), 0, 'no load is sent when any target is down');
  });

  it('makes the command exit with code 2 and print only that line', () => {
    return freePort().then((port) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'bench', '--target', `http://127.0.0.1:${port}/data`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `kamaitachi bench: target http://127.0.0.1:${port}/data is down: GET http://127.0.0.1:${port}/health failed (ECONNREFUSED); start it or fix --target\n`,
      );
    });
  });

  it('rejects bad flags with exit code 2 as well', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'bench', '--scenario', '10'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'kamaitachi bench: --scenario must be an integer between 1 and 9, got "10"\n');
  });
});
