// The examples of examples/ run against real clusters started from the bundle, so they cannot
// rot: the curl tour and the Node client against `cluster up` with two slaves, and the
// three-slave config set started role by role. npm test builds dist/ first.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BUNDLE, tempDir } from '../helpers';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const THREE = join(EXAMPLES, 'three-slaves');
const API = '/kamaitachi/api/data/v1';

/** A spawned process with its stdout lines, stopped by PID in teardown. */
interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  stderr: string;
  /** Resolves with the first stdout line (past or future) that `match` accepts. */
  line(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
}

function start(procs: Proc[], cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    child,
    lines,
    exited,
    stderr: '',
    line(match, what, timeoutMs = 60_000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(`no ${what} within ${timeoutMs / 1000} s`), timeoutMs);
        const waiter = (l: string): void => {
          if (!match(l)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(l);
        };
        const fail = (why: string): void => {
          waiters.delete(waiter);
          reject(new Error(`${args.slice(0, 2).join(' ')}: ${why}; stderr: ${proc.stderr.slice(-800)} stdout: ${lines.slice(-5).join('\n')}`));
        };
        waiters.add(waiter);
        void exited.then((code) => {
          clearTimeout(timer);
          fail(`exited with ${code} before ${what}`);
        });
      });
    },
  };
  child.stderr!.on('data', (d: Buffer) => (proc.stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) w(l);
  });
  procs.push(proc);
  return proc;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(proc: Proc, graceMs = 10_000): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([proc.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (late) {
    process.kill(child.pid, 'SIGKILL');
    await proc.exited;
  }
}

/**
 * Kills a process known only by its PID (a child of `cluster up`) if it is still there and still
 * runs this checkout's bundle: on a shared machine a freed PID may belong to someone else.
 */
function killPid(pid: number): void {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // already gone
  }
  if (cmdline.includes(BUNDLE)) process.kill(pid, 'SIGKILL');
}

/** Runs a command to its end; killed by PID if it takes longer than `timeoutMs`. */
async function run(procs: Proc[], cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  const p = start(procs, cmd, args, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.lines.join('\n'), stderr: p.stderr };
}

function logEvent(line: string): { event?: string; url?: string } {
  try {
    return JSON.parse(line) as { event?: string; url?: string };
  } catch {
    return {};
  }
}

// `any`: answers come in many shapes and the tests index into them freely.
async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

/** The part of examples/client.mjs the test uses (a JS module, typed here). */
interface ClientModule {
  topicRows(base: string, query: { topic: string; ids: string; field?: string; order?: 1 | -1; pageSize?: number }): AsyncGenerator<{ subject: { subject: string } }>;
}

/** Subject keys of a topic as the gateway lists them. */
async function topicSubjects(gateway: string, topic: string): Promise<string[]> {
  const { body } = await getJson(`${gateway}/data${API}/subjects?topic=${encodeURIComponent(topic)}&limit=10000`);
  return body.data.subjects as string[];
}

// One small database for both suites; the directory goes after every suite has stopped its processes.
const root = tempDir({ after });
const db = join(root, 'f.db');
before(async () => {
  const gen = await run([], process.execPath, [BUNDLE, 'gen-data', '--out', db, '--stocks', '40', '--start-year', '2021', '--end-year', '2023'], { cwd: root });
  assert.equal(gen.code, 0, gen.stderr);
});

