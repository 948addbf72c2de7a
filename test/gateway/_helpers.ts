// Shared helpers of the gateway and cluster tests: fake slaves speaking the SPEC wire format
// (with failures on demand), a gateway on port 0, and small HTTP helpers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GEN_DEFAULTS, generateDatabase } from '../../src/gendata/generate';
import { resolveGatewayConfig, type GatewayConfig } from '../../src/config/gateway';
import type { Member, MembershipSource, MembersListener, MembershipStatus } from '../../src/cluster/membership';
import { createGateway, type GatewayParts } from '../../src/gateway/gateway';
import type { HashFn } from '../../src/gateway/ring';
import { startHttpServer, type RunningServer } from '../../src/http/server';
import { silentLogger } from '../../src/shared/logger';
import { DATA_ROUTES, HEALTH } from '../../src/shared/routes';

export const SNAPSHOT = DATA_ROUTES.snapshot;
export const PERIOD = DATA_ROUTES.period;
export const STATS = DATA_ROUTES.stats;

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

/** A stand-in slave: snapshot/period over `fakeDataset()` sorted by the SPEC rule, stats, health. */
export async function startFakeSlave(name: string, data: FakeRow[] = fakeDataset()): Promise<FakeSlave> {
  const bySubject = new Map(data.map((r) => [r.subject, r]));
  const hanging = new Set<ServerResponse>();
  const fake: Omit<FakeSlave, 'url' | 'close'> & { url: string; close(): Promise<void> } = {
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
          return send(res, 503, { status_code: 503, status_msg: `${name} is unavailable` });
        case 'fail500':
          return send(res, 500, { status_code: 500, status_msg: `${name} failed` });
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
      const path = (req.url ?? '').split('?')[0].replace(/(.)\/$/, '$1');
      if (path === HEALTH) return send(res, 200, { status: 'ok', name });
      if (path === DATA_ROUTES.cacheReset) {
        fake.stats = { ...fake.stats, hits: 0, misses: 0 };
        return send(res, 200, ok({ reset: true }));
      }
      if (path === STATS) return send(res, 200, { status_code: 0, status_msg: 'success', data: { name, cache: { ...fake.stats, hit_rate: 0 } } });
      let q: Record<string, unknown>;
      try {
        q = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return send(res, 400, { status_code: 400, status_msg: 'body must be JSON' });
      }
      if (path === SNAPSHOT) return send(res, 200, ok(snapshot(q, bySubject)));
      if (path === PERIOD) return send(res, 200, ok(period(q, bySubject)));
      send(res, 404, { status_code: 404, status_msg: `no route ${path}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake as FakeSlave;
}

function ok(data: unknown): unknown {
  return { status_code: 0, status_msg: 'success', data };
}

function send(res: ServerResponse, status: number, obj: unknown): void {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function list(v: unknown): string[] {
  const raw = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? (v as string[]) : [];
  return [...new Set(raw.map((s) => s.trim()).filter(Boolean))];
}

function subjectOf(r: FakeRow): unknown {
  return { subject: r.subject, name: r.name, status: 'listed', listing_date: null, category: 'stock' };
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

function period(q: Record<string, unknown>, bySubject: Map<string, FakeRow>): unknown[] {
  const ids = list(q.ids);
  return list(q.subjects)
    .map((s) => bySubject.get(s))
    .filter((r): r is FakeRow => r !== undefined)
    .map((r) => ({ subject: subjectOf(r), data: [{ end_date: '2023-09-30', period: '596003', year: '2023', ...Object.fromEntries(ids.map((id) => [id, r.values[id] ?? null])), combine: `${r.subject}:2023_596003` }] }));
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

export interface TestGateway {
  readonly url: string;
  readonly parts: GatewayParts;
  readonly server: RunningServer;
  close(): Promise<void>;
}

/** A gateway on 127.0.0.1:0 over the given membership; `tweak` edits the resolved config. */
export async function startTestGateway(
  membership: MembershipSource,
  tweak: (c: GatewayConfig) => Partial<GatewayConfig> = () => ({}),
  inject: { now?: () => number; hash?: HashFn } = {},
): Promise<TestGateway> {
  const base = resolveGatewayConfig({ nodes: '127.0.0.1:1', port: '0', logLevel: 'silent' });
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

export function members(...slaves: FakeSlave[]): Member[] {
  return slaves.map((s) => ({ id: s.name, addr: s.url }));
}

export interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test answers are inspected field by field
}

/** One request over a fresh connection, body bytes as given. */
export function http(method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(url, {
      method,
      agent: false,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
    });
    req.end(payload);
  });
}

export function post(url: string, body: unknown): Promise<RawAnswer> {
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

/** The built bundle real-process tests run (npm test builds it first); KMT_BUNDLE points elsewhere. */
export const BUNDLE = resolve(process.env.KMT_BUNDLE ?? 'dist/kamaitachi.mjs');

/** Why real-node tests cannot run, or undefined when they can: the bundle must have a working data node. */
export function realNodesUnavailable(): string | undefined {
  if (!existsSync(BUNDLE)) return 'dist/kamaitachi.mjs is missing; run node build.mjs';
  const r = spawnSync(process.execPath, [BUNDLE, 'slave', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /--db/.test(r.stdout) ? undefined : 'the bundle has no working slave role yet';
}

/** A small sample database (120 companies, 2021-2023) in a fresh temp directory. */
export async function makeTestDb(stocks = 120): Promise<{ dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmt-gw-'));
  const db = join(dir, 'finance.db');
  await generateDatabase({ ...GEN_DEFAULTS, out: db, stocks, startYear: 2021, endYear: 2023 });
  return { dir, db };
}

export interface NodeProcess {
  readonly url: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Sends `signal` to its PID unless it already exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** `kamaitachi <role> ...args` from the bundle on a free port; resolves once it logs "listening". */
export async function startNodeProcess(role: 'master' | 'slave', args: string[]): Promise<NodeProcess> {
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

/** True while a process with this PID exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
