// Requests the gateway answers by asking every node: aggregated stats (per slave and summed)
// and the cache reset sent to all of them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from '../http/router';
import { readBody } from '../http/body';
import { sendOk } from '../http/send';
import { KmtError } from '../shared/errors';
import { DATA_ROUTES } from '../shared/routes';
import type { NodeState, Nodes } from './nodes';
import { UpstreamError, type UpstreamPool } from './upstream';

/** A fan-out must answer even when one slave hangs. */
const FAN_OUT_TIMEOUT_MS = 2000;

/** Cache counters that add up across slaves; hit_rate is recomputed from the sums. */
const SUMMED = ['entries', 'bytes', 'max_bytes', 'hits', 'misses', 'evictions'] as const;

interface NodeResult {
  readonly node: NodeState;
  readonly status?: number;
  readonly data?: Record<string, unknown>;
  readonly error?: string;
}

/** `hot`: the gateway's own hot cache figures, shown as `hot_cache` (absent when it is off). */
export function statsHandler(nodes: Nodes, pool: UpstreamPool, hot?: () => Record<string, unknown>): Handler {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    const results = await askAll(nodes, pool, 'GET', DATA_ROUTES.stats, undefined);
    const aggregate: Record<string, number> = Object.fromEntries(SUMMED.map((k) => [k, 0]));
    let ok = 0;
    for (const r of results) {
      const cache = (r.data?.cache ?? undefined) as Record<string, unknown> | undefined;
      if (!cache) continue;
      ok++;
      for (const k of SUMMED) if (typeof cache[k] === 'number') aggregate[k] += cache[k] as number;
    }
    const lookups = aggregate.hits + aggregate.misses;
    aggregate.hit_rate = lookups === 0 ? 0 : Math.round((aggregate.hits / lookups) * 10_000) / 100;
    sendOk(res, {
      nodes: results.map((r) => r.node.addr),
      count: results.length,
      answered: ok,
      per_node: results.map((r) => ({ id: r.node.id, addr: r.node.addr, ok: r.data !== undefined, ...(r.data ? { stats: r.data } : { error: r.error }) })),
      aggregate,
      ...(hot ? { hot_cache: hot() } : {}),
    });
  };
}

/** `clearOwn`: the gateway's own hot cache, emptied with the slaves' caches. */
export function resetHandler(nodes: Nodes, pool: UpstreamPool, clearOwn?: () => void): Handler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, 64 * 1024);
    clearOwn?.();
    const results = await askAll(nodes, pool, 'POST', DATA_ROUTES.cacheReset, body);
    if (results.length === 0) throw new KmtError('KMT_UNAVAILABLE', 'no slave is known, so no cache was reset');
    const failed = results.filter((r) => r.data === undefined);
    if (failed.length > 0) {
      const what = failed.map((r) => `${r.node.id} (${r.node.addr}): ${r.error}`).join('; ');
      throw new KmtError('KMT_BAD_GATEWAY', `cache reset failed on ${failed.length} of ${results.length} slaves: ${what}`);
    }
    sendOk(res, { count: results.length, per_node: results.map((r) => ({ id: r.node.id, addr: r.node.addr, ok: true, result: r.data })) });
  };
}

function askAll(nodes: Nodes, pool: UpstreamPool, method: string, path: string, body: Buffer | undefined): Promise<NodeResult[]> {
  return Promise.all(nodes.all().map((n) => askOne(n, pool, method, path, body)));
}

async function askOne(node: NodeState, pool: UpstreamPool, method: string, path: string, body: Buffer | undefined): Promise<NodeResult> {
  try {
    const answer = await pool.call(node.addr, method, path, body, 'application/json', FAN_OUT_TIMEOUT_MS);
    const env = JSON.parse(answer.body.toString('utf8')) as { status_msg?: string; data?: unknown };
    if (answer.status !== 200) return { node, status: answer.status, error: `answered ${answer.status}: ${env.status_msg ?? ''}` };
    const data = env.data && typeof env.data === 'object' ? (env.data as Record<string, unknown>) : {};
    return { node, status: answer.status, data };
  } catch (err) {
    const error = err instanceof UpstreamError ? `${err.kind}: ${err.message}` : `unreadable answer: ${(err as Error).message}`;
    return { node, error };
  }
}
