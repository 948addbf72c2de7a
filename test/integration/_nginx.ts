// A real nginx with proxy_cache (bench/hotcache/nginx.conf.template) in front of one upstream,
// on a free loopback port, its files in a temp dir, stopped by PID in teardown. With CI set a
// missing nginx is a failure (.ci/run installs it).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, httpRequest, tempDir, waitFor } from '../helpers';

const TEMPLATE = join(import.meta.dirname, '..', '..', 'bench', 'hotcache', 'nginx.conf.template');

export function nginxBinary(): string {
  for (const p of [process.env.KMT_NGINX, '/usr/sbin/nginx', '/usr/bin/nginx']) if (p && existsSync(p)) return p;
  throw new Error(`no nginx binary${process.env.CI ? ' (CI is set)' : ''}: install Debian's nginx (apt-get install -y nginx; .ci/run does this)`);
}

/** Starts nginx caching 200 answers of `upstream` (http://host:port) for `ttl`; returns its base URL. */
export async function startNginx(t: TestContext, upstream: string, ttl = '1m'): Promise<string> {
  const bin = nginxBinary();
  const dir = tempDir(t);
  // Workers run as another user when nginx starts as root: they must reach the cache dir.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{UPSTREAM}}', new URL(upstream).host)
    .replaceAll('{{TTL}}', ttl);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const proc = spawn(bin, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid!, 'SIGTERM');
      await exited;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}: ${stderr}`);
      return httpRequest(`${url}/health`).then(
        () => true,
        () => false,
      );
    },
    'nginx to listen',
    10_000,
  );
  return url;
}
