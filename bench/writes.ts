// `npm run bench:writes`: the write path's figures on a local cluster (master, 2 slaves, gateway
// as bundle processes on loopback), every load sent by `kamaitachi bench` in its own process.
// The load generator shares the machine's cores with the cluster. Every run is bounded in time
// and request count.
//
// Usage: node --import tsx bench/writes.ts [--phase all|lag|bulk|single|mix|paths|restart] [--stocks 2000]
//   lag      replication lag (commit on the master -> applied by both slaves) under a hot read load
//   bulk     upserts of 1,000-row batches through the gateway, wait replicated: rows/s
//   single   16 concurrent single-row writers through the gateway, wait replicated: acks/s, p99
//   mix      reads alone vs reads with 1% writes (same read sequence): throughput ratio, hit rates
//   paths    a node's hit and miss paths before and after 10,000 single-row updates
//   restart  master restart time with 100,000 records in its journal (vs an empty journal)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { httpRequest, BUNDLE } from '../test/helpers';
import { TestCluster, type Proc } from '../test/integration/_cluster';

const { values: args } = parseArgs({ options: { phase: { type: 'string', default: 'all' }, stocks: { type: 'string', default: '2000' } } });
const stocks = Number(args.stocks);
const L = 2000;

interface Result {
  success: number;
  failed: number;
  success_qps: number;
  duration_s: number;
  latency_ms: { p50: number; p99: number } | null;
  hit_rate: { percent: number | null } | null;
}

