// `npm run bench:datainfo`: the DataInfo API on one master (bundle process, loopback).
// 1. get on a cache hit, with wrk, against the bare-server yardstick (bench/wrk/bare-server.mjs)
//    serving the same answer bytes, interleaved in the same run: the ratio (goal >= 0.8) and the
//    CPU per request of each server.
// 2. search over 10,000 entities: answer-cache misses (every body new: a time range over the
//    whole table, count exact) and hits, from one keep-alive client, ops/s and latency.
// Bounded: about 40 s in all; temp dir; every process killed by PID at the end.
// Usage: npm run bench:datainfo [-- --entities 10000 --seconds 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const ENTITIES = opt('entities', 10_000);
const SECONDS = opt('seconds', 5);
const ROUNDS = 2;
const BUNDLE = resolve(import.meta.dirname, '..', 'dist', 'kamaitachi.mjs');
const T0 = 1_600_000_000;
const DAY = 86_400;

const procs = [];
const dir = mkdtempSync(join(tmpdir(), 'kmt-datainfo-'));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function start(argv, ready) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(child);
  return new Promise((res, rej) => {
    child.once('exit', (code) => rej(new Error(`${argv.join(' ')} exited with ${code}`)));
    if (!ready) return res(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes(ready)) res(Object.assign(child, { line }));
    });
  });
}

function call(url, method = 'GET', body) {
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(url, { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', rej);
    req.end(payload);
  });
}

/** user + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function wrk(url, pid) {
  const c0 = cpuSeconds(pid);
  return new Promise((res, rej) => {
    const w = spawn('wrk', ['-t1', '-c50', `-d${SECONDS}s`, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(w);
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    w.once('exit', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const total = Number(/(\d+) requests in/.exec(out)?.[1]);
      if (!rps) return rej(new Error(`wrk gave no rate: ${out}`));
      res({ rps, cpuUsPerReq: ((cpuSeconds(pid) - c0) * 1e6) / total, non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) });
    });
  });
}

async function main() {
  console.log(`DataInfo bench: ${ENTITIES} entities of table 1 (10 points each), wrk ${SECONDS} s x ${ROUNDS} rounds per server`);
  const db = join(dir, 'finance.db');
  await start([BUNDLE, 'gen-data', '--out', db, '--stocks', '10', '--start-year', '2023', '--end-year', '2023'], undefined).then(
    (c) => new Promise((r) => c.once('exit', r)),
  );
  const master = await start([BUNDLE, 'master', '--db', db, '--port', '0', '--host', '127.0.0.1', '--snapshot', 'none', '--log-level', 'info'], '"event":"listening"');
  const url = JSON.parse(master.line).url;

  // Load: 32 writers, wait durable (no followers), group-committed.
  const t0 = performance.now();
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < ENTITIES; i = next++) {
      const data = {};
      for (let p = 0; p < 10; p++) data[T0 + DAY * ((i + p * 7) % 60)] = [i, p, i + p, i * 0.5];
      const r = await call(`${url}/data/v1/save?id=1&wait=durable`, 'POST', JSON.stringify({ id: `e${String(i).padStart(6, '0')}`, data }));
      if (r.status !== 200) throw new Error(`save answered ${r.status}: ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  const loadS = (performance.now() - t0) / 1000;
  console.log(`saved ${ENTITIES} entities in ${loadS.toFixed(1)} s (${Math.round(ENTITIES / loadS)} saves/s, 32 writers, wait durable)`);

  // 1. get hit path against the yardstick serving the same bytes.
  const getPath = '/data/v1/get/e000042?tableId=1';
  const answer = await call(url + getPath);
  if (answer.status !== 200) throw new Error(`get answered ${answer.status}`);
  const answerFile = join(dir, 'answer.json');
  writeFileSync(answerFile, answer.body);
  const barePort = await freePort();
  const bare = await start([resolve(import.meta.dirname, 'wrk', 'bare-server.mjs'), String(barePort), answerFile], undefined);
  await waitListening(`http://127.0.0.1:${barePort}/`);
  const runs = { node: [], bare: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.node.push(await wrk(url + getPath, master.pid));
    runs.bare.push(await wrk(`http://127.0.0.1:${barePort}${getPath}`, bare.pid));
  }
  const best = (xs) => xs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const n = best(runs.node);
  const b = best(runs.bare);
  console.log(`\nget hit (${answer.body.length} B answer), wrk -t1 -c50, best of ${ROUNDS}:`);
  console.log(`| server | req/s | CPU µs/req | non-2xx |\n| --- | ---: | ---: | ---: |`);
  console.log(`| node (GET /data/v1/get/<id>) | ${Math.round(n.rps)} | ${n.cpuUsPerReq.toFixed(1)} | ${n.non2xx} |`);
  console.log(`| bare-server yardstick | ${Math.round(b.rps)} | ${b.cpuUsPerReq.toFixed(1)} | ${b.non2xx} |`);
  console.log(`ratio node/bare: ${(n.rps / b.rps).toFixed(2)} by rate, ${(b.cpuUsPerReq / n.cpuUsPerReq).toFixed(2)} by CPU per request (goal >= 0.8)`);

  // 2. search over every entity of the table: misses (new time range each) and hits.
  const searchUrl = `${url}/data/v1/search`;
  const timeSearch = async (bodyOf, count) => {
    const lat = [];
    const c0 = cpuSeconds(master.pid);
    const end = performance.now() + SECONDS * 1000;
    for (let i = 0; i < count && performance.now() < end; i++) {
      const s = performance.now();
      const r = await call(searchUrl, 'POST', bodyOf(i));
      if (r.status !== 200) throw new Error(`search answered ${r.status}: ${r.body}`);
      lat.push(performance.now() - s);
    }
    const cpu = ((cpuSeconds(master.pid) - c0) * 1e6) / lat.length;
    lat.sort((x, y) => x - y);
    const total = lat.reduce((x, y) => x + y, 0);
    return { n: lat.length, opsPerS: (lat.length * 1000) / total, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)], cpu };
  };
  const miss = await timeSearch((i) => JSON.stringify({ tableId: 1, startTime: T0 + DAY * (i % 30), endTime: T0 + DAY * (30 + (i % 29)), limit: 100, offset: i % 50 }), 2000);
  const hit = await timeSearch(() => JSON.stringify({ tableId: 1, startTime: T0 + DAY * 5, endTime: T0 + DAY * 40, limit: 100 }), 5000);
  console.log(`\nsearch over ${ENTITIES} entities (time range, limit 100, exact count), one keep-alive client:`);
  console.log(`| search | requests | ops/s | p50 ms | p99 ms | node CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const [what, s] of [['miss (new range each)', miss], ['hit (same body)', hit]]) {
    console.log(`| ${what} | ${s.n} | ${Math.round(s.opsPerS)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${Math.round(s.cpu)} |`);
  }
}

async function waitListening(u) {
  for (let i = 0; i < 100; i++) {
    try {
      await call(u);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${u} never listened`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    agent.destroy();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
