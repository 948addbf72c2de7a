// The data-node API of SPEC section 3 on the wire: paths, query strings and envelopes. What a
// query means is QueryEngine's business; this file only moves bytes in and out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectBody, DEFAULT_BODY_LIMIT, readBody } from './body';
import { sendError, sendJson, sendOk, sendText } from './envelope';
import type { Router } from './router';
import type { QueryEngine } from '../query/QueryEngine';
import { isKmtError, KmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { Registry } from 'prom-client';
import { sendAnswer, staleError, type ReplicaState } from './replicaState';

export const API = '/kamaitachi/api/data/v1';

export interface NodeIdentity {
  /** Known once the port is bound (a node started on port 0 is named after its port). */
  readonly node: () => string;
  readonly role: string;
  readonly url: () => string;
  readonly startedAt: number;
  /** The node's replication state; absent on a node without a DurableStore (tests). */
  readonly replica?: ReplicaState;
}

export function mountDataRoutes(router: Router, engine: QueryEngine, id: NodeIdentity, metrics: Registry, logger: Logger): void {
  const replica = id.replica;
  // The hot path: no promises, the stored answer bytes written as they are.
  const answer = (run: (raw: Buffer) => Buffer) => (req: IncomingMessage, res: ServerResponse) =>
    collectBody(req, DEFAULT_BODY_LIMIT, (err, raw) => {
      if (err) return sendError(res, err);
      if (replica && !replica.readable()) return sendError(res, staleError());
      let out: Buffer;
      try {
        out = run(raw);
      } catch (e) {
        if (!isKmtError(e)) logger.error({ err: e, url: req.url }, 'request failed');
        return sendError(res, e);
      }
      if (replica) sendAnswer(res, out, replica.seq);
      else sendJson(res, 200, out);
    });
  router.post(`${API}/snapshot`, answer((raw) => engine.snapshot(raw)));
  router.post(`${API}/period`, answer((raw) => engine.period(raw)));

  router.get(`${API}/stats`, (_req, res) => sendOk(res, nodeStats(engine, id)));

  router.post(`${API}/cache/reset`, async (req, res) => {
    const raw = await readBody(req, 4096);
    const clear = new URL(req.url ?? '/', 'http://x').searchParams.get('clear') === 'true' || /"clear"\s*:\s*true/.test(raw.toString('utf8'));
    const cleared = clear ? engine.cache.entries : 0;
    if (clear) engine.cache.clear();
    engine.stats.reset();
    sendOk(res, { reset: true, cleared });
  });

  router.get(`${API}/subjects`, (req, res) => {
    if (replica && !replica.readable()) throw staleError();
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const offset = intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(params, 'limit', 1000, 1, 10_000);
    const topic = params.get('topic');
    const dir = engine.store.directory;
    const all = topic ? dir.inTopic(topic) : dir.subjects;
    sendOk(res, { total: all.length, offset, limit, topic: topic ?? null, subjects: all.slice(offset, offset + limit) });
  });

  router.get('/health', (_req, res) =>
    sendJson(res, 200, JSON.stringify({ status: 'ok', role: id.role, node: id.node(), subjects: engine.store.directory.size })),
  );

  router.get('/metrics', async (_req, res) => sendText(res, 200, metrics.contentType, await metrics.metrics()));
}

export function nodeStats(engine: QueryEngine, id: NodeIdentity) {
  const { stats, cache, store } = engine;
  return {
    node: id.node(),
    role: id.role,
    addr: id.url(),
    db: store.path,
    uptime_s: Math.round((Date.now() - id.startedAt) / 1000),
    ...(id.replica ? replicationFields(id.replica) : {}),
    total_records: store.totalRecords,
    stock_count: store.directory.size,
    indicators: store.schema.indicators,
    topics: store.directory.topics(),
    cache: {
      entries: cache.entries,
      bytes: cache.bytes,
      max_bytes: cache.maxBytes,
      hits: stats.hits,
      misses: stats.misses,
      hit_rate: stats.hitRate(),
      view_builds: stats.viewBuilds,
      evictions: cache.evictions,
      sql_loads: store.sqlLoads,
      data_bytes: store.dataBytes,
    },
  };
}

/** seq, applied_seq and lag at the top level, the details under `replication`. */
function replicationFields(replica: ReplicaState) {
  const { seq, applied_seq, lag, ...replication } = replica.stats();
  return { seq, applied_seq, lag, replication };
}

function intParam(params: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = params.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new KmtError('KMT_BAD_RANGE', `${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}
