// `kamaitachi master|slave` as a process from the bundle: a failed start is one line and exit
// code 2; SIGTERM finishes in-flight requests, saves the cache snapshot and exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { API, BUNDLE, makeDb, spawnBundle, tempDir } from '../helpers';

function runBundle(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('data node process', () => {
  it('refuses an unreadable database with one line naming the file, exit code 2', async () => {
    const { code, stderr } = await runBundle(['slave', '--db', '/nonexistent/finance.db', '--port', '0']);
    assert.equal(code, 2);
    assert.equal(stderr, 'kamaitachi slave: cannot read database /nonexistent/finance.db: ENOENT\n');
  });

  it('refuses a file that is not SQLite, exit code 2', async (t) => {
    const file = join(tempDir(t), 'junk.db');
    writeFileSync(file, 'this is not a database');
    const { code, stderr } = await runBundle(['master', '--db', file, '--port', '0']);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`^kamaitachi master: ${file} is not a readable SQLite database: .+\\n$`));
  });

  it('refuses a bad config value naming the file, section and key, exit code 2', async (t) => {
    const ini = join(tempDir(t), 'bad.ini');
    writeFileSync(ini, '[server]\nport = 8081\n[cache]\nmax_bytes = lots\n');
    const { code, stderr } = await runBundle(['slave', '--config', ini]);
    assert.equal(code, 2);
    assert.equal(stderr, `kamaitachi slave: [cache] max_bytes in ${ini} must be an integer >= 0, got "lots"\n`);
  });

  it('finishes in-flight requests on SIGTERM, saves its snapshot and exits 0', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 400 });
    const snapshot = join(dir, 'node.snapshot');
    const node = await spawnBundle(t, ['slave', '--db', db, '--port', '0', '--snapshot', snapshot]);
    // Every request is a cache miss that builds a new topic view in chunks, so some are in
    // flight when the signal arrives.
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    let sent = 0;
    let signalled = false;
    const results: Array<{ status: number; startedBeforeSignal: boolean; finishedAfterSignal: boolean } | { error: string; startedBeforeSignal: boolean }> = [];
    const one = async (): Promise<void> => {
      const ts = 1500000000 + sent++ * 86400;
      const startedBeforeSignal = !signalled;
      try {
        const res = await new Promise<number>((resolve, reject) => {
          const req = request(`${node.url}${API}/snapshot`, { method: 'POST', agent }, (r) => {
            r.resume();
            r.on('end', () => resolve(r.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end(JSON.stringify({ ids: 'roe', topic: 'stock_a_listing_pool', timestamp: ts }));
        });
        results.push({ status: res, startedBeforeSignal, finishedAfterSignal: signalled });
      } catch (err) {
        results.push({ error: (err as NodeJS.ErrnoException).code ?? String(err), startedBeforeSignal });
      }
    };
    const workers = Array.from({ length: 8 }, async () => {
      while (results.length < 400 && !results.some((r) => 'error' in r)) await one();
    });
    while (results.length < 16) await one();
    signalled = true;
    process.kill(node.child.pid!, 'SIGTERM');
    await Promise.all(workers);
    const code = await node.exited;
    assert.equal(code, 0);
    const answered = results.filter((r) => 'status' in r);
    assert.ok(answered.every((r) => r.status === 200), `all answered requests succeeded: ${JSON.stringify(answered.filter((r) => r.status !== 200))}`);
    assert.ok(answered.some((r) => r.startedBeforeSignal && r.finishedAfterSignal), 'some requests were in flight at the signal');
    // A connection made after the signal may be refused or reset before its request is read;
    // none sent before the signal may fail.
    for (const r of results) if ('error' in r) assert.ok(!r.startedBeforeSignal && /ECONNREFUSED|ECONNRESET/.test(r.error), JSON.stringify(r));
    assert.ok(existsSync(snapshot), 'the cache snapshot was saved on the way out: ' + node.lines.join('\n'));
    assert.ok(node.lines.some((l) => l.includes('"event":"stopped"')));
  });
});
