// Every shared test helper, in one file: temp dirs and generated databases, data nodes in this
// process on port 0, bundle processes (killed by PID in teardown), HTTP helpers, and the fakes
// that stand in for a data node (the gateway's fake slaves, the load generator's scripted node).
// Fakes answer exactly as a real node does: the same envelope, subject object and field order,
// built from the same source modules (checked by test/fakes.test.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Database } from 'sql.js';
import type { Member, MembershipSource, MembersListener, MembershipStatus } from '../src/cluster/membership';
import { resolveGatewayConfig, type GatewayConfig } from '../src/config/gateway';
import { resolveNodeConfig, type NodeFlags, type NodeRole } from '../src/config/node';
import { createGateway, type GatewayParts } from '../src/gateway/gateway';
import type { HashFn } from '../src/gateway/ring';
import { generateDatabase } from '../src/gendata/generate';
import { startHttpServer, type RunningServer } from '../src/http/server';
import type { LoadgenIo } from '../src/roles/loadgen';
import { startDataNode, type RunningNode } from '../src/roles/node';
import { errorEnvelope, okEnvelope } from '../src/shared/envelope';
import { KmtError, type ErrorCode } from '../src/shared/errors';
import { silentLogger } from '../src/shared/logger';
import { DATA_API, DATA_ROUTES, HEALTH } from '../src/shared/routes';
import { subjectInfo } from '../src/store/SubjectDirectory';
import { loadSqlJs } from '../src/store/sqljs';

export const API = DATA_API;
export const SNAPSHOT = DATA_ROUTES.snapshot;
export const PERIOD = DATA_ROUTES.period;
export const STATS = DATA_ROUTES.stats;

/** The built bundle the integration suites run (npm test builds it first); KMT_BUNDLE points elsewhere. */
export const BUNDLE = resolve(process.env.KMT_BUNDLE ?? join(import.meta.dirname, '..', 'dist', 'kamaitachi.mjs'));

/** Anything with node:test's `after`: a test context, or `{ after }` at file or describe level (not inside a hook). */
type Teardown = { after(fn: () => Promise<void> | void): void };

// ---- temp files and databases

/** A fresh directory under the OS temp dir, removed in teardown. */
export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmt-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small generated database: 40 stocks x 3 years unless told otherwise. */
export async function makeDb(dir: string, opts: { stocks?: number; startYear?: number; endYear?: number; seed?: number; name?: string } = {}): Promise<string> {
  const out = join(dir, opts.name ?? 'finance.db');
  await generateDatabase({ out, stocks: opts.stocks ?? 40, startYear: opts.startYear ?? 2021, endYear: opts.endYear ?? 2023, seed: opts.seed ?? 7, noise: 0 });
  return out;
}

/** A sample database (120 companies, 2021-2023, seed 42) in its own temp directory; the caller removes `dir`. */
export async function makeTestDb(stocks = 120): Promise<{ dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmt-test-'));
  return { dir, db: await makeDb(dir, { stocks, seed: 42 }) };
}

/** The database opened independently of the node, for checking answers with plain SQL. */
export async function openReference(file: string): Promise<Database> {
  const SQL = await loadSqlJs();
  return new SQL.Database(readFileSync(file));
}

export function sqlRows(db: Database, sql: string, params: (string | number | null)[] = []): Array<Record<string, string | number | null>> {
  const stmt = db.prepare(sql);
  stmt.bind(params);
  const rows: Array<Record<string, string | number | null>> = [];
  while (stmt.step()) rows.push(stmt.getAsObject() as Record<string, string | number | null>);
  stmt.free();
  return rows;
}

// A file exactly in the Go original's schema, with only its two indicator columns.
const ORIGINAL_SCHEMA = `
CREATE TABLE finance_data (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stock_code TEXT NOT NULL,
  market_code TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  stock_name TEXT,
  report_date INTEGER NOT NULL,
  end_date TEXT,
  year TEXT,
  period TEXT,
  operating_income REAL,
  parent_holder_net_profit REAL,
  category TEXT DEFAULT 'stock',
  topic TEXT DEFAULT 'stock_a_listing_pool'
);
CREATE INDEX idx_subject_date ON finance_data(subject_key, report_date DESC);
CREATE INDEX idx_topic ON finance_data(topic);
CREATE INDEX idx_stock_code ON finance_data(stock_code);`;

