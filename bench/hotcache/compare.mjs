// The gateway hot cache against its yardsticks, in one run on loopback: a master, two slaves
// following it, two gateways (hot cache off and on), nginx 1.22 proxy_cache in front of a slave
// (bench/hotcache/nginx.conf.template: POST body in the key, one worker) and a bare node:http
// server answering fixed bytes (bench/wrk/bare-server.mjs). wrk sends the 200 hot scenario-1
// bodies of hot200.lua to each in turn, round after round, so drift of the shared machine hits
// them alike; then random all-miss bodies (bench/wrk/miss-snapshot.lua) to both gateways.
// It prints req/s, p99 and CPU per request of the serving process(es), and the ratios the hot
// cache is judged by (docs/design.md, "The gateway's hot cache"). Every process it starts is
// stopped by PID at the end.
// Usage: npm run build && node bench/hotcache/compare.mjs [--db file] [--duration 8] [--rounds 3] [--connections 50]
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, processes, runWrk } from '../_procs.mjs';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    nginx: { type: 'string', default: existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx' },
  },
});
const BUNDLE = 'dist/kamaitachi.mjs';
const HERE = 'bench/hotcache';
const { tmp, track, start, run } = processes('kmt-hotcache-');

/** Starts a bundle role and resolves with its URL from the "listening" log line. */
const startRole = (argv) => start([BUNDLE, ...argv]);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function ready(url, what) {
  for (let i = 0; i < 100; i++) {
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

const wrk = (url, seconds, script, path) => runWrk({ url, connections: args.connections, seconds, script, path });

async function main() {
  const duration = Number(args.duration);
  let db = args.db;
  if (!db) {
    db = join(tmp, 'finance.db');
    spawnSync(process.execPath, [BUNDLE, 'gen-data', '--out', db, '--stocks', '5000'], { stdio: 'inherit' });
  }
  const copy = (name) => {
    const f = join(tmp, name);
    copyFileSync(db, f);
    return f;
  };
  const master = await startRole(['master', '--db', copy('master.db'), '--port', '0', '--snapshot', 'none']);
  const slaves = [];
  for (const name of ['s1', 's2']) slaves.push(await startRole(['slave', '--db', copy(`${name}.db`), '--port', '0', '--snapshot', 'none', '--name', name, '--master', master.url]));
  const gateway = (hotBytes) => startRole(['gateway', '--port', '0', '--master', master.url, '--hot-cache-bytes', String(hotBytes)]);
  const gwCold = await gateway(0);
  const gwHot = await gateway(64 * 1024 * 1024);

  // nginx in front of the first slave.
  const ngDir = join(tmp, 'nginx');
  mkdirSync(ngDir);
  chmodSync(tmp, 0o755);
  chmodSync(ngDir, 0o755);
  const ngPort = await freePort();
  const conf = readFileSync(join(HERE, 'nginx.conf.template'), 'utf8')
    .replaceAll('{{DIR}}', ngDir)
    .replaceAll('{{PORT}}', String(ngPort))
    .replaceAll('{{UPSTREAM}}', new URL(slaves[0].url).host)
    .replaceAll('{{TTL}}', '10m');
  writeFileSync(join(ngDir, 'nginx.conf'), conf);
  const nginx = track(spawn(args.nginx, ['-p', ngDir, '-e', join(ngDir, 'error.log'), '-c', join(ngDir, 'nginx.conf')], { stdio: 'inherit' }));
  const nginxUrl = `http://127.0.0.1:${ngPort}`;
  await ready(`${nginxUrl}/health`, 'nginx');

  // The bare server answers the bytes of a real hot answer.
  const sample = await fetch(`${slaves[0].url}/kamaitachi/api/data/v1/snapshot`, {
    method: 'POST',
    body: '{"ids":"parent_holder_net_profit,operating_income,total_profit","subjects":"33:000002,17:600007","field":"report_date","order":-1,"limit":20}',
  }).then((r) => r.arrayBuffer());
  writeFileSync(join(tmp, 'answer.json'), Buffer.from(sample));
  const barePort = await freePort();
  const bare = track(spawn(process.execPath, ['bench/wrk/bare-server.mjs', String(barePort), join(tmp, 'answer.json')], { stdio: 'inherit' }));
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await ready(bareUrl, 'the bare server');

  const variants = [
    { name: 'nginx proxy_cache', url: nginxUrl, path: '', pid: nginx.pid },
    { name: 'bare node:http', url: bareUrl, path: '', pid: bare.pid },
    { name: 'slave direct', url: slaves[0].url, path: '', pid: slaves[0].proc.pid },
    { name: 'gateway, hot cache off', url: gwCold.url, path: '/data', pid: gwCold.proc.pid },
    { name: 'gateway, hot cache on', url: gwHot.url, path: '/data', pid: gwHot.proc.pid },
  ];
  const hot = `${HERE}/hot200.lua`;
  const results = new Map(variants.map((v) => [v.name, []]));
  const missNames = ['all-miss, hot cache off', 'all-miss, hot cache on'];
  const missGateways = [gwCold, gwHot];
  for (const n of missNames) results.set(n, []);
  for (const v of variants) wrk(v.url, 2, hot, v.path); // warm caches and connections
  const run = (name, url, script, path, pid, round) => {
    const cpu0 = cpuSeconds(pid, { children: true });
    const r = wrk(url, duration, script, path);
    r.cpuUs = ((cpuSeconds(pid, { children: true }) - cpu0) / r.requests) * 1e6;
    results.get(name).push(r);
    console.log(`round ${round} ${name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99}, ${r.cpuUs.toFixed(1)} µs CPU/request, non-2xx ${r.errors}`);
  };
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const v of variants) run(v.name, v.url, hot, v.path, v.pid, round);
    // The all-miss pair, in alternating order from round to round.
    const order = round % 2 === 1 ? [0, 1] : [1, 0];
    for (const i of order) run(missNames[i], missGateways[i].url, 'bench/wrk/miss-snapshot.lua', '/data', missGateways[i].proc.pid, round);
  }
  const hotStats = await fetch(`${gwHot.url}/kamaitachi/api/data/v1/stats`).then((r) => r.json());

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const med = (name, field) => median(results.get(name).map((r) => r[field]));
  console.log('\n| variant | req/s per round | median req/s | p99 per round | CPU µs/request (median) |\n| --- | --- | --- | --- | --- |');
  for (const name of results.keys()) {
    const rs = results.get(name);
    console.log(`| ${name} | ${rs.map((r) => r.rps.toFixed(0)).join(', ')} | ${med(name, 'rps').toFixed(0)} | ${rs.map((r) => r.p99).join(', ')} | ${med(name, 'cpuUs').toFixed(1)} |`);
  }
  // Runs of one round are back to back: their ratio cancels most of the drift of a shared machine.
  const paired = (a, b, field) => median(results.get(a).map((r, i) => r[field] / results.get(b)[i][field]));
  const HOT = 'gateway, hot cache on';
  const judged = (label, x, goal) => console.log(`${label}: req/s ${x.toFixed(2)} (goal >= ${goal}: ${x >= goal ? 'met' : 'NOT met'})`);
  console.log('');
  judged('gateway hot / nginx proxy_cache', paired(HOT, 'nginx proxy_cache', 'rps'), 0.6);
  console.log(`  CPU per request, gateway hot / nginx: ${paired(HOT, 'nginx proxy_cache', 'cpuUs').toFixed(2)}`);
  judged('gateway hot / bare node:http', paired(HOT, 'bare node:http', 'rps'), 0.8);
  console.log(`  CPU per request, gateway hot / bare: ${paired(HOT, 'bare node:http', 'cpuUs').toFixed(2)}`);
  console.log(`gateway hot / gateway without hot cache: req/s ${paired(HOT, 'gateway, hot cache off', 'rps').toFixed(2)}, CPU per request ${paired(HOT, 'gateway, hot cache off', 'cpuUs').toFixed(2)}`);
  const loss = 1 - paired(missNames[1], missNames[0], 'rps');
  console.log(
    `all-miss, hot cache on vs off: ${(100 * loss).toFixed(1)}% fewer req/s (goal <= 5%: ${loss <= 0.05 ? 'met' : 'NOT met'}); CPU per request ${paired(missNames[1], missNames[0], 'cpuUs').toFixed(2)}x`,
  );
  const h = hotStats.data?.hot_cache;
  if (h) console.log(`hot cache: ${h.entries} entries, ${h.bytes} bytes, hits ${h.hits}, misses ${h.misses}, admissions ${h.admissions}, feed applied_seq ${h.feed.applied_seq} lag ${h.feed.lag}`);
}

await run(main);
