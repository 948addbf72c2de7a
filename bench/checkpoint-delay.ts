// `npm run bench:checkpoint -- --db <file>`: what a checkpoint costs the main thread while it
// answers requests, and how long a master takes to restart with a long journal.
//
//  1. Opens a copy of the file as a master (DurableStore + QueryEngine behind node:http on
//     127.0.0.1:0) and commits --writes single-row writes.
//  2. A client process keeps --connections keep-alive connections busy with snapshot requests
//     (a mix of hits and misses) while a checkpoint of the whole file runs. Reports the longest
//     event-loop delay of the main thread during the checkpoint (perf_hooks
//     monitorEventLoopDelay), the same over a quiet window of equal length for comparison, and
//     the client's slowest answer. Goal: < 50 ms.
//  3. Restart: a copy of the file plus a journal of --journal records, opened and timed.
// Also reported: commit throughput (16 writers) and the apply cost in the main thread.
// Generate a ~150 MB file first:
//   node dist/kamaitachi.mjs gen-data --stocks 5300 --start-year 1995 --end-year 2024 --out /tmp/big.db
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { request, Agent, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { QueryEngine } from '../src/query/QueryEngine';
import { silentLogger } from '../src/shared/logger';
import { DurableStore } from '../src/store/DurableStore';
import { encodeRecord } from '../src/store/Journal';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    writes: { type: 'string', default: '2000' },
    journal: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '8' },
    client: { type: 'string' },
    'max-seconds': { type: 'string', default: '120' },
  },
});

if (args.client) await runClient(args.client, Number(args.connections), Number(args['max-seconds']));
else await main();

