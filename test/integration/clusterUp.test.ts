// `kamaitachi cluster up` as a real process tree: it starts, serves through the gateway, follows
// a slave's restart, and leaves nothing behind on SIGTERM nor when the supervisor itself is
// killed with SIGKILL; a child failing at startup is named.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DATA_ROUTES } from '../../src/shared/routes';
import { BUNDLE, SNAPSHOT, http, makeTestDb, pidAlive, pidRunning, postJson, waitFor } from '../helpers';

interface Up {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function clusterUp(args: string[]): Up {
  const proc = spawn(process.execPath, [BUNDLE, 'cluster', 'up', '--master-port', '0', '--slave-base-port', '0', '--gateway-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { proc, stdout: () => out, stderr: () => err, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

async function portClosed(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

// A master that does not serve the registry fails the first test (no READY line); never skipped.
describe('cluster up', () => {
  let dir: string;
  let db: string;
  const spawned: ChildProcess[] = [];
  const childPids: number[] = [];

  before(async () => {
    ({ dir, db } = await makeTestDb());
  });
  after(async () => {
    for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const pid of childPids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts master, two slaves and the gateway, serves through the gateway, takes back a restarted slave and leaves nothing behind on SIGTERM', async () => {
    const up = clusterUp(['--db', db, '--data-dir', join(dir, 'cluster')]);
    spawned.push(up.proc);
    await waitFor(() => up.stdout().includes('READY ') || up.proc.exitCode !== null, 'the READY line', 60_000);
    const readyLine = up.stdout().split('\n').find((l) => l.startsWith('READY '));
    assert.ok(readyLine, `no READY line; stderr: ${up.stderr()}`);
    const ready = JSON.parse(readyLine.slice('READY '.length)) as { gateway: string; master: string; slaves: string[] };
    childPids.push(...[...up.stdout().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1])));
    assert.equal(childPids.length, 4);
    assert.equal(ready.slaves.length, 2);
    assert.match(up.stdout(), /curl -s -XPOST http:\/\/127\.0\.0\.1:\d+\/data\/kamaitachi\/api\/data\/v1\/snapshot/);
    assert.match(up.stdout(), /bench --scenario 1 .*--target http:\/\/127\.0\.0\.1:\d+\/data/);

    const health = await http('GET', `${ready.gateway}/health`);
    assert.deepEqual([...health.json.nodes].sort(), [...ready.slaves].sort());
    const subjects = (await http('GET', `${ready.slaves[0]}${DATA_ROUTES.subjects}?offset=0&limit=4`)).json.data.subjects as string[];
    const answer = await postJson(`${ready.gateway}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: subjects.join(','), limit: 4 });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.data.length, 4);

    // A slave killed with SIGKILL: the gateway keeps answering, and the slave restarted by hand
    // (on a new free port) takes its place in the ring again.
    const slave1Pid = childPids[1];
    const argv = readFileSync(`/proc/${slave1Pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    process.kill(slave1Pid, 'SIGKILL');
    for (const s of subjects) assert.equal((await postJson(`${ready.gateway}/data${SNAPSHOT}`, { ids: 'net_profit', subjects: s })).status, 200);
    const restarted = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    spawned.push(restarted);
    await waitFor(
      async () => {
        const nodes = (await http('GET', `${ready.gateway}/health`)).json.nodes as string[];
        return nodes.length === 2 && !nodes.includes(ready.slaves[0]);
      },
      'the restarted slave to rejoin the ring',
      20_000,
    );
    restarted.kill('SIGTERM');

    up.proc.kill('SIGTERM');
    assert.equal(await up.exited, 0);
    for (const pid of childPids) assert.equal(pidAlive(pid), false, `child ${pid} is still running`);
    for (const url of [ready.gateway, ready.master, ...ready.slaves]) assert.ok(await portClosed(url), `${url} still accepts connections`);
  });

  it('stops every child within 2 s when the supervisor is killed with SIGKILL', async () => {
    const up = clusterUp(['--db', db, '--data-dir', join(dir, 'orphans')]);
    spawned.push(up.proc);
    await waitFor(() => up.stdout().includes('READY ') || up.proc.exitCode !== null, 'the READY line', 60_000);
    assert.ok(up.stdout().includes('READY '), `no READY line; stderr: ${up.stderr()}`);
    const pids = [...up.stdout().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    childPids.push(...pids);
    assert.equal(pids.length, 4);
    process.kill(up.proc.pid as number, 'SIGKILL');
    await up.exited;
    await waitFor(() => pids.every((pid) => !pidRunning(pid)), 'every child of the killed supervisor to exit', 2000);
  });

  it('names the child that died during startup, shows why, stops the others and exits non-zero', async () => {
    const broken = join(dir, 'broken.db');
    writeFileSync(broken, 'this is not a SQLite file');
    const up = clusterUp(['--db', broken, '--data-dir', join(dir, 'broken')]);
    spawned.push(up.proc);
    const code = await up.exited;
    assert.notEqual(code, 0);
    assert.match(up.stderr(), /master exited during startup \(exit code \d+\)/);
    assert.match(up.stderr(), /its last output:/);
  });
});