/** A file in the original schema (4 reports of 3 subjects), written into `dir`. */
export async function originalDb(dir: string): Promise<string> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run(ORIGINAL_SCHEMA);
  const ins = db.prepare(
    'INSERT INTO finance_data (stock_code, market_code, subject_key, stock_name, report_date, end_date, year, period, operating_income, parent_holder_net_profit) VALUES (?,?,?,?,?,?,?,?,?,?)',
  );
  const rows: Array<[string, string, string | null, number, string, string, string, number | null, number | null]> = [
    ['000001', '33', '平安银行', 1672444800, '2022-12-31', '2022', '596004', 1.8e11, 4.5e10],
    ['000001', '33', '平安银行', 1696032000, '2023-09-30', '2023', '596003', 1.3e11, 3.9e10],
    ['300033', '33', null, 1696032000, '2023-09-30', '2023', '596003', 1.4e9, null],
    ['600000', '17', 'SPDB', 1696032000, '2023-09-30', '2023', '596003', null, 2.1e10],
  ];
  for (const [code, market, name, date, end, year, period, income, profit] of rows) {
    ins.run([code, market, `${market}:${code}`, name, date, end, year, period, income, profit]);
  }
  ins.free();
  const file = join(dir, 'original.db');
  writeFileSync(file, db.export());
  db.close();
  return file;
}

// ---- data nodes in this process

/** Starts a data node in this process on 127.0.0.1:0 without a snapshot file; closed in teardown. */
export async function startNode(t: Teardown, flags: NodeFlags & { role?: NodeRole }): Promise<RunningNode> {
  const config = resolveNodeConfig(flags.role ?? 'slave', { port: '0', snapshot: 'none', ...flags });
  const node = await startDataNode(config, silentLogger);
  t.after(() => node.close());
  return node;
}

// ---- HTTP

export interface HttpAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  text: string;
  /** Parsed body, or undefined when it is not JSON. Answers are JSON of many shapes; tests index into them freely. */
  json: any;
}

/** One request; JSON content type when there is a body. `agent: false` uses a fresh connection. */
export function httpRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; agent?: Agent | false } = {},
): Promise<HttpAnswer> {
  const payload = opts.body === undefined ? undefined : Buffer.from(opts.body);
  return new Promise((resolvePromise, reject) => {
    const req = request(url, {
      method: opts.method ?? (payload ? 'POST' : 'GET'),
      agent: opts.agent,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...opts.headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
    });
    req.end(payload);
  });
}

/** One request over a fresh connection, body bytes as given. */
export function http(method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return httpRequest(url, { method, body, headers, agent: false });
}

/** POST `body` (an object is serialized) to `base + path`. */
export function post(base: string, path: string, body: unknown): Promise<HttpAnswer> {
  return httpRequest(base + path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** POST `body` (an object is serialized) to `url` over a fresh connection. */
export function postJson(url: string, body: unknown): Promise<HttpAnswer> {
  return http('POST', url, typeof body === 'string' ? body : JSON.stringify(body));
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port nothing listens on: bound once to find it free, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

// ---- bundle processes (test/integration/)

export interface Spawned {
  readonly child: ChildProcess;
  /** The `url` of its `"event":"listening"` log line. */
  readonly url: string;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Runs the bundle with `args`, waits for its listening line; killed by PID in teardown. */
export function spawnBundle(t: Teardown, args: string[]): Promise<Spawned> {
  const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  });
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { event?: string; url?: string };
        if (rec.event === 'listening' && rec.url) resolvePromise({ child, url: rec.url, lines, exited });
      } catch {
        /* not a log line */
      }
    });
    void exited.then((code) => reject(new Error(`process exited with ${code} before listening: ${stderr.slice(-500)}`)));
  });
}

