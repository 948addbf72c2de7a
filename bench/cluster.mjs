#!/usr/bin/env node
// `npm run bench:cluster`: starts a local cluster (master + slaves + gateway) on a generated
// database, runs the original's scenarios 1-4 on hot data through the gateway and directly against one
// slave, and prints a markdown table next to the original's published figures (docs/design.md, Load scenarios).
//
// Usage: node bench/cluster.mjs [--slaves 2] [--stocks 2000] [--duration 10]
//          [--concurrent 50] [--repeat 10] [--scenarios 1,2,3,4] [--gateway-port 0]
//          [--master-port 0] [--slave-base-port 0] [--keep]
// Ports default to 0 (free ports); --keep leaves the temporary directory for inspection.
// KAMAITACHI_CLI=/path/to/kamaitachi.mjs uses another bundle instead of building dist/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.KAMAITACHI_CLI ?? join(ROOT, 'dist', 'kamaitachi.mjs');
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

/** docs/design.md, Load scenarios: the original's targets and measurements (2 slaves via gateway, hot data, 8 cores). */
const ORIGINAL = {
  1: { target: 300, qps: 1900, hitRate: 99.7 },
  2: { target: 500, qps: 2800, hitRate: 99.8 },
  3: { target: 10000, qps: 2700, hitRate: 99.8 },
  4: { target: 300, qps: 2800, hitRate: 99.8 },
};

const { values: args } = parseArgs({
  options: {
    slaves: { type: 'string', default: '2' },
    stocks: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '10' },
    concurrent: { type: 'string', default: '50' },
    repeat: { type: 'string', default: '10' },
    scenarios: { type: 'string', default: '1,2,3,4' },
    'gateway-port': { type: 'string', default: '0' },
    'master-port': { type: 'string', default: '0' },
    'slave-base-port': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});

let cluster = null;
let workDir = null;
/** gen-data and bench children in flight, stopped with the cluster on Ctrl-C. */
const running = new Set();

let stopping = null;

/** Stops the cluster by its PID; every caller gets the same promise, settled once it has exited. */
function stopCluster() {
  for (const child of running) child.kill('SIGTERM');
  if (stopping) return stopping;
  const child = cluster;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  stopping = new Promise((resolve) => {
    const killer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(killer);
      resolve();
    }
  });
  return stopping;
}

// A synchronous last resort: 'exit' handlers cannot wait, so only send the signal.
process.on('exit', () => {
  if (cluster && cluster.exitCode === null && cluster.signalCode === null) {
    try {
      process.kill(cluster.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});
// Ctrl-C: stop the children; the pending step then fails and main's cleanup runs as usual.
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130); // a second Ctrl-C does not wait
    interrupted = true;
    log(`${sig}: stopping the cluster`);
    void stopCluster();
  });
}

function log(line) {
  process.stderr.write(`bench:cluster: ${line}\n`);
}

