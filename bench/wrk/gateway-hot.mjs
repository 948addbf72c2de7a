// The hot gateway path, measured with wrk in one run: 2 real slaves (from the bundle) behind
// variants that take turns, so drift of the shared machine hits them alike. A variant is
// `gateway` (the kamaitachi gateway; `gateway:NAME=VALUE` runs it with that environment
// variable, `gateway@FILE` with that config file) or `bare-proxy` (bench/wrk/bare-proxy.mjs in front of the first slave, the yardstick).
// Besides wrk's req/s it reports the CPU time the gateway (or proxy) process spent per request,
// from /proc/<pid>/stat: on a machine shared with other work, throughput swings with the
// neighbours while CPU per request barely moves. Every process it starts is killed by PID at the end.
// Usage: npm run build && node bench/wrk/gateway-hot.mjs [--db file] [--rounds 3] [--duration 8]
//        [--connections 50] [--variants gateway,bare-proxy]
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, processes, runWrk, stop } from '../_procs.mjs';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    variants: { type: 'string', default: 'gateway,bare-proxy' },
  },
});
const BUNDLE = 'dist/kamaitachi.mjs';
const { tmp, track, start, run } = processes('kmt-gw-hot-');

const wrk = (url, seconds) => runWrk({ url, connections: args.connections, seconds, script: 'bench/wrk/hot-snapshot.lua', path: '/data' });

async function startVariant(variant, slaves) {
  if (variant === 'bare-proxy') {
    const port = 19_000 + Math.floor(Math.random() * 1000);
    const upstreamPort = new URL(slaves[0]).port;
    const proc = track(spawn(process.execPath, ['bench/wrk/bare-proxy.mjs', String(port), upstreamPort], { stdio: 'ignore' }));
    // Ready once it answers; a few tries at most.
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/data/health`).then((r) => r.ok, () => false);
      if (ok) return { proc, url: `http://127.0.0.1:${port}` };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('bare proxy did not start');
  }
  const [, envPair] = variant.split(':');
  const env = envPair ? Object.fromEntries([envPair.split('=')]) : {};
  const config = variant.includes('@') ? ['--config', variant.slice(variant.indexOf('@') + 1)] : [];
  return start([BUNDLE, 'gateway', '--port', '0', '--nodes', slaves.join(','), '--log-level', 'info', ...config], { env });
}

async function main() {
  let db = args.db;
  if (!db) {
    db = join(tmp, 'finance.db');
    spawnSync(process.execPath, [BUNDLE, 'gen-data', '--out', db, '--stocks', '5000'], { stdio: 'inherit' });
  }
  const slaves = [];
  for (let i = 0; i < 2; i++) {
    const s = await start([BUNDLE, 'slave', '--db', db, '--port', '0', '--snapshot', 'none', '--log-level', 'info']);
    slaves.push(s.url);
  }
  const variants = args.variants.split(',');
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const v of variants) {
      const g = await startVariant(v, slaves);
      wrk(g.url, 2); // warm the slaves' caches and the connections
      const cpu0 = cpuSeconds(g.proc.pid);
      const r = wrk(g.url, Number(args.duration));
      r.cpuUs = ((cpuSeconds(g.proc.pid) - cpu0) / r.requests) * 1e6;
      results[v].push(r);
      console.log(`round ${round} ${v}: ${r.rps.toFixed(0)} req/s, ${r.cpuUs.toFixed(1)} µs CPU/request, p99 ${r.p99}, non-2xx ${r.errors}`);
      await stop(g.proc);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('\n| variant | req/s per round | median req/s | CPU µs/request per round | median µs | p99 per round |\n| --- | --- | --- | --- | --- | --- |');
  for (const v of variants) {
    const rs = results[v];
    const rps = rs.map((r) => r.rps);
    const cpu = rs.map((r) => r.cpuUs);
    console.log(
      `| ${v} | ${rps.map((x) => x.toFixed(0)).join(', ')} | ${median(rps).toFixed(0)} | ${cpu.map((x) => x.toFixed(1)).join(', ')} | ${median(cpu).toFixed(1)} | ${rs.map((r) => r.p99).join(', ')} |`,
    );
  }
  // Rounds taken back to back are pairs: their ratio cancels most of the drift of a shared machine.
  const [first, ...others] = variants;
  for (const v of others) {
    const rpsRatio = results[v].map((r, i) => r.rps / results[first][i].rps);
    const cpuRatio = results[v].map((r, i) => r.cpuUs / results[first][i].cpuUs);
    console.log(`${v} / ${first}, paired by round: req/s median ${median(rpsRatio).toFixed(2)} (${rpsRatio.map((x) => x.toFixed(2)).join(', ')}); CPU per request median ${median(cpuRatio).toFixed(2)}`);
  }
}

await run(main);
