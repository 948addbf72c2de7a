// Shared helpers for the bench tests: a fake data node on port 0 with scripted failures, a
// port nothing listens on, and a stream that collects what is written to it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { BenchIo } from '../../src/roles/loadgen';
import { DATA_ROUTES, HEALTH } from '../../src/shared/routes';

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

/** A node:http server speaking enough of the SPEC data-node API for the bench. */
export async function startFakeNode(o: FakeNodeOptions = {}): Promise<FakeNode> {
  let n = 0;
  let hits = 0;
  let misses = 0;
  const seen = new Set<string>();
  const bodies: string[] = [];
  const json = (res: ServerResponse, status: number, data: unknown) => {
    const body = JSON.stringify({ status_code: status === 200 ? 0 : status, status_msg: status === 200 ? 'success' : 'scripted failure', data });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === HEALTH) return json(res, 200, undefined);
      if (path.endsWith(DATA_ROUTES.subjects)) {
        const subjects = o.subjects ?? FAKE_SUBJECTS;
        return json(res, 200, { total: subjects.length, offset: 0, limit: 1000, subjects });
      }
      if (path.endsWith(DATA_ROUTES.stats)) {
        const rate = hits + misses === 0 ? 0 : (hits / (hits + misses)) * 100;
        return json(res, 200, { indicators: o.indicators ?? ['operating_income', 'parent_holder_net_profit', 'net_profit', 'total_profit'], cache: { hits, misses, hit_rate: rate } });
      }
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
      if (o.chunked) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.write('{"status_code":0,');
        res.end('"status_msg":"success","data":[]}');
        return;
      }
      json(res, status, []);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    dataRequests: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that refuses connections: bound once to find it free, then released. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Quiet I/O for runLoadgen: stdout and stderr collected, no TTY. */
export function quietIo(): BenchIo & { stdout: Collect; stderr: Collect } {
  return { stdout: new Collect(), stderr: new Collect(), stderrIsTTY: false };
}