describe('examples against cluster up with 2 slaves', () => {
  const procs: Proc[] = [];
  const childPids: number[] = [];
  let up: { gateway: string; master: string; slaves: string[] };

  const dir = join(root, 'up');
  after(async () => {
    for (const p of [...procs].reverse()) await stop(p);
    // cluster up stops its children on SIGTERM; any that survived are killed by PID.
    for (const pid of childPids) killPid(pid);
  });

  before(async () => {
    mkdirSync(dir);
    const cluster = start(
      procs,
      process.execPath,
      [BUNDLE, 'cluster', 'up', '--slaves', '2', '--db', db, '--data-dir', join(dir, 'cluster'), '--master-port', '0', '--slave-base-port', '0', '--gateway-port', '0'],
      { cwd: dir },
    );
    // Children's PIDs are printed before READY: "  slave1   http://...  (pid 123)".
    const ready = await cluster.line((l) => l.startsWith('READY '), 'READY line', 120_000);
    for (const l of cluster.lines) {
      const m = /\(pid (\d+)\)$/.exec(l);
      if (m) childPids.push(Number(m[1]));
    }
    up = JSON.parse(ready.slice('READY '.length)) as typeof up;
    assert.equal(up.slaves.length, 2);
  });

  it('curl-tour.sh answers on every endpoint and exits 0', async () => {
    const env = { ...process.env, KMT_GATEWAY: up.gateway, KMT_MASTER: up.master, KMT_SLAVE: up.slaves[0] };
    const tour = await run(procs, 'bash', [join(EXAMPLES, 'curl-tour.sh')], { cwd: dir, env });
    assert.equal(tour.code, 0, `${tour.stderr}\n${tour.stdout.slice(-2000)}`);

    const { body } = await getJson(`${up.slaves[0]}${API}/subjects?limit=2`);
    const [first] = body.data.subjects as string[];
    for (const expected of [
      `POST ${API}/snapshot (subjects)`,
      `POST ${API}/snapshot (topic, as of 2023-09-30)`,
      `POST ${API}/snapshot (topic, as known on 2024-04-01)`,
      `POST ${API}/period`,
      `GET ${API}/stats`,
      `POST ${API}/cache/reset`,
      `GET ${API}/subjects`,
      'kamaitachi_cache_hits_total{role="slave"}',
      'POST /kamaitachi/api/cluster/v1/register',
      'POST /kamaitachi/api/cluster/v1/heartbeat',
      'POST /kamaitachi/api/cluster/v1/deregister',
      `POST /data${API}/snapshot (routed to the owner of ${first})`,
      `GET ${API}/stats (every slave, summed)`,
      'GET /monitor/status',
      'GET /monitor/circuitbreaker',
      'kamaitachi_gateway_slaves 2',
      `"subject":{"subject":"${first}"`,
      `"combine":"${first}:2023_`,
      '"error_code":"KMT_BAD_ID"',
      `POST /data${API}/reports (to the master; answers once the slaves have it)`,
      '"records":[{"seq":',
      '"deleted":1',
      'x-kamaitachi-seq: ',
      '<title>kamaitachi gateway</title>',
      'tour done: every endpoint answered',
    ]) {
      assert.ok(tour.stdout.includes(expected), `tour output lacks ${expected}`);
    }
    const members = await getJson(`${up.master}/kamaitachi/api/cluster/v1/members`);
    assert.deepEqual(
      (members.body.data.members as Array<{ id: string }>).map((m) => m.id).sort(),
      ['slave1', 'slave2'],
      'the tour leaves no member of its own behind',
    );
  });

  it('curl-tour.sh stops with a non-zero exit at the first answer that is not 2xx', async () => {
    // A slave has no registry routes: the tour's first registry call gets a 404.
    const env = { ...process.env, KMT_GATEWAY: up.gateway, KMT_MASTER: up.slaves[0], KMT_SLAVE: up.slaves[0] };
    const tour = await run(procs, 'bash', [join(EXAMPLES, 'curl-tour.sh')], { cwd: dir, env });
    assert.notEqual(tour.code, 0);
    assert.ok(tour.stdout.includes('"error_code":"KMT_NOT_FOUND"'), tour.stdout.slice(-500));
    assert.ok(!tour.stdout.includes('tour done'));
  });

  it('datainfo.sh saves, reads, searches and deletes DataInfo entities and exits 0', async () => {
    const env = { ...process.env, KMT_GATEWAY: up.gateway, KMT_SLAVE: up.slaves[1] };
    const r = await run(procs, 'bash', [join(EXAMPLES, 'datainfo.sh')], { cwd: dir, env });
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
    for (const expected of [
      '{"status_code":0,"status_msg":"success","data":true}',
      '"data":{"1703980800":[10.5,11.2,10.1,11],"1704067200":[11,11.8,10.9,11.6]}',
      'x-kamaitachi-seq: ',
      '"data":{"1703980800":[10.5,11.2,10.1,11],"1704067200":[11,12,10.9,11.9],"1704153600":[11.9,12.4,11.7,12.2]}',
      '],"count":1}',
      '"data":{"1704153600":[9,8,7,6,5,4,3,2]}',
      'must be 4 numbers (table 1 stock_data)',
      '"error_code":"KMT_NOT_FOUND"',
      'datainfo done: every endpoint answered',
    ]) {
      assert.ok(r.stdout.includes(expected), `datainfo.sh output lacks ${expected}`);
    }
  });

  it('client.mjs shows snapshot, period, stats and topic paging and exits 0', async () => {
    const client = await run(procs, process.execPath, [join(EXAMPLES, 'client.mjs'), `${up.gateway}/data`], { cwd: dir });
    assert.equal(client.code, 0, client.stderr);
    const pool = await topicSubjects(up.gateway, 'stock_a_listing_pool');
    assert.ok(pool.length > 0);
    assert.match(client.stdout, /node slave\d \(slave\), 40 subjects/);
    assert.match(client.stdout, /snapshot of \S+, \S+ by operating_income:\n {2}\S+ Sample Corp \d+: \d/);
    assert.match(client.stdout, /period of \S+: [1-9]\d* reports, newest 2023-\d\d-\d\d, oldest 2021-\d\d-\d\d/);
    assert.ok(client.stdout.includes(`topic stock_a_listing_pool: ${pool.length} subjects paged through`), client.stdout);
  });

  it("pages through every topic with client.mjs and meets each of the gateway's subjects exactly once", async () => {
    const client = (await import(pathToFileURL(join(EXAMPLES, 'client.mjs')).href)) as ClientModule;
    const { body } = await getJson(`${up.gateway}/data${API}/stats`);
    const topics = body.data.topics as string[];
    assert.ok(topics.length >= 2, `gen-data makes several topics, got ${topics.join(',')}`);
    for (const topic of topics) {
      const seen: string[] = [];
      // A page size that divides no topic evenly; net_profit has NULLs, which sort last.
      for await (const row of client.topicRows(`${up.gateway}/data`, { topic, ids: 'net_profit', field: 'net_profit', order: 1, pageSize: 7 })) {
        seen.push(row.subject.subject);
      }
      assert.equal(new Set(seen).size, seen.length, `${topic}: a subject came twice`);
      assert.deepEqual([...seen].sort(), await topicSubjects(up.gateway, topic), `${topic}: paged subjects differ from the subjects list`);
    }
  });

  it('point-in-time.sh reads a restated and deleted report as known after each write, and exits 0', async () => {
    const env = { ...process.env, KMT_GATEWAY: up.gateway };
    const r = await run(procs, 'bash', [join(EXAMPLES, 'point-in-time.sh')], { cwd: dir, env });
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
    for (const want of [
      /after the first write\): snapshot 100, period 100$/m,
      /after the first restatement\): snapshot 150, period 150$/m,
      /after the second restatement\): snapshot 175, period 175$/m,
      /after the delete\): snapshot deleted, period deleted$/m,
      /^restate it to 150: +seq \d+, inserted 0, updated 1$/m,
      /^delete it: +seq \d+, deleted 1$/m,
    ]) {
      assert.match(r.stdout, want);
    }
    // Without known_at the data reads as before the script: its report is gone again.
    const subject = /^subject (\S+),/m.exec(r.stdout)![1];
    const res = await fetch(`${up.gateway}/data${API}/snapshot`, { method: 'POST', body: JSON.stringify({ ids: 'report_date', subjects: subject }) });
    const latest = ((await res.json()) as { data: Array<{ data: { report_date: number } }> }).data[0].data.report_date;
    assert.ok(latest < 4102358400, `newest report ${latest}`);
  });

  it('selection.sh screens by concept, industry and name, writes a tag seen at once, removes it; exits 0', async () => {
    const env = { ...process.env, KMT_GATEWAY: up.gateway };
    const run1 = await run(procs, 'bash', [join(EXAMPLES, 'selection.sh')], { cwd: dir, env });
    assert.equal(run1.code, 0, `${run1.stderr}\n${run1.stdout.slice(-2000)}`);
    const [first] = await topicSubjects(up.gateway, 'stock_a_listing_pool');
    const out = run1.stdout;
    for (const expected of [
      '== concept 人工智能, top 3 by revenue\n{"status_code":0',
      '"2023-12-31":[{"subject":',
      `== tag ${first} with the concept 示例概念`,
      '"added":1,"removed":0',
      `== concept 示例概念: ${first}, at once\n{"status_code":0,"status_msg":"success","data":[{"subject":{"subject":"${first}"`,
      '== concept 示例概念: nobody now\n{"status_code":0,"status_msg":"success","data":[]}',
      'selection.id: unknown tag kind \\"sector\\"; this node knows name, concept, industry',
      'selection done',
    ]) {
      assert.ok(out.includes(expected), `selection.sh output lacks ${expected}`);
    }
  });

  // Last: it adds 2024 reports to the cluster's data.
  it('import.sh imports CSV and SQL through the gateway, reads the rows back, and imports offline; exits 0', async () => {
    const env = { ...process.env, KMT: `${process.execPath} ${BUNDLE}`, KMT_GATEWAY: up.gateway };
    const r = await run(procs, 'bash', [join(EXAMPLES, 'import.sh')], { cwd: dir, env });
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
    const generated = /reports\.csv: (\d+) rows/.exec(r.stdout)?.[1];
    assert.ok(generated, r.stdout);
    const summaries = r.stdout.split('\n').filter((l) => l.startsWith(`kamaitachi import: ${generated} rows into `));
    assert.equal(summaries.length, 3, r.stdout);
    assert.ok(summaries[0]!.includes(`into ${up.gateway}/data`), summaries[0]);
    assert.ok(summaries[2]!.endsWith('rows/s)') && summaries[2]!.includes('imported.db'), summaries[2]);
    assert.match(r.stdout, /"combine":"33:000001:2024_596004"/);
  });
});

