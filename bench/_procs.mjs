// What the process-starting benchmarks share (bench/hotcache/compare.mjs, bench/wrk/gateway-hot.mjs,
// bench/faults/sigstop.mjs):
// a temp dir, child processes started and tracked, each stopped by PID at the end (and on
// SIGINT/SIGTERM), the CPU a process spent (/proc), and one wrk run read into numbers.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LISTENING = /"event":"listening".*?"url":"([^"]+)"/;

/**
 * A set of child processes and a temp dir. `start` resolves with the URL a child prints (by
 * default from a kamaitachi "listening" log line); `run(main)` runs the bench, then stops every
 * child still running and removes the temp dir, whatever happened.
 */
export function processes(tmpPrefix) {
  const children = new Set();
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix));

  function track(proc) {
    children.add(proc);
    proc.once('exit', () => children.delete(proc));
    return proc;
  }

  /** `log`: a file the child's stdout goes on to once it listens (else it is read and dropped). */
  function start(argv, { env = {}, pattern = LISTENING, timeoutMs = 60_000, log } = {}) {
    const proc = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }));
    return new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start in ${timeoutMs / 1000} s`)), timeoutMs);
      proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited with ${code}`)));
      const onData = (c) => {
        buf += c.toString();
        const m = pattern.exec(buf);
        if (m) {
          clearTimeout(timer);
          proc.stdout.off('data', onData);
          if (log) proc.stdout.on('data', (d) => appendFileSync(log, d));
          else proc.stdout.resume();
          buf = '';
          resolve({ proc, url: m[1] });
        }
      };
      proc.stdout.on('data', onData);
    });
  }

  async function run(main) {
    for (const sig of ['SIGINT', 'SIGTERM']) {
      process.once(sig, () => {
        for (const c of children) {
          process.kill(c.pid, 'SIGCONT');
          process.kill(c.pid, 'SIGTERM');
        }
        rmSync(tmp, { recursive: true, force: true });
        process.exit(130);
      });
    }
    try {
      await main();
    } finally {
      await Promise.all([...children].map(stop));
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  return { tmp, track, start, run };
}

export function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => proc.once('exit', r));
  // A child a bench stopped with SIGSTOP handles SIGTERM only once continued.
  process.kill(proc.pid, 'SIGCONT');
  process.kill(proc.pid, 'SIGTERM');
  return exited;
}

/** user + system CPU seconds of a process so far (clock ticks of 10 ms); with `children`, plus its direct children's (nginx's worker). */
export function cpuSeconds(pid, { children = false } = {}) {
  const one = (p) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };
  if (!children) return one(pid);
  let kids = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {}
  return one(pid) + kids.reduce((s, k) => s + one(k), 0);
}

/** One `wrk -t1 --latency` run: req/s, p99, non-2xx answers and requests sent. `path` is the script's KMT_PATH. */
export function runWrk({ url, connections, seconds, script, path = '' }) {
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
    env: { ...process.env, KMT_PATH: path },
    encoding: 'utf8',
    timeout: (Number(seconds) + 30) * 1000,
  });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(r.stdout)?.[1];
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0');
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  return { rps, p99, errors, requests };
}
