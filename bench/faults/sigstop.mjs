// One of two slaves stopped with SIGSTOP (it accepts connections and never answers) for 10 s in
// the middle of a 30 s hot run through the gateway, at each connection count: failed requests,
// p50/p99/p99.9/max over the whole run (wrk, --timeout 10s so slow requests count as latency,
// not as errors), and what the gateway did (hedges, wins, ejections, health). A variant is
// `faults` (the defaults: hedging, ejection, health checks) or `bare` (all three off: the
// gateway of issue 8 part 1). wrk shares the machine's cores with the cluster.
// Usage: npm run build && node bench/faults/sigstop.mjs [--db file] [--connections 50,100]
//        [--variants faults,bare] [--duration 30] [--stop-at 10] [--stop-for 10]
//        [--gateway-log file] (the gateways' log lines: health, ejection and failure events)
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processes, stop } from '../_procs.mjs';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    connections: { type: 'string', default: '50,100' },
    variants: { type: 'string', default: 'faults,bare' },
    duration: { type: 'string', default: '30' },
    'stop-at': { type: 'string', default: '10' },
    'stop-for': { type: 'string', default: '10' },
    'gateway-log': { type: 'string' },
  },
});
const BUNDLE = 'dist/kamaitachi.mjs';
const { tmp, start, run: runBench } = processes('kmt-sigstop-');
const CONFIGS = {
  faults: '',
  bare: '[gateway]\nhedge_after_ms = off\nconsecutive_errors = 0\nhealth_interval_ms = 0\n',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function wrk(url, connections, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', 'bench/faults/hot-percentiles.lua', url], {
      env: { ...process.env, KMT_PATH: '/data' },
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    p.once('exit', (code) => {
      const m = /SUMMARY (\{.*\})/.exec(out);
      if (code !== 0 || !m) reject(new Error(`wrk failed: ${out}`));
      else resolve(JSON.parse(m[1]));
    });
  });
}

async function status(url) {
  return (await (await fetch(`${url}/monitor/status`)).json()).data;
}

async function run(variant, connections, slaves, target) {
  const ini = join(tmp, `${variant}.ini`);
  writeFileSync(ini, CONFIGS[variant]);
  const gw = await start([BUNDLE, 'gateway', '--port', '0', '--nodes', slaves.map((s) => s.url).join(','), '--config', ini, '--log-level', 'info'], { log: args['gateway-log'] });
  await wrk(gw.url, connections, 3); // warm caches and connections
  const duration = Number(args.duration);
  const load = wrk(gw.url, connections, duration);
  // --stop-for 0: the same run without the fault, for the steady-state tail.
  if (Number(args['stop-for']) > 0) {
    await sleep(Number(args['stop-at']) * 1000);
    process.kill(target.proc.pid, 'SIGSTOP');
    await sleep(Number(args['stop-for']) * 1000);
    process.kill(target.proc.pid, 'SIGCONT');
  }
  const r = await load;
  const s = await status(gw.url);
  await stop(gw.proc);
  const stopped = s.nodes.find((n) => n.addr === target.url);
  const failed = r.non2xx + r.connect + r.read + r.write + r.timeout;
  const ms = (us) => (us / 1000).toFixed(1);
  console.log(
    `| ${variant} | ${connections} | ${r.requests} | ${failed} | ${ms(r.p50_us)} | ${ms(r.p99_us)} | ${ms(r.p999_us)} | ${ms(r.max_us)} | ` +
      `${s.requests.hedges} / ${s.requests.hedge_wins} | ${stopped.ejections} | ${s.requests.upstream_errors_by_cause.timeout} |`,
  );
  await sleep(3000); // let the stopped slave catch up on what it was sent
}

async function main() {
  let db = args.db;
  if (!db) {
    db = join(tmp, 'finance.db');
    spawnSync(process.execPath, [BUNDLE, 'gen-data', '--out', db, '--stocks', '5000'], { stdio: 'inherit' });
  }
  const slaves = [];
  for (let i = 1; i <= 2; i++) slaves.push(await start([BUNDLE, 'slave', '--db', db, '--port', '0', '--name', `slave${i}`, '--snapshot', 'none', '--log-level', 'info']));
  console.log(`SIGSTOP of slave2 at ${args['stop-at']} s for ${args['stop-for']} s of a ${args.duration} s run; latencies in ms over the whole run`);
  console.log('| variant | connections | requests | failed | p50 | p99 | p99.9 | max | hedges / won | ejections | timeouts |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of args.connections.split(',').map(Number)) {
    for (const v of args.variants.split(',')) await run(v, c, slaves, slaves[1]);
  }
}

await runBench(main);