describe('examples/three-slaves config set', () => {
  it("starts from the INI files, and the gateway's /health lists the 3 slaves", async (t) => {
    const procs: Proc[] = [];
    // Gateway first, then the slaves (they deregister), then the master.
    t.after(async () => {
      for (const p of [...procs].reverse()) await stop(p);
    });
    const dir = join(root, 'three');
    // The files name ./data/three/<node>.db relative to the working directory: the temp dir.
    mkdirSync(join(dir, 'data', 'three'), { recursive: true });
    for (const n of ['master', 'slave1', 'slave2', 'slave3']) copyFileSync(db, join(dir, 'data', 'three', `${n}.db`));

    // Ports come from flags (0 = a free one), everything else from the files.
    const role = (args: string[]): Proc => start(procs, process.execPath, [BUNDLE, ...args, '--port', '0'], { cwd: dir });
    const listening = async (p: Proc): Promise<string> => logEvent(await p.line((l) => logEvent(l).event === 'listening', 'listening line')).url as string;
    const master = await listening(role(['master', '--config', join(THREE, 'master.ini')]));
    const slaveProcs = [1, 2, 3].map((i) => role(['slave', '--config', join(THREE, `slave${i}.ini`), '--master', master]));
    const slaves = await Promise.all(slaveProcs.map(listening));
    await Promise.all(slaveProcs.map((p) => p.line((l) => logEvent(l).event === 'registered', 'registration')));
    const gateway = await listening(role(['gateway', '--config', join(THREE, 'gateway.ini'), '--master', master]));

    const health = await getJson(`${gateway}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.count, 3);
    assert.deepEqual([...health.body.nodes].sort(), [...slaves].sort());

    // Names and database paths come from the files.
    const stats = await getJson(`${gateway}${API}/stats`);
    const perNode = stats.body.data.per_node as Array<{ id: string; stats: { db: string } }>;
    assert.deepEqual(perNode.map((n) => n.id).sort(), ['kamaitachi-slave1', 'kamaitachi-slave2', 'kamaitachi-slave3']);
    for (const n of perNode) assert.ok(n.stats.db.endsWith(join('data', 'three', `${n.id.slice('kamaitachi-'.length)}.db`)), n.stats.db);
    assert.equal((await getJson(`${master}/health`)).body.node, 'kamaitachi-master');
  });
});