/** Builds dist/ when it is missing or older than any source file. */
function buildIfNeeded() {
  if (process.env.KAMAITACHI_CLI) return;
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return;
  log('building dist/kamaitachi.mjs');
  const r = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

/** Runs the CLI to completion without blocking the event loop (so Ctrl-C is handled at once). */
function run(argv, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      const stdout = Buffer.concat(out).toString();
      if (code === 0) return resolve(stdout);
      const tail = (Buffer.concat(err).toString() || stdout).trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${tail}`));
    });
  });
}

/** Starts `cluster up` and resolves with its READY addresses. */
function startCluster(db, dir) {
  const logFile = join(dir, 'cluster.log');
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      CLI, 'cluster', 'up',
      '--slaves', args.slaves,
      '--db', db,
      '--data-dir', dir,
      '--master-port', args['master-port'],
      '--slave-base-port', args['slave-base-port'],
      '--gateway-port', args['gateway-port'],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cluster = child;
  child.stderr.pipe(out);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(`no READY line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why) => {
      clearTimeout(timer);
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ') : '';
      reject(new Error(`cluster up: ${why}${tail ? `\n  ${tail}` : ''}`));
    };
    child.stdout.on('data', (chunk) => {
      out.write(chunk);
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('READY ')) continue;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line.slice(6)));
        } catch {
          fail(`unreadable READY line: ${line}`);
        }
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? `code ${code}`}); log in ${logFile}`));
    child.once('error', (err) => fail(err.message));
  });
}

async function bench(scenario, target) {
  const json = await run(
    [
      'bench', '--scenario', String(scenario), '--target', target,
      '--duration', args.duration, '--concurrent', args.concurrent, '--repeat', args.repeat,
      '--warmup', '1s', '--json', '--no-progress',
    ],
    `bench scenario ${scenario} against ${target}`,
  );
  return JSON.parse(json);
}

const num = (n) => Math.round(n).toLocaleString('en-US');
const pct = (r) => (r.hit_rate?.percent == null ? 'n/a' : `${r.hit_rate.percent.toFixed(1)}%`);
const p95 = (r) => (r.latency_ms ? r.latency_ms.p95.toFixed(2) : '-');
const failed = (r) => (r.failed === 0 ? '0' : `${r.failed} (${Object.entries(r.errors.by_status).map(([s, n]) => `${s}:${n}`).join(' ') || 'transport'})`);

function table(rows) {
  const lines = [
    '| scenario | original's target QPS | original QPS (2 slaves via gateway, 8 cores) | kamaitachi via gateway QPS | ratio to original | p95 ms | hit rate (orig.) | failed | kamaitachi direct, 1 slave QPS | ratio to original | p95 ms | hit rate |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { scenario, gw, direct } of rows) {
    const o = ORIGINAL[scenario];
    lines.push(
      `| ${scenario} | ${num(o.target)} | ~${num(o.qps)} | ${num(gw.success_qps)} | ${(gw.success_qps / o.qps).toFixed(2)}x | ${p95(gw)} | ${pct(gw)} (~${o.hitRate}%) | ${failed(gw)} | ` +
        `${num(direct.success_qps)} | ${(direct.success_qps / o.qps).toFixed(2)}x | ${p95(direct)} | ${pct(direct)} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  buildIfNeeded();
  workDir = mkdtempSync(join(tmpdir(), 'kamaitachi-bench-cluster-'));
  const db = join(workDir, 'finance.db');
  log(`generating ${args.stocks} stocks into ${db}`);
  await run(['gen-data', '--out', db, '--stocks', args.stocks], 'gen-data');
  log(`starting cluster up with ${args.slaves} slaves`);
  const ready = await startCluster(db, workDir);
  log(`cluster ready: gateway ${ready.gateway}, slaves ${ready.slaves.join(', ')}`);
  const rows = [];
  for (const scenario of args.scenarios.split(',').map(Number)) {
    if (!ORIGINAL[scenario]) throw new Error(`--scenarios: only 1-4 have published figures, got ${scenario}`);
    log(`scenario ${scenario}: ${args.duration} s through the gateway`);
    const gw = await bench(scenario, `${ready.gateway.replace(/\/$/, '')}/data`);
    log(`scenario ${scenario}: ${args.duration} s directly against ${ready.slaves[0]}`);
    const direct = await bench(scenario, ready.slaves[0]);
    rows.push({ scenario, gw, direct });
  }
  const c = rows[0]?.gw.config;
  process.stdout.write(
    `\n### kamaitachi vs the original (docs/design.md, Load scenarios)\n\n` +
      `Hot data (--repeat ${args.repeat}), ${args.concurrent} connections, ${args.duration} s per run after a 1 s warm-up, ` +
      `${args.slaves} slaves, ${args.stocks} stocks, load generator on the same machine (${(await import('node:os')).cpus().length} cores)` +
      `${c ? `, ${c.subjects} subjects` : ''}.\n\n${table(rows)}\n`,
  );
}

main()
  .catch((err) => {
    process.stderr.write(`bench:cluster: ${interrupted ? 'interrupted' : err.message}\n`);
    process.exitCode = interrupted ? 130 : 1;
  })
  .finally(async () => {
    await stopCluster();
    if (workDir && !args.keep) rmSync(workDir, { recursive: true, force: true });
    else if (workDir) log(`kept ${workDir}`);
  });
