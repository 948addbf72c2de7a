// Shared test helpers: temp dirs, generated databases, in-process nodes on port 0, spawned
// bundle processes (killed by PID in teardown), and small HTTP helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Database } from 'sql.js';
import { resolveNodeConfig, type NodeFlags, type NodeRole } from '../src/config/node';
import { generateDatabase } from '../src/gendata/generate';
import { startDataNode, type RunningNode } from '../src/roles/node';
import { silentLogger } from '../src/shared/logger';
import { DATA_API } from '../src/shared/routes';
import { loadSqlJs } from '../src/store/sqljs';

export const API = DATA_API;
export const BUNDLE = join(import.meta.dirname, '..', 'dist', 'kamaitachi.mjs');

export function tempDir(t: { after(fn: () => void): void }): string {
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

/** Starts a data node in this process on 127.0.0.1:0; closed in teardown. */
export async function startNode(
  t: { after(fn: () => Promise<void> | void): void },
  flags: NodeFlags & { role?: NodeRole },
): Promise<RunningNode> {
  const config = resolveNodeConfig(flags.role ?? 'slave', { port: '0', snapshot: 'none', ...flags });
  const node = await startDataNode(config, silentLogger);
  t.after(() => node.close());
  return node;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // Answers are JSON of many shapes; tests index into them freely.
  json: any;
}

export function httpRequest(url: string, opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers: { 'content-type': 'application/json', ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function post(base: string, path: string, body: unknown): Promise<HttpAnswer> {
  return httpRequest(base + path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
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
export function spawnBundle(t: { after(fn: () => Promise<void> | void): void }, args: string[]): Promise<Spawned> {
  const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { event?: string; url?: string };
        if (rec.event === 'listening' && rec.url) resolve({ child, url: rec.url, lines, exited });
      } catch {
        /* not a log line */
      }
    });
    void exited.then((code) => reject(new Error(`process exited with ${code} before listening: ${stderr.slice(-500)}`)));
  });
}
