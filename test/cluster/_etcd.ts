// A real etcd server for a test suite: Debian's etcd-server binary on free loopback ports with a
// temp data dir, ready once its /health says so, killed by PID. kill() and start() again keep the
// ports and the data dir, as an operator restarting etcd would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdServer {
  /** `http://127.0.0.1:<port>`: what `--etcd` takes. */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Starts it (again) and resolves once /health answers true. */
  start(): Promise<void>;
  /** SIGKILL by PID; resolves once it is gone. */
  kill(): Promise<void>;
  /** kill() and remove the data dir. */
  close(): Promise<void>;
}

/**
 * The path of the etcd binary, or throws a message that says how to get it. The suite fails
 * rather than skips without one, with or without CI: a skipped etcd suite reads as a passing one.
 */
export function etcdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(`no etcd binary on PATH${process.env.CI ? ' (CI is set)' : ''}: install Debian's etcd-server (apt-get install -y etcd-server; .ci/run does this)`);
  }
  return path;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startEtcd(): Promise<EtcdServer> {
  const bin = etcdBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'kmt-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const server: EtcdServer = {
    endpoint,
    get pid() {
      return proc?.pid;
    },
    async start() {
      output = '';
      // Short heartbeat and election timeout: a one-member cluster elects itself in ~0.1 s.
      const p = spawn(
        bin,
        [
          '--name', 'kmt-test',
          '--data-dir', dataDir,
          '--listen-client-urls', endpoint,
          '--advertise-client-urls', endpoint,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', `kmt-test=${peer}`,
          '--heartbeat-interval', '20',
          '--election-timeout', '200',
          '--logger', 'zap',
          '--log-level', 'warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      proc = p;
      p.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      p.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      exited = new Promise((r) => p.once('exit', () => r()));
      let dead = false;
      void exited.then(() => (dead = true));
      const end = Date.now() + 20_000;
      while (!(await healthy(endpoint))) {
        if (dead) throw new Error(`etcd exited during startup: ${output}`);
        if (Date.now() > end) throw new Error(`etcd was not healthy within 20 s: ${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async kill() {
      const p = proc;
      if (p?.pid !== undefined && p.exitCode === null && p.signalCode === null) {
        process.kill(p.pid, 'SIGKILL');
        await exited;
      }
    },
    async close() {
      await server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** etcd's own readiness: GET /health answers {"health":"true"} once it has a leader. */
function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
