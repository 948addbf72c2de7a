// A flood against the gateway: a gateway process in front of a node that accepts connections and never
// answers, sent 50,000 requests that the client abandons after 50 ms, 500 at a time. Reports
// whether the gateway stayed up, its RSS before, at its peak and after (/proc), how long the
// flood took and what the gateway counted. The client runs in this process and shares the
// machine's cores with the gateway.
// Usage: npm run build && node bench/faults/flood.mjs [--requests 50000] [--at-once 500]
//        [--abandon-ms 50] [--max-inflight 4096]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    'at-once': { type: 'string', default: '500' },
    'abandon-ms': { type: 'string', default: '50' },
    'max-inflight': { type: 'string', default: '4096' },
  },
});
const BUNDLE = 'dist/kamaitachi.mjs';
const tmp = mkdtempSync(join(tmpdir(), 'kmt-flood-'));
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const rss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

// The hung node: accepts, reads, never answers.
const sockets = new Set();
const hung = createServer((s) => {
  sockets.add(s);
  s.on('data', () => {});
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
});
await new Promise((r) => hung.listen(0, '127.0.0.1', r));
const hungUrl = `http://127.0.0.1:${hung.address().port}`;

const ini = join(tmp, 'gateway.ini');
writeFileSync(ini, `[gateway]\nmax_inflight = ${args['max-inflight']}\n`);
const gw = spawn(process.execPath, [BUNDLE, 'gateway', '--port', '0', '--nodes', hungUrl, '--config', ini, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    gw.stdout.on('data', (c) => {
      buf += c;
      const m = /"event":"listening".*?"url":"([^"]+)"/.exec(buf);
      if (m) resolve(m[1]);
    });
    gw.once('exit', () => reject(new Error('gateway exited')));
  });
  gw.stdout.resume();
  const port = Number(new URL(url).port);
  const before = rss(gw.pid);
  const body = JSON.stringify({ ids: 'net_profit', subjects: '33:000001' });
  const request = `POST /data/kamaitachi/api/data/v1/snapshot HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(gw.pid))), 100);
  const total = Number(args.requests);
  let issued = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (issued < total) {
      issued++;
      await new Promise((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', resolve);
        s.write(request);
        setTimeout(() => s.destroy(), Number(args['abandon-ms']));
      });
    }
  };
  await Promise.all(Array.from({ length: Number(args['at-once']) }, worker));
  const floodMs = Date.now() - t0;
  clearInterval(sampler);
  const health = await fetch(`${url}/health`).then((r) => r.status, (e) => String(e));
  const counters = (await (await fetch(`${url}/monitor/status`)).json()).data.requests;
  const afterFlood = rss(gw.pid);
  await new Promise((r) => setTimeout(r, 5000));
  console.log(`flood: ${issued} requests, ${args['at-once']} at a time, each abandoned after ${args['abandon-ms']} ms, in ${(floodMs / 1000).toFixed(1)} s; max_inflight ${args['max-inflight']}`);
  console.log(`gateway alive: ${gw.exitCode === null ? 'yes' : `no (exit ${gw.exitCode})`}, /health ${health}`);
  console.log(`gateway RSS: before ${mb(before)}, peak ${mb(peak)} (+${mb(peak - before)}), right after ${mb(afterFlood)}, 5 s later ${mb(rss(gw.pid))}`);
  console.log(
    `gateway counted: ${counters.requests} requests, ${counters.overloaded} overloaded (503 at once), ${counters.breaker_open_rejects} breaker_open_rejects, ` +
      `${counters.upstream_calls} upstream calls (${JSON.stringify(Object.fromEntries(Object.entries(counters.upstream_errors_by_cause).filter(([, n]) => n > 0)))})`,
  );
} finally {
  gw.kill('SIGKILL');
  for (const s of sockets) s.destroy();
  hung.close();
  rmSync(tmp, { recursive: true, force: true });
}
