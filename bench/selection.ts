// `npm run bench:selection`: the selection API (docs/api.md, "Selection") on a generated file
// whose main pool holds about 5,000 subjects (6,150 stocks).
//  1. Miss latency, in this process: distinct keyword selections (concepts, industries, names,
//     pages, sort fields) through QueryEngine after the node's warm-up, each a cache miss:
//     median and max, and CPU per answer.
//  2. Hit throughput against the yardstick, in one run: a data node process (from source, through
//     tsx) and bench/wrk/bare-server.mjs answering the same bytes take turns under
//     `wrk -s bench/wrk/hot-selection.lua`; req/s and CPU per request of each, and their ratios.
// Every process it starts is killed by PID at the end.
// Usage: node --import tsx bench/selection.ts [--db file] [--rounds 4] [--duration 5] [--connections 50]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateDatabase } from '../src/gendata/generate';
import { CONCEPTS, INDUSTRIES } from '../src/gendata/tags';
import { QueryEngine } from '../src/query/QueryEngine';
import { FinanceStore } from '../src/store/FinanceStore';
import { SELECTION_ROUTES } from '../src/shared/routes';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
  },
});
const POOL = 'stock_a_listing_pool';
const FIELDS = ['operating_income', 'net_profit', 'roe', 'total_profit'];
const children = new Set<ChildProcess>();
const tmp = mkdtempSync(join(tmpdir(), 'kmt-selection-'));