export interface NodeProcess {
  readonly url: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Sends `signal` to its PID unless it already exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** `kamaitachi <role> ...args` from the bundle on a free port, no snapshot file; resolves once it logs "listening". */
export async function startNodeProcess(role: NodeRole, args: string[]): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [BUNDLE, role, '--host', '127.0.0.1', '--port', '0', '--snapshot', 'none', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r((exitCode = code))));
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not listen within 20 s: ${stderr}`)), 20_000);
    let buf = '';
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"event":"listening".*?"url":"([^"]+)"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
      if (buf.length > 100_000) buf = buf.slice(-10_000);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code} before listening: ${stderr}`));
    });
  });
  proc.stdout!.resume();
  return {
    url,
    pid: proc.pid as number,
    proc,
    exited,
    kill(signal = 'SIGTERM') {
      if (exitCode === undefined) process.kill(proc.pid as number, signal);
    },
  };
}

/** True while a process with this PID runs: it exists and is not a zombie (an orphan's may wait to be reaped). */
export function pidRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** True while a process with this PID exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- what a node answers, for the fakes

/** A node's HTTP answer as the real one writes it (http/send.ts): JSON with the same content type. */
function sendNodeJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendNodeOk(res: ServerResponse, data: unknown): void {
  sendNodeJson(res, 200, okEnvelope(JSON.stringify(data)));
}

function sendNodeError(res: ServerResponse, code: ErrorCode, message: string): void {
  const { status, body } = errorEnvelope(new KmtError(code, message));
  sendNodeJson(res, status, body);
}

/** The error code a node answers a status with, for fakes scripted by status. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'KMT_BAD_FIELD',
  404: 'KMT_NOT_FOUND',
  405: 'KMT_METHOD_NOT_ALLOWED',
  413: 'KMT_BODY_TOO_LARGE',
  429: 'KMT_RATE_LIMITED',
  500: 'KMT_INTERNAL',
  502: 'KMT_BAD_GATEWAY',
  503: 'KMT_UNAVAILABLE',
  504: 'KMT_GATEWAY_TIMEOUT',
};

/** GET /health of a data node (no envelope). */
function nodeHealth(name: string, subjects: number): unknown {
  return { status: 'ok', role: 'slave', node: name, subjects };
}

/** GET stats `data` of a data node, with the given cache counters and the rest zero. */
function nodeStats(name: string, addr: string, indicators: readonly string[], c: { entries: number; hits: number; misses: number; bytes: number }): unknown {
  const lookups = c.hits + c.misses;
  return {
    node: name,
    role: 'slave',
    addr,
    db: `${name}.db`,
    uptime_s: 0,
    // A standalone node: nothing to follow, its own data at seq 0.
    seq: 0,
    applied_seq: 0,
    lag: 0,
    replication: { dataset: `sha1-${name}`, journal: { writes: 0, fsyncs: 0, records: 0, bytes: 0 } },
    total_records: 0,
    stock_count: 0,
    indicators,
    topics: ['stock_a_listing_pool'],
    report_versions: 0,
    subject_tags: 0,
    datainfo_entities: {},
    cache: {
      entries: c.entries,
      bytes: c.bytes,
      max_bytes: 256 * 1024 * 1024,
      hits: c.hits,
      misses: c.misses,
      hit_rate: lookups === 0 ? 0 : Math.round((c.hits / lookups) * 10000) / 100,
      view_builds: 0,
      evictions: 0,
      data_bytes: 0,
    },
    memory: { rss: 0, heap_used: 0, heap_total: 0, external: 0, array_buffers: 0 },
  };
}

function nodeSubjects(all: readonly string[], offset: number, limit: number): unknown {
  return { total: all.length, offset, limit, topic: null, subjects: all.slice(offset, offset + limit) };
}

function notFound(res: ServerResponse, method: string, path: string): void {
  sendNodeError(res, 'KMT_NOT_FOUND', `no route ${method} ${path}; see docs/api.md for the API`);
}

// ---- the gateway's fake slaves

/** What a fake slave does with the next requests. */
export type FakeMode = 'ok' | 'fail503' | 'fail500' | 'garbage' | 'truncated' | 'hang' | 'reset';

export interface FakeRow {
  subject: string;
  name: string;
  values: Record<string, number | null>;
}

