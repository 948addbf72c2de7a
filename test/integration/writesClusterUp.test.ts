// `cluster up --token`: every role gets the token, the banner's write example works as printed
// (through the gateway, with the header) and a write without the token is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { API, BUNDLE, httpRequest, makeDb, tempDir } from '../helpers';

describe('cluster up with a token', () => {
  it('prints a ready-to-paste write example that works, and refuses writes without the token', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 10 });
    const up = spawn(process.execPath, [BUNDLE, 'cluster', 'up', '--db', db, '--data-dir', join(dir, 'c'), '--slaves', '1', '--master-port', '0', '--slave-base-port', '0', '--gateway-port', '0', '--token', 'up-tok'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
    let out = '';
    let err = '';
    up.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const pids: number[] = [];
    t.after(async () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (up.exitCode === null && up.signalCode === null) {
        process.kill(up.pid as number, 'SIGKILL');
        await exited;
      }
    });
    await new Promise<void>((resolve, reject) => {
      up.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('READY ')) resolve();
      });
      void exited.then((code) => reject(new Error(`cluster up exited with ${code}: ${err}`)));
    });
    pids.push(...[...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1])));

    const example = /curl -s -XPOST (\S+\/reports) -H 'content-type: application\/json' -H 'authorization: (Bearer up-tok)' -d '(.+)'/.exec(out);
    assert.ok(example, `no write example in the banner:\n${out}`);
    const [, url, authorization, body] = example;
    const ok = await httpRequest(url, { body, headers: { authorization } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.seq, 1);
    assert.equal((await httpRequest(url, { body })).status, 401);

    // The slave follows the master with the token: the write is served by it.
    const ready = JSON.parse(out.split('\n').find((l) => l.startsWith('READY '))!.slice(6)) as { slaves: string[] };
    const subject = (JSON.parse(body) as { reports: Array<{ subject_key: string }> }).reports[0].subject_key;
    const read = await httpRequest(`${ready.slaves[0]}${API}/snapshot`, { body: JSON.stringify({ ids: 'operating_income', subjects: subject }) });
    assert.equal(read.json.data[0].data.operating_income, 1.5e9);

    up.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