async function main(): Promise<void> {
  if (!args.db) throw new Error('--db <file> is required (see the header of this file for gen-data)');
  const dir = mkdtempSync(join(tmpdir(), 'kmt-bench-checkpoint-'));
  try {
    const db = join(dir, 'master.db');
    copyFileSync(args.db, db);
    const mb = (statSync(db).size / 1e6).toFixed(1);
    console.log(`file: ${args.db} (${mb} MB)`);

    let t0 = performance.now();
    const ds = await DurableStore.open({ db, fsync: true, checkpointRecords: 1e9, checkpointBytes: 1e12, logger: silentLogger });
    console.log(`open (no journal): ${Math.round(performance.now() - t0)} ms, ${ds.store.totalRecords} rows`);
    const engine = new QueryEngine(ds.store, { cacheBytes: 256 * 1024 * 1024, maxLimit: 1000 });
    engine.warmUp();
    ds.onApplied((_r, effect) => engine.invalidate(effect));
    const subjects = ds.store.directory.subjects;

    t0 = performance.now();
    const writes = Number(args.writes);
    const cpu0 = process.cpuUsage();
    const committing = await measure(() =>
      Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = w; i < writes; i += 16) {
            await ds.commit([{ op: 'upsert', rows: [{ subject_key: subjects[(i * 7919) % subjects.length], report_date: 1_900_000_000 + i, operating_income: i }] }]);
          }
        }),
      ),
    );
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    console.log(
      `${writes} single-row commits (16 writers): ${Math.round(ms)} ms (${Math.round((writes / ms) * 1000)}/s), ${ds.journalStats.fsyncs} fsyncs, ` +
        `main-thread CPU ${Math.round((cpu.user + cpu.system) / writes)} µs per commit, ${ds.store.generation} compactions, ` +
        `event-loop delay max ${committing.maxMs.toFixed(1)} ms`,
    );

    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(engine.snapshot(Buffer.concat(chunks))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--client', url, '--connections', args.connections!, '--max-seconds', args['max-seconds']!], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let clientOut = '';
    client.stdout.on('data', (d: Buffer) => (clientOut += d.toString()));
    const clientDone = new Promise<void>((resolve) => client.once('exit', () => resolve()));
    try {
      // Let the client warm up; then the checkpoint, then a quiet window of the same length
      // under the same load (the machine's own noise, for comparison).
      await waitForAnswers(engine, 2000);
      const answered0 = engine.counters.hits + engine.counters.misses;
      const during = await measure(() => ds.checkpoint());
      const answered = engine.counters.hits + engine.counters.misses - answered0;
      const quietMs = Math.round(during.result.ms);
      const quiet = await measure(() => new Promise<void>((resolve) => setTimeout(resolve, quietMs)));
      console.log(
        `checkpoint of ${mb} MB at seq ${during.result.seq}: ${Math.round(during.result.ms)} ms; ` +
          `main-thread event-loop delay max ${during.maxMs.toFixed(1)} ms, p99 ${during.p99Ms.toFixed(1)} ms, ${answered} requests answered meanwhile; ` +
          `stalls > 50 ms at ${during.stalls.join(', ') || 'none'}`,
      );
      console.log(
        `quiet window of ${quietMs} ms right after, same load: max ${quiet.maxMs.toFixed(1)} ms, p99 ${quiet.p99Ms.toFixed(1)} ms; stalls > 50 ms at ${quiet.stalls.join(', ') || 'none'}`,
      );
    } finally {
      if (client.pid && client.exitCode === null) process.kill(client.pid, 'SIGTERM');
      await clientDone;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    console.log(`client: ${clientOut.trim()}`);

    await ds.close();

    // Restart with a long journal: the file as it was plus a journal of N single-row records
    // (written directly: the same framing a master writes, without paying for N commits here).
    const n = Number(args.journal);
    if (n > 0) {
      const copy = join(dir, 'restart.db');
      copyFileSync(args.db, copy);
      const fd = openSync(`${copy}.journal`, 'w');
      for (let seq = 1; seq <= n; seq++) {
        const record = { seq, time: Date.now(), ops: [{ op: 'upsert', rows: [{ subject_key: subjects[(seq * 104729) % subjects.length], report_date: 1_950_000_000 + seq, net_profit: seq }] }] };
        writeSync(fd, encodeRecord(JSON.stringify(record)));
      }
      closeSync(fd);
      const journalMb = (statSync(`${copy}.journal`).size / 1e6).toFixed(1);
      t0 = performance.now();
      const restarted = await DurableStore.open({ db: copy, fsync: true, checkpointRecords: 1e9, checkpointBytes: 1e12, logger: silentLogger });
      const openMs = performance.now() - t0;
      if (restarted.seq !== n) throw new Error(`restarted at seq ${restarted.seq}, expected ${n}`);
      console.log(`restart with a journal of ${n} records (${journalMb} MB): ${Math.round(openMs)} ms until it serves (seq ${restarted.seq})`);
      t0 = performance.now();
      const cp = await restarted.checkpoint();
      console.log(`  then the worker's SQL catch-up and a checkpoint: ${Math.round(performance.now() - t0)} ms (seq ${cp.seq})`);
      await restarted.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForAnswers(engine: QueryEngine, count: number): Promise<void> {
  while (engine.counters.hits + engine.counters.misses < count) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Event-loop delay while `run` runs, and when (ms from its start) the loop stalled > 50 ms. */
async function measure<T>(run: () => Promise<T>): Promise<{ result: T; maxMs: number; p99Ms: number; stalls: string[] }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  let last = t0;
  const stalls: string[] = [];
  const tick = setInterval(() => {
    const now = performance.now();
    if (now - last > 55) stalls.push(`${Math.round(last - t0)} ms (+${Math.round(now - last - 5)})`);
    last = now;
  }, 5);
  h.enable();
  const result = await run();
  h.disable();
  clearInterval(tick);
  return { result, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, stalls };
}

/** The load: keep-alive connections each sending one snapshot request after another. */
async function runClient(url: string, connections: number, maxSeconds: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  const deadline = Date.now() + maxSeconds * 1000;
  let n = 0;
  let errors = 0;
  let worst = 0;
  const send = (body: string): Promise<void> =>
    new Promise((resolve) => {
      const t = performance.now();
      const req = request(`${url}/snapshot`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          worst = Math.max(worst, performance.now() - t);
          n++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = 0; !stop && Date.now() < deadline; i++) {
        // Mostly repeated bodies (hits), every 10th a new as-of date (a miss).
        const asOf = i % 10 === 0 ? 1_500_000_000 + ((i * 7 + c) % 100_000) * 60 : 0;
        await send(JSON.stringify({ ids: 'operating_income,net_profit', topic: 'stock_a_listing_pool', limit: 20, timestamp: asOf }));
      }
    }),
  );
  agent.destroy();
  process.stdout.write(`${n} answers, ${errors} errors, slowest ${worst.toFixed(1)} ms\n`);
}
