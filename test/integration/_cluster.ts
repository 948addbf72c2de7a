// A real cluster for the write-path tests: master, slaves and gateway as bundle processes on
// loopback port 0, each node on its own copy of one database in a temp dir. Every process is
// killed by PID in `stop()`; processes can be killed, stopped and restarted on the way.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { API, BUNDLE, httpRequest, makeDb, type HttpAnswer } from '../helpers';

export interface Proc {
  readonly name: string;
  readonly args: readonly string[];
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly exited: Promise<number | null>;
  /** stdout lines so far (JSON logs). */
  readonly lines: string[];
}

export interface ClusterOptions {
  readonly slaves: number;
  /** [replication] timeout_ms. */
  readonly timeoutMs: number;
  readonly token?: string;
  /** Companies in the generated database (default 40) and its first year (default 2021). */
  readonly stocks?: number;
  readonly startYear?: number;
  /** More INI lines for every role (e.g. "[database]\ncheckpoint_records = 1000000"). */
  readonly extraIni?: string;
}

export class TestCluster {
  readonly dir: string;
  readonly ini: string;
  readonly #procs = new Set<Proc>();
  readonly #token: string | undefined;
  master!: Proc;
  slaves: Proc[] = [];
  gateway!: Proc;

  private constructor(dir: string, ini: string, token: string | undefined) {
    this.dir = dir;
    this.ini = ini;
    this.#token = token;
  }

  static async start(o: ClusterOptions): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'kmt-writes-'));
    const ini = join(dir, 'cluster.ini');
    // A short registry lease so a killed slave leaves the registry within the test.
    writeFileSync(ini, `[replication]\ntimeout_ms = ${o.timeoutMs}\n[etcd]\nttl = 2\n${o.token ? `[security]\ntoken = ${o.token}\n` : ''}${o.extraIni ?? ''}\n`);
    const c = new TestCluster(dir, ini, o.token);
    try {
      const db = await makeDb(dir, { stocks: o.stocks ?? 40, startYear: o.startYear });
      for (const name of ['master', ...Array.from({ length: o.slaves }, (_, i) => `slave${i + 1}`)]) copyFileSync(db, join(dir, `${name}.db`));
      c.master = await c.spawn('master', ['master', '--db', join(dir, 'master.db'), '--port', '0', '--name', 'master']);
      c.slaves = await Promise.all(Array.from({ length: o.slaves }, (_, i) => c.startSlave(i + 1)));
      c.gateway = await c.spawn('gateway', ['gateway', '--port', '0', '--master', c.master.url]);
      await c.until(async () => (await c.healthyNodes()).length === o.slaves, 'the gateway to route to every slave');
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  startSlave(i: number): Promise<Proc> {
    return this.spawn(`slave${i}`, ['slave', '--db', join(this.dir, `slave${i}.db`), '--port', '0', '--name', `slave${i}`, '--master', this.master.url]);
  }

  /** Starts `kamaitachi <args>` and resolves once it logs its listening line. */
  spawn(name: string, args: string[]): Promise<Proc> {
    const full = [...args, '--config', this.ini, '--log-level', 'info', ...(args[0] === 'gateway' ? [] : ['--host', '127.0.0.1', '--snapshot', 'none'])];
    const child = spawn(process.execPath, [BUNDLE, ...full], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (!line.includes('"event":"listening"')) return;
        const proc: Proc = { name, args, child, pid: child.pid as number, url: (JSON.parse(line) as { url: string }).url, exited, lines };
        this.#procs.add(proc);
        resolve(proc);
      });
      void exited.then((code) => reject(new Error(`${name} exited with ${code} before listening: ${stderr.slice(-800)}`)));
      this.#procs.add({ name, args, child, pid: child.pid as number, url: '', exited, lines });
    });
  }

  /** kill -9 and wait for the exit. */
  async kill(p: Proc): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) process.kill(p.pid, 'SIGKILL');
    await p.exited;
  }

  /** Restarts a node with its own arguments (the master on the same port, so slaves find it). */
  async restart(p: Proc): Promise<Proc> {
    await this.kill(p);
    const args = [...p.args];
    if (p.name === 'master') args[args.indexOf('--port') + 1] = new URL(p.url).port;
    return this.spawn(p.name, args);
  }

  /** Slave URLs the gateway routes to now. */
  async healthyNodes(): Promise<string[]> {
    const h = await httpRequest(`${this.gateway.url}/health`).catch(() => undefined);
    return (h?.json?.nodes as string[] | undefined) ?? [];
  }

  auth(): Record<string, string> {
    return this.#token ? { authorization: `Bearer ${this.#token}` } : {};
  }

  /** POST reports (through `base`, the gateway's /data prefix or a node). */
  write(base: string, rows: unknown[], wait: 'replicated' | 'durable' = 'replicated'): Promise<HttpAnswer> {
    return httpRequest(`${base}${API}/reports`, { body: JSON.stringify({ reports: rows, wait }), headers: this.auth() });
  }

  /**
   * The latest net_profit of `subject` as `base` answers it, and the answer. A 503 (a slave whose
   * lease lapsed, e.g. starved of CPU by a busy machine, or a gateway with every slave so) is
   * asked again for up to 10 s: it is unavailability, never a stale answer; `unavailable` counts them.
   */
  async latest(base: string, subject: string): Promise<{ answer: HttpAnswer; value: number | null | undefined; unavailable: number }> {
    const end = Date.now() + 10_000;
    for (let unavailable = 0; ; unavailable++) {
      const answer = await httpRequest(`${base}${API}/snapshot`, { body: JSON.stringify({ ids: 'net_profit', subjects: subject }) });
      if (answer.status !== 503 || Date.now() > end) {
        return { answer, value: answer.status === 200 ? answer.json.data[0]?.data?.net_profit : undefined, unavailable };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // Stats are JSON of many shapes; tests index into them freely.
  async stats(p: Proc): Promise<Record<string, any>> {
    return (await httpRequest(`${p.url}${API}/stats`)).json.data;
  }

  /** Polls `check` every 20 ms for up to `ms`. */
  async until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (await check()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    for (const p of this.#procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      // A stopped process must be continued to die of SIGKILL promptly on every platform.
      process.kill(p.pid, 'SIGCONT');
      process.kill(p.pid, 'SIGKILL');
      await p.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