/** 40 subjects with two indicators and a report_date; every 7th has a NULL operating_income. */
export function fakeDataset(): FakeRow[] {
  const rows: FakeRow[] = [];
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 1; i <= 40; i++) {
    const code = String(i).padStart(6, '0');
    rows.push({
      subject: `33:${code}`,
      name: `Sample Corp ${code}`,
      values: {
        operating_income: i % 7 === 0 ? null : Math.round(rnd() * 1e6),
        net_profit: Math.round(rnd() * 1e5),
        // Few distinct dates, so ties (broken by subject key) really happen.
        report_date: 1_696_032_000 + (i % 3) * 86_400,
      },
    });
  }
  return rows;
}

export interface FakeSlave {
  readonly url: string;
  readonly name: string;
  /** Every request seen: method, url (as received) and body text. */
  readonly seen: Array<{ method: string; url: string; body: string }>;
  mode: FakeMode;
  /** Cache counters reported by /stats. */
  stats: { entries: number; hits: number; misses: number; bytes: number };
  close(): Promise<void>;
}

/** A stand-in slave: snapshot/period over `fakeDataset()` sorted by the node's rule, stats, health, reset. */
export async function startFakeSlave(name: string, data: FakeRow[] = fakeDataset()): Promise<FakeSlave> {
  const bySubject = new Map(data.map((r) => [r.subject, r]));
  const hanging = new Set<ServerResponse>();
  const fake: FakeSlave = {
    url: '',
    name,
    seen: [],
    mode: 'ok',
    stats: { entries: 0, hits: 0, misses: 0, bytes: 0 },
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      fake.seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      switch (fake.mode) {
        case 'fail503':
          return sendNodeError(res, 'KMT_UNAVAILABLE', `${name} is unavailable`);
        case 'fail500':
          return sendNodeError(res, 'KMT_INTERNAL', `${name} failed`);
        case 'garbage':
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html>oops</html>');
        case 'truncated':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
          res.write('{"status_code":0,"data":[');
          return setImmediate(() => res.socket?.destroy());
        case 'hang':
          hanging.add(res);
          return;
        case 'reset':
          return req.socket.destroy();
      }
      const method = req.method ?? 'GET';
      const path = (req.url ?? '').split('?')[0].replace(/(.)\/$/, '$1');
      if (path === HEALTH) return sendNodeJson(res, 200, JSON.stringify(nodeHealth(name, data.length)));
      if (path === DATA_ROUTES.cacheReset) {
        const cleared = /"clear"\s*:\s*true/.test(body) ? fake.stats.entries : 0;
        fake.stats = { ...fake.stats, hits: 0, misses: 0, entries: fake.stats.entries - cleared };
        return sendNodeOk(res, { reset: true, cleared });
      }
      if (path === STATS) return sendNodeOk(res, nodeStats(name, fake.url, ['operating_income', 'net_profit'], fake.stats));
      if (path === DATA_ROUTES.subjects) return sendNodeOk(res, nodeSubjects(data.map((r) => r.subject).sort(), 0, 1000));
      if (path !== SNAPSHOT && path !== PERIOD) return notFound(res, method, path);
      let q: Record<string, unknown>;
      try {
        q = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return sendNodeError(res, 'KMT_BAD_JSON', 'body must be JSON');
      }
      sendNodeOk(res, path === SNAPSHOT ? snapshot(q, bySubject) : period(q, bySubject));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((r) => {
      for (const h of hanging) h.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

function list(v: unknown): string[] {
  const raw = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? (v as string[]) : [];
  return [...new Set(raw.map((s) => s.trim()).filter(Boolean))];
}

/** The subject object exactly as a node writes it (store/SubjectDirectory.ts). */
function subjectOf(r: FakeRow): unknown {
  return JSON.parse(subjectInfo(r.subject, r.name, 'stock'));
}

function snapshot(q: Record<string, unknown>, bySubject: Map<string, FakeRow>): unknown[] {
  const ids = list(q.ids);
  const field = (q.field as string | undefined) ?? 'operating_income';
  const order = q.order === 1 || q.order === '1' || q.order === 'asc' ? 1 : -1;
  const offset = (q.offset as number | undefined) ?? 0;
  const limit = (q.limit as number | undefined) ?? 10;
  const rows = list(q.subjects)
    .map((s) => bySubject.get(s))
    .filter((r): r is FakeRow => r !== undefined);
  rows.sort((a, b) => {
    const va = a.values[field] ?? null;
    const vb = b.values[field] ?? null;
    if ((va === null) !== (vb === null)) return va === null ? 1 : -1;
    if (va !== null && vb !== null && va !== vb) return (va < vb ? -1 : 1) * order;
    return a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0;
  });
  return rows.slice(offset, offset + limit).map((r) => ({ subject: subjectOf(r), data: Object.fromEntries(ids.map((id) => [id, r.values[id] ?? null])) }));
}

/** Period items carry these fields first, in this order; requested ids of the same name are not repeated (query/period.ts). */
const PERIOD_FIXED = ['end_date', 'period', 'declare_date', 'year'];

function period(q: Record<string, unknown>, bySubject: Map<string, FakeRow>): unknown[] {
  const extra = list(q.ids).filter((id) => !PERIOD_FIXED.includes(id));
  return list(q.subjects)
    .map((s) => bySubject.get(s))
    .filter((r): r is FakeRow => r !== undefined)
    .map((r) => ({
      subject: subjectOf(r),
      data: [
        {
          end_date: '2023-09-30',
          period: '596003',
          declare_date: '',
          year: '2023',
          ...Object.fromEntries(extra.map((id) => [id, r.values[id] ?? null])),
          combine: `${r.subject}:2023_596003`,
        },
      ],
    }));
}

/** A membership the test changes by hand. */
export class ManualMembership implements MembershipSource {
  readonly describe = 'manual';
  #members: readonly Member[];
  readonly #listeners = new Set<MembersListener>();

  constructor(members: Member[]) {
    this.#members = members;
  }

  set(members: Member[]): void {
    this.#members = members;
    for (const l of this.#listeners) l(members);
  }

  current(): readonly Member[] {
    return this.#members;
  }

  onChange(l: MembersListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  status(): MembershipStatus {
    return { source: 'manual', connected: true, lastContactMs: undefined, lastError: undefined };
  }
}

export function members(...slaves: FakeSlave[]): Member[] {
  return slaves.map((s) => ({ id: s.name, addr: s.url }));
}

export interface TestGateway {
  readonly url: string;
  readonly parts: GatewayParts;
  readonly server: RunningServer;
  close(): Promise<void>;
}

/**
 * A gateway on 127.0.0.1:0 over the given membership; `tweak` edits the resolved config. Two
 * things are off here unless a suite turns them on: health checks running on their own
 * (interval 0; they open connections of their own and ask /health, which tests counting a node's
 * connections or requests would see; `parts.health.checkAll()` runs one round) and hedging (a
 * stall of the shared machine longer than the hedge time would send a read to a second node and
 * upset tests that count where requests went). The hedging and health suites turn them on.
 */
export async function startTestGateway(
  membership: MembershipSource,
  tweak: (c: GatewayConfig) => Partial<GatewayConfig> = () => ({}),
  inject: { now?: () => number; hash?: HashFn } = {},
): Promise<TestGateway> {
  const resolved = resolveGatewayConfig({ nodes: '127.0.0.1:1', port: '0', logLevel: 'silent' });
  const base: GatewayConfig = { ...resolved, hedgeAfter: 'off', health: { ...resolved.health, intervalMs: 0 } };
  const config = Object.freeze({ ...base, ...tweak(base) });
  const parts = createGateway({ config, membership, logger: silentLogger, ...inject });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, router: parts.router, logger: silentLogger });
  return {
    url: server.url,
    parts,
    server,
    async close() {
      await closeServer(server);
      parts.close();
    },
  };
}

/** Closes a server started with startHttpServer with a short grace, to keep the suite fast. */
export function closeServer(server: RunningServer, graceMs = 100): Promise<void> {
  return server.close(graceMs);
}

// ---- the load generator's scripted node

export interface FakeNodeOptions {
  /** HTTP status for the n-th data request (1-based); undefined = 200. */
  readonly statusFor?: (n: number) => number | undefined;
  /** Data requests for which no answer is ever sent. */
  readonly stallOn?: (n: number) => boolean;
  /** Answer data requests with `connection: close`. */
  readonly closeOn?: (n: number) => boolean;
  /** Answer data requests with a chunked body instead of content-length. */
  readonly chunked?: boolean;
  readonly indicators?: readonly string[];
  readonly subjects?: readonly string[];
}

export interface FakeNode {
  readonly url: string;
  /** Bodies of the data requests, in arrival order. */
  readonly bodies: string[];
  /** Data requests received (snapshot and period). */
  dataRequests(): number;
  close(): Promise<void>;
}

export const FAKE_SUBJECTS = Array.from({ length: 120 }, (_, i) => `33:${String(i + 1).padStart(6, '0')}`);

/**
 * A node for the load generator: answers health, subjects and stats as a node does, counts a
 * repeated body as a hit, and answers data requests with an empty list or the scripted status.
 */
export async function startFakeNode(o: FakeNodeOptions = {}): Promise<FakeNode> {
  let n = 0;
  let hits = 0;
  let misses = 0;
  const seen = new Set<string>();
  const bodies: string[] = [];
  const subjects = o.subjects ?? FAKE_SUBJECTS;
  const indicators = o.indicators ?? ['operating_income', 'parent_holder_net_profit', 'net_profit', 'total_profit'];
  let url = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === HEALTH) return sendNodeJson(res, 200, JSON.stringify(nodeHealth('fake', subjects.length)));
      // A gateway target ("<url>/data") asks for the same paths under the prefix.
      if (path.endsWith(DATA_ROUTES.subjects)) return sendNodeOk(res, nodeSubjects(subjects, 0, 1000));
      if (path.endsWith(DATA_ROUTES.stats)) return sendNodeOk(res, nodeStats('fake', url, indicators, { entries: seen.size, hits, misses, bytes: 0 }));
      const k = ++n;
      const body = Buffer.concat(chunks).toString();
      bodies.push(body);
      if (seen.has(body)) hits++;
      else {
        seen.add(body);
        misses++;
      }
      if (o.stallOn?.(k)) return;
      if (o.closeOn?.(k)) res.setHeader('connection', 'close');
      const status = o.statusFor?.(k) ?? 200;
      if (status !== 200) {
        // The error envelope of a node, with the scripted status even where no code maps to it.
        return sendNodeJson(res, status, JSON.stringify({ status_code: status, status_msg: 'scripted failure', error_code: CODE_OF_STATUS[status] ?? 'KMT_INTERNAL' }));
      }
      if (o.chunked) {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.write('{"status_code":0,');
        res.end('"status_msg":"success","data":[]}');
        return;
      }
      sendNodeOk(res, []);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bodies,
    dataRequests: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Quiet I/O for runLoadgen: stdout and stderr collected, no TTY. */
export function quietIo(): LoadgenIo & { stdout: Collect; stderr: Collect } {
  return { stdout: new Collect(), stderr: new Collect(), stderrIsTTY: false };
}

// ---- a real etcd server for a suite: Debian's etcd-server on free loopback ports with a temp data
// dir, ready once its /health says so, killed by PID. kill() and start() again keep the ports and
// the data dir, as an operator restarting etcd would.

export interface EtcdServer {
  /** `http://127.0.0.1:<port>`: what `--etcd` takes. */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Starts it (again) and resolves once /health answers true. */
  start(): Promise<void>;
  /** SIGKILL by PID; resolves once it is gone. */
  kill(): Promise<void>;
  /** kill() and remove the data dir. */
  close(): Promise<void>;
}

/**
 * The path of the etcd binary, or throws a message that says how to get it. The suite fails
 * rather than skips without one, with or without CI: a skipped etcd suite reads as a passing one.
 */
export function etcdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(`no etcd binary on PATH${process.env.CI ? ' (CI is set)' : ''}: install Debian's etcd-server (apt-get install -y etcd-server; .ci/run does this)`);
  }
  return path;
}


export async function startEtcd(): Promise<EtcdServer> {
  const bin = etcdBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'kmt-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const server: EtcdServer = {
    endpoint,
    get pid() {
      return proc?.pid;
    },
    async start() {
      output = '';
      // Short heartbeat and election timeout: a one-member cluster elects itself in ~0.1 s.
      const p = spawn(
        bin,
        [
          '--name', 'kmt-test',
          '--data-dir', dataDir,
          '--listen-client-urls', endpoint,
          '--advertise-client-urls', endpoint,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', `kmt-test=${peer}`,
          '--heartbeat-interval', '20',
          '--election-timeout', '200',
          '--logger', 'zap',
          '--log-level', 'warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      proc = p;
      p.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      p.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      exited = new Promise((r) => p.once('exit', () => r()));
      let dead = false;
      void exited.then(() => (dead = true));
      const end = Date.now() + 20_000;
      while (!(await healthy(endpoint))) {
        if (dead) throw new Error(`etcd exited during startup: ${output}`);
        if (Date.now() > end) throw new Error(`etcd was not healthy within 20 s: ${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async kill() {
      const p = proc;
      if (p?.pid !== undefined && p.exitCode === null && p.signalCode === null) {
        process.kill(p.pid, 'SIGKILL');
        await exited;
      }
    },
    async close() {
      await server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** etcd's own readiness: GET /health answers {"health":"true"} once it has a leader. */
function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

// ---- a node made of a raw TCP server (node:net), so a test can send any bytes at all: it reads
// requests itself and, unless a test says otherwise, answers each with `{"t":<token>,"conn":<n>}`
// (the token from `?t=`, n the connection's number) and echoes the gateway's request id.

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** The `t` query parameter, '' when absent. */
  readonly token: string;
  /** The x-kamaitachi-request header, undefined when absent. */
  readonly id: string | undefined;
  readonly body: Buffer;
}

export interface RawConn {
  /** 1 for the first connection the node accepted, 2 for the next, ... */
  readonly n: number;
  readonly socket: Socket;
  /** Requests received on this connection. */
  readonly requests: RawRequest[];
  closed: boolean;
}

/** Answers `req` on `conn` itself; returns false to get the normal answer instead. */
export type Behaviour = (conn: RawConn, req: RawRequest) => boolean | void;
/** Called when a connection opens, before any request. */
export type OnOpen = (conn: RawConn) => void;

export interface RawNode {
  readonly url: string;
  readonly conns: RawConn[];
  close(): Promise<void>;
}

/** A complete HTTP/1.1 answer with a content-length; `echo` adds the request id header. */
export function answer(body: string, echo?: string, extra = ''): string {
  const idLine = echo === undefined ? '' : `x-kamaitachi-request: ${echo}\r\n`;
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${idLine}${extra}\r\n${body}`;
}

/** The normal answer to `req` on `conn`. */
export function normal(conn: RawConn, req: RawRequest): string {
  return answer(JSON.stringify({ t: req.token, conn: conn.n }), req.id);
}

export async function startRawNode(behave: Behaviour = () => false, onOpen: OnOpen = () => {}): Promise<RawNode> {
  const conns: RawConn[] = [];
  const server: NetServer = createNetServer((socket) => {
    const conn: RawConn = { n: conns.length + 1, socket, requests: [], closed: false };
    conns.push(conn);
    socket.on('close', () => (conn.closed = true));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = buf.toString('latin1', 0, end).split('\r\n');
        const [method, target] = lines[0].split(' ');
        const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers.get('content-length') ?? 0);
        if (buf.length < end + 4 + length) return;
        const url = new URL(target, 'http://x');
        const req: RawRequest = { method, path: url.pathname, token: url.searchParams.get('t') ?? '', id: headers.get('x-kamaitachi-request'), body: buf.subarray(end + 4, end + 4 + length) };
        buf = buf.subarray(end + 4 + length);
        conn.requests.push(req);
        if (behave(conn, req) !== true && !socket.destroyed) socket.write(normal(conn, req));
      }
    });
    onOpen(conn);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    conns,
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.socket.destroy();
        server.close(() => r());
      }),
  };
}
