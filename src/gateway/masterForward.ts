// Writes and cluster calls through the gateway (docs/replication.md, "Writes (API)"): /data/<write route> and
// /data/kamaitachi/api/cluster/* go to the master, never to a slave, and are never hedged or
// retried once sent (a write may have been applied even when its answer was lost). The gateway
// applies the same access rule as the nodes, then passes the Authorization header on. Bodies and
// answers are streamed, so a long-polled feed or a streamed dump passes through as well.
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AccessPolicy } from '../http/access';
import type { Handler } from '../http/router';
import { sendError } from '../http/send';
import { KmtError } from '../shared/errors';
import type { GatewayCounters } from './counters';
import { CLUSTER_API, WRITE_PREFIXES, WRITE_ROUTES } from '../shared/routes';

const WRITES = new Set(WRITE_ROUTES);
const CLUSTER_PREFIX = `${CLUSTER_API}/`;
/** Request headers passed on; hop-by-hop ones are not. */
const PASSED_REQUEST = ['content-type', 'content-length', 'authorization', 'accept'];
/** Answer headers passed back. */
const PASSED_ANSWER = ['content-type', 'content-length', 'x-kamaitachi-seq', 'x-kamaitachi-dataset', 'www-authenticate', 'retry-after'];

/** True for the routes (after the /data prefix) that only the master answers. */
export function isMasterRoute(route: string): boolean {
  return WRITES.has(route.endsWith('/') ? route.slice(0, -1) : route) || route.startsWith(CLUSTER_PREFIX) || WRITE_PREFIXES.some((p) => route.startsWith(p));
}

export interface MasterForwardOptions {
  /**
   * The master's base URL as known now: fixed (--master), or as etcd publishes it; undefined
   * when the gateway runs on a static slave list or etcd names none yet.
   */
  readonly master: () => string | undefined;
  readonly access: AccessPolicy;
  readonly counters: GatewayCounters;
  /**
   * Idle deadline of one forwarded call. Long: a replicated write waits up to the replication
   * timeout and a feed poll is held up to 30 s. Default 60 s.
   */
  readonly timeoutMs?: number;
}

export class MasterForwarder {
  readonly #o: MasterForwardOptions;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(o: MasterForwardOptions) {
    this.#o = o;
  }

  /** The handler for one master route; `prefix` is stripped from the path. */
  handler(prefix: string): Handler {
    return (req, res) => this.#forward(req, res, (req.url ?? '/').slice(prefix.length));
  }

  close(): void {
    this.#agent.destroy();
  }

  #forward(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { access, counters } = this.#o;
    const master = this.#o.master();
    counters.to_master++;
    const fail = (err: unknown): void => {
      counters.answered((err as KmtError).status ?? 500);
      req.resume();
      sendError(res, err);
    };
    try {
      access.check(req);
    } catch (err) {
      if ((err as KmtError).status === 401) res.setHeader('www-authenticate', 'Bearer realm="kamaitachi"');
      return fail(err);
    }
    if (!master) {
      return fail(new KmtError('KMT_UNAVAILABLE', 'this gateway knows no master (none given with [cluster] master / --master, and none published in etcd), so it cannot take writes or cluster calls; send them to the master'));
    }
    const headers: Record<string, string> = {};
    for (const h of PASSED_REQUEST) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    let sent = false;
    const up = request(`${master}${path}`, { method: req.method, headers, agent: this.#agent, timeout: this.#o.timeoutMs ?? 60_000 });
    up.once('socket', (socket) => {
      if (!socket.connecting) sent = true;
      else socket.once('connect', () => (sent = true));
    });
    up.once('timeout', () => up.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    up.once('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) return res.destroy();
      const code = err.code ?? err.message;
      // Refused: the request never left. Otherwise it may have reached the master.
      const outcome = err.code === 'ECONNREFUSED' || !sent ? 'nothing was applied' : 'the write may or may not have been applied (upserts and deletes can be repeated safely)';
      fail(new KmtError(err.code === 'ETIMEDOUT' ? 'KMT_GATEWAY_TIMEOUT' : 'KMT_BAD_GATEWAY', `cannot complete the call to the master at ${master} (${code}); ${outcome}`));
    });
    up.once('response', (answer) => {
      const out: Record<string, string> = {};
      for (const h of PASSED_ANSWER) {
        const v = answer.headers[h];
        if (typeof v === 'string') out[h] = v;
      }
      counters.answered(answer.statusCode ?? 502);
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }
}