/** `kamaitachi bench <args> --json` as a separate process. */
function loadgen(argv: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, 'bench', ...argv, '--json', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out) as Result);
      } catch {
        reject(new Error(`bench ${argv.join(' ')} exited ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

const fmt = (r: Result): string =>
  `${Math.round(r.success_qps)}/s ok=${r.success} failed=${r.failed} p50=${r.latency_ms?.p50.toFixed(2)} ms p99=${r.latency_ms?.p99.toFixed(2)} ms` +
  (r.hit_rate?.percent != null ? ` hit=${r.hit_rate.percent}%` : '');

function say(line: string): void {
  process.stdout.write(line + '\n');
}

async function cluster(slaves = 2, extraIni = ''): Promise<TestCluster> {
  const c = await TestCluster.start({ slaves, timeoutMs: L, stocks, startYear: 2015, extraIni });
  say(`cluster: master ${c.master.url}, ${slaves} slaves, gateway ${c.gateway.url}; ${stocks} stocks 2015-2023`);
  return c;
}

/** CPU seconds (user + system, all threads) a process used so far: /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/**
 * CPU per operation of each cluster process over a load run: on a shared, loaded machine a
 * steadier measure than rates. Call before the load; the returned function reports after it.
 */
function cpuMeter(c: TestCluster): (ops: number, unit: string) => string {
  const procs = [c.master, ...c.slaves, c.gateway];
  const before = procs.map((p) => cpuSeconds(p.pid));
  return (ops, unit) => {
    const parts = procs.map((p, i) => `${p.name} ${(((cpuSeconds(p.pid) - before[i]) * 1e6) / Math.max(1, ops)).toFixed(0)}`);
    return `CPU us per ${unit}: ${parts.join(', ')}`;
  };
}

const masterStats = async (c: TestCluster) => (await httpRequest(`${c.master.url}/kamaitachi/api/data/v1/stats`)).json.data;

async function lag(): Promise<void> {
  const c = await cluster();
  try {
    const gw = `${c.gateway.url}/data`;
    say('## replication lag under a hot read load (scenario 2 through the gateway, 32 connections)');
    const [reads, writes] = await Promise.all([
      loadgen(['--scenario', '2', '--target', gw, '--repeat', '2000', '--warmup', '4000', '--concurrent', '32', '--duration', '15', '--requests', '600000']),
      loadgen(['--scenario', '8', '--target', c.master.url, '--wait', 'durable', '--concurrent', '2', '--duration', '15', '--requests', '20000', '--seed', '5']),
    ]);
    const s = await masterStats(c);
    say(`reads  ${fmt(reads)}`);
    say(`writes ${fmt(writes)} (durable, direct to the master)`);
    say(`lag commit -> applied by both slaves: ${JSON.stringify(s.replication.follower_lag)}`);
  } finally {
    await c.stop();
  }
}

async function bulkAndSingle(which: 'bulk' | 'single' | 'both'): Promise<void> {
  const c = await cluster();
  try {
    const gw = `${c.gateway.url}/data`;
    if (which !== 'single') {
      say('## bulk upsert through the gateway: 1,000-row batches, wait replicated, 4 connections');
      const cpu = cpuMeter(c);
      const r = await loadgen(['--scenario', '8', '--target', gw, '--batch', '1000', '--concurrent', '4', '--requests', '120', '--duration', '60']);
      say(`${fmt(r)} -> ${Math.round(r.success_qps * 1000)} rows/s`);
      say(cpu(r.success * 1000, 'row'));
    }
    if (which !== 'bulk') {
      say('## single-row writes through the gateway: 16 concurrent writers, wait replicated');
      const cpu = cpuMeter(c);
      const r = await loadgen(['--scenario', '8', '--target', gw, '--concurrent', '16', '--duration', '10', '--requests', '200000', '--seed', '7']);
      say(fmt(r));
      say(cpu(r.success, 'write'));
      const j = (await masterStats(c)).replication.journal;
      say(`master journal: ${j.records} records in ${j.fsyncs} fsyncs (group commit)`);
    }
  } finally {
    await c.stop();
  }
}

async function mix(): Promise<void> {
  const c = await cluster();
  try {
    const gw = `${c.gateway.url}/data`;
    const common = ['--scenario', '2', '--target', gw, '--repeat', '2000', '--warmup', '4000', '--concurrent', '32', '--duration', '10', '--requests', '400000'];
    say('## reads alone vs reads with 1% single-row writes (scenario 2 through the gateway, writes to every 10th subject, reads of the others)');
    const alone = await loadgen([...common, '--write-share', '0']);
    const mixed = await loadgen([...common, '--write-share', '0.01']);
    say(`alone ${fmt(alone)}`);
    say(`mixed ${fmt(mixed)}`);
    say(`ratio ${(mixed.success_qps / alone.success_qps).toFixed(2)}`);
  } finally {
    await c.stop();
  }
}

async function paths(): Promise<void> {
  const c = await cluster(0);
  try {
    const node = c.master.url;
    const reset = () => httpRequest(`${node}/kamaitachi/api/data/v1/cache/reset`, { body: '{"clear":true}' });
    const measure = async (label: string): Promise<void> => {
      await reset();
      const hit = await loadgen(['--scenario', '2', '--target', node, '--repeat', '200', '--warmup', '2000', '--concurrent', '16', '--duration', '8', '--requests', '300000']);
      await reset();
      const miss = await loadgen(['--scenario', '2', '--target', node, '--concurrent', '16', '--duration', '8', '--requests', '40000', '--seed', '11']);
      say(`${label} hit path  ${fmt(hit)}`);
      say(`${label} miss path ${fmt(miss)}`);
    };
    say('## a node (the master, direct) before and after 10,000 single-row updates');
    await measure('before');
    const w = await loadgen(['--scenario', '8', '--target', node, '--wait', 'durable', '--concurrent', '32', '--requests', '10000', '--duration', '120', '--seed', '13']);
    say(`updates ${fmt(w)}`);
    await measure('after ');
  } finally {
    await c.stop();
  }
}

async function restart(): Promise<void> {
  const c = await cluster(0, '[database]\ncheckpoint_records = 1000000\ncheckpoint_bytes = 1073741824');
  try {
    say('## master restart with 100,000 journal records');
    const started = async (p: Proc): Promise<number> => {
      const t0 = Date.now();
      const next = await c.restart(p);
      const ms = Date.now() - t0;
      const replay = next.lines.map((l) => JSON.parse(l) as { event?: string; ms?: number; records?: number }).find((l) => l.event === 'journal_replayed');
      say(`restart (kill -9, spawn, listening): ${ms} ms; ${replay ? `replayed ${replay.records} records in ${replay.ms} ms` : 'no journal to replay'}`);
      c.master = next;
      return ms;
    };
    await started(c.master);
    const w = await loadgen(['--scenario', '8', '--target', c.master.url, '--wait', 'durable', '--concurrent', '64', '--requests', '100000', '--duration', '240', '--seed', '17']);
    say(`journal filled: ${fmt(w)}`);
    say(`journal: ${JSON.stringify((await masterStats(c)).replication.journal)}`);
    await started(c.master);
  } finally {
    await c.stop();
  }
}

const phase = args.phase;
say(`node ${process.version}; bundle ${join(BUNDLE)}; phase ${phase}`);
if (phase === 'all' || phase === 'lag') await lag();
if (phase === 'all' || phase === 'bulk' || phase === 'single') await bulkAndSingle(phase === 'all' ? 'both' : phase);
if (phase === 'all' || phase === 'mix') await mix();
if (phase === 'all' || phase === 'paths') await paths();
if (phase === 'all' || phase === 'restart') await restart();
