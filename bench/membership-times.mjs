// How fast membership follows a slave, the master's registry vs etcd, measured the same way:
//   join    the slave logs "listening" -> the gateway's /health lists it (routable)
//   seen    the slave logs it registered -> routable (the membership path alone, no start-up)
//   stop    SIGTERM to the slave       -> /health no longer lists it (deregister / lease revoke)
//   kill    SIGKILL to the slave       -> /health no longer lists it (lease expiry)
// Everything runs from dist/kamaitachi.mjs (npm run build first) on 127.0.0.1 with the same ttl
// in both modes; every process is stopped by PID at the end. etcd comes from PATH.
// Usage: node bench/membership-times.mjs [--rounds 5] [--ttl 4]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, ttl: { type: 'string', default: '4' } } });
const ROUNDS = Number(values.rounds);
const TTL = Number(values.ttl);
const BUNDLE = join(import.meta.dirname, '..', 'dist', 'kamaitachi.mjs');
const POLL_MS = 5;
const dir = mkdtempSync(join(tmpdir(), 'kmt-membership-'));
const procs = new Set();

process.on('exit', () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Spawns a process; resolves with it and the time its "listening" line (or `ready`) was read. */
function start(cmd, args, ready = (line) => line.includes('"event":"listening"')) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(p);
  p.exited = new Promise((r) => p.once('exit', () => r()));
  /** When each log event was first read, e.g. "registered" or "etcd_registered". */
  p.events = new Map();
  let err = '';
  p.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[1] ?? cmd} not ready in 30 s: ${err}`)), 30_000);
    createInterface({ input: p.stdout }).on('line', (line) => {
      // The line's own time (the same machine's clock), not when this process got to read it.
      const event = /"event":"([a-z_]+)"/.exec(line)?.[1];
      const time = Date.parse(/"time":"([^"]+)"/.exec(line)?.[1] ?? '');
      if (event && !p.events.has(event) && Number.isFinite(time)) p.events.set(event, time);
      if (!ready(line)) return;
      clearTimeout(timer);
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      resolve({ proc: p, url });
    });
    void p.exited.then(() => reject(new Error(`${args[1] ?? cmd} exited: ${err}`)));
  });
}

async function stop(p, signal = 'SIGTERM') {
  if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, signal);
  await p.exited;
  procs.delete(p);
}

function getJson(url) {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Date.now() once /health of the gateway satisfies `check` (bounded). */
async function until(gateway, check, what) {
  const end = performance.now() + (TTL * 3 + 10) * 1000;
  for (;;) {
    const nodes = (await getJson(`${gateway}/health`))?.nodes ?? [];
    if (check(nodes)) return Date.now();
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startEtcd() {
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const p = spawn('etcd', ['--name', 'bench', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `bench=${peerUrl}`, '--log-level', 'error', '--logger', 'zap'], { stdio: 'ignore' });
  procs.add(p);
  p.exited = new Promise((r) => p.once('exit', () => r()));
  const end = performance.now() + 20_000;
  while ((await getJson(`${endpoint}/health`))?.health !== 'true') {
    if (performance.now() > end || p.exitCode !== null) throw new Error('etcd did not become healthy');
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc: p, endpoint };
}

/** One mode: a gateway following `source`, and ROUNDS slaves joining, stopping, joining, dying. */
async function measure(mode, gatewayArgs, slaveArgs, registered) {
  const gw = await start(process.execPath, [BUNDLE, 'gateway', '--port', '0', '--log-level', 'info', ...gatewayArgs]);
  const rows = { join: [], seen: [], stop: [], kill: [] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      for (const how of ['stop', 'kill']) {
        const s = await start(process.execPath, [BUNDLE, 'slave', '--db', db, '--port', '0', '--snapshot', 'none', '--name', `bench-${how}-${i}`, ...slaveArgs]);
        const routable = await until(gw.url, (n) => n.includes(s.url), `${mode}: ${s.url} to join`);
        // The registered line may be read a little after the gateway already routes to the slave.
        await until(gw.url, () => s.proc.events.has(registered), `${mode}: the ${registered} line`);
        rows.join.push(routable - s.proc.events.get('listening'));
        rows.seen.push(routable - s.proc.events.get(registered));
        const t = Date.now();
        await stop(s.proc, how === 'stop' ? 'SIGTERM' : 'SIGKILL');
        rows[how].push((await until(gw.url, (n) => !n.includes(s.url), `${mode}: ${s.url} to leave`)) - t);
      }
    }
  } finally {
    await stop(gw.proc);
  }
  return rows;
}

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
  return `median ${f(s[Math.floor(s.length / 2)])} (min ${f(s[0])}, max ${f(s[s.length - 1])})`;
}

if (spawnSync('sh', ['-c', 'command -v etcd']).status !== 0) {
  console.error('etcd is not on PATH: apt-get install -y etcd-server');
  process.exit(2);
}
const db = join(dir, 'finance.db');
spawnSync(process.execPath, [BUNDLE, 'gen-data', '--out', db, '--stocks', '50', '--start-year', '2023'], { stdio: 'ignore' });
const ini = join(dir, 'ttl.ini');
writeFileSync(ini, `[etcd]\nttl = ${TTL}\n`);

const results = {};
const master = await start(process.execPath, [BUNDLE, 'master', '--db', db, '--port', '0', '--snapshot', 'none', '--config', ini]);
results.registry = await measure('registry', ['--master', master.url, '--config', ini], ['--master', master.url, '--config', ini], 'registered');
await stop(master.proc);
const etcd = await startEtcd();
const etcdArgs = ['--etcd', etcd.endpoint, '--etcd-prefix', '/bench/'];
results.etcd = await measure('etcd', etcdArgs, [...etcdArgs, '--etcd-ttl', String(TTL)], 'etcd_registered');
await stop(etcd.proc, 'SIGKILL');

console.log(`membership times, ttl ${TTL} s, ${ROUNDS} rounds, /health polled every ${POLL_MS} ms`);
for (const [mode, r] of Object.entries(results)) {
  console.log(`${mode.padEnd(9)} join (listening -> routable)  ${summary(r.join)}`);
  console.log(`${''.padEnd(9)} registered -> routable       ${summary(r.seen)}`);
  console.log(`${''.padEnd(9)} SIGTERM -> removed           ${summary(r.stop)}`);
  console.log(`${''.padEnd(9)} SIGKILL -> removed           ${summary(r.kill)}`);
}