function missLatency(engine: QueryEngine): void {
  const bodies: object[] = [];
  const all = [
    ...CONCEPTS.map((k) => ({ id: 'concept', keyword: k })),
    ...CONCEPTS.map((k) => ({ id: 'concept', keyword: k.slice(0, 1) })),
    ...INDUSTRIES.map((k) => ({ id: 'industry', keyword: k })),
    ...['Corp 00', 'Corp 6', '000', '1'].map((k) => ({ id: 'name', keyword: k })),
    { id: 'industry' },
    { id: 'concept' },
  ];
  // Concepts sharing a first character (数字经济, 数字货币) would repeat a body: each once.
  const selections = [...new Map(all.map((x) => [JSON.stringify(x), x])).values()];
  // Three passes with other pages: every body distinct, so every one is a miss.
  for (let pass = 0; pass < 3; pass++) {
    selections.forEach((s, i) => bodies.push({ selection: { ...s, topic: POOL }, ids: 'operating_income,net_profit,roe', field: FIELDS[(i + pass) % FIELDS.length], offset: ((i + pass) % 3) * 20, limit: 20 + pass }));
  }
  // Each sort order of the pool's view is built once (as any topic snapshot would); not the selection's cost.
  for (const field of FIELDS) engine.snapshot(Buffer.from(JSON.stringify({ ids: 'roe', topic: POOL, field, limit: 1 })));
  // A first pass of other pages (misses too) compiles the code; it is not counted.
  for (const b of bodies.slice(0, selections.length)) engine.selectionSnapshot(Buffer.from(JSON.stringify({ ...b, limit: 19 })));
  const misses0 = engine.counters.misses;
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (const b of bodies) {
    const raw = Buffer.from(JSON.stringify(b));
    const t0 = performance.now();
    engine.selectionSnapshot(raw);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const misses = engine.counters.misses - misses0;
  times.sort((a, b) => a - b);
  console.log(`${POOL}: ${engine.store.directory.inTopic(POOL).length} subjects; ${engine.store.tags.size} tags`);
  console.log(
    `selection snapshot, answer-cache miss (${times.length} distinct keyword selections, ${misses} misses): ` +
      `median ${times[times.length >> 1].toFixed(2)} ms, p95 ${times[Math.floor(times.length * 0.95)].toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms, ` +
      `CPU ${((cpu.user + cpu.system) / times.length / 1000).toFixed(2)} ms per answer`,
  );
  // Period: a ranking at each of the 40 report dates of ten years, with and without a keyword.
  for (const sel of [{ id: 'concept', keyword: '人工智能' }, { id: 'industry', keyword: '银行' }, { id: 'industry' }]) {
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) {
      const raw = Buffer.from(JSON.stringify({ selection: { ...sel, topic: POOL }, ids: 'operating_income,roe', field: FIELDS[i % FIELDS.length], limit: 20 + i, from: 0, to: 2000000000 }));
      const t0 = performance.now();
      engine.selectionPeriod(raw);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    console.log(`selection period over ten years, answer-cache miss, ${JSON.stringify(sel)}: median ${ms[2].toFixed(1)} ms, max ${ms[4].toFixed(1)} ms`);
  }
}

function start(argv: string[], pattern: RegExp): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start in 60 s`)), 60_000);
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.resume();
        buf = '';
        resolve({ proc, url: m[1] });
      }
    });
  });
}

/** user + system CPU seconds of a process so far (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function wrk(url: string, seconds: number): { rps: number; requests: number; errors: number } {
  const r = spawnSync('wrk', ['-t1', `-c${args.connections}`, `-d${seconds}s`, '-s', 'bench/wrk/hot-selection.lua', url], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]),
    requests: Number(/(\d+) requests in/.exec(r.stdout)?.[1]),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0'),
  };
}

async function hitThroughput(db: string): Promise<void> {
  const node = await start(['--import', 'tsx', 'src/cli/bin.ts', 'slave', '--db', db, '--port', '0', '--snapshot', 'none', '--log-level', 'info'], /"event":"listening".*?"url":"([^"]+)"/);
  // The bare server answers the bytes of the first body's answer: the same size on the wire.
  const first = '{"selection":{"id":"concept","topic":"stock_a_listing_pool","keyword":"人工智能"},"ids":"operating_income,net_profit,roe","field":"operating_income","order":-1,"limit":20}';
  const answer = Buffer.from(await (await fetch(node.url + SELECTION_ROUTES.snapshot, { method: 'POST', body: first })).arrayBuffer());
  const file = join(tmp, 'answer.json');
  writeFileSync(file, answer);
  const port = 19_000 + Math.floor(Math.random() * 1000);
  const bare = spawn(process.execPath, ['bench/wrk/bare-server.mjs', String(port), file], { stdio: 'ignore' });
  children.add(bare);
  const bareUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(bareUrl).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
  const variants = [
    { name: 'node', url: node.url, pid: node.proc.pid! },
    { name: 'bare server', url: bareUrl, pid: bare.pid! },
  ];
  const results = new Map<string, Array<{ rps: number; cpuUs: number }>>(variants.map((v) => [v.name, []]));
  wrk(node.url, 2); // every body answered once (the misses), connections warm
  for (let round = 1; round <= Number(args.rounds); round++) {
    // Alternating which goes first, so drift of the shared machine hits both alike.
    for (const v of round % 2 === 1 ? variants : [...variants].reverse()) {
      const cpu0 = cpuSeconds(v.pid);
      const r = wrk(v.url, Number(args.duration));
      if (r.errors > 0) throw new Error(`${v.name}: ${r.errors} non-2xx answers`);
      const cpuUs = ((cpuSeconds(v.pid) - cpu0) / r.requests) * 1e6;
      results.get(v.name)!.push({ rps: r.rps, cpuUs });
      console.log(`round ${round} ${v.name}: ${r.rps.toFixed(0)} req/s, ${cpuUs.toFixed(1)} µs CPU/request`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const n = results.get('node')!;
  const b = results.get('bare server')!;
  const ratios = n.map((x, i) => x.rps / b[i].rps);
  const ratio = median(ratios);
  const cpuRatio = median(n.map((x, i) => x.cpuUs / b[i].cpuUs));
  console.log(`selection hits (${answer.length}-byte answers): node ${median(n.map((x) => x.rps)).toFixed(0)} req/s vs bare server ${median(b.map((x) => x.rps)).toFixed(0)} req/s: ratio ${ratio.toFixed(2)} (median of rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}); CPU per request ${cpuRatio.toFixed(2)}x the bare server's`);
}

async function main(): Promise<void> {
  let db = args.db;
  if (!db) {
    db = join(tmp, 'finance.db');
    await generateDatabase({ out: db, stocks: 6150, startYear: 2015, endYear: 2024, seed: 42, noise: 0 });
  }
  const store = await FinanceStore.open(db, { fingerprint: false });
  const engine = new QueryEngine(store, { cacheBytes: 256 * 1024 * 1024, maxLimit: 1000 });
  engine.warmUp();
  missLatency(engine);
  await hitThroughput(db);
}

const cleanup = (): void => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
