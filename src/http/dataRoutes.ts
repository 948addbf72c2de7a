// The data-node API (docs/api.md, Data node) on the wire: paths, query strings and envelopes. What a
// query means is QueryEngine's business; this file only moves bytes in and out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectBody, DEFAULT_BODY_LIMIT, readBody } from './body';
import { sendError, sendJson, sendOk, sendText } from './send';
import type { Router } from './router';
import type { QueryEngine } from '../query/QueryEngine';
import { isKmtError, KmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { DATA_ROUTES, HEALTH, METRICS, SELECTION_ROUTES } from '../shared/routes';
import type { Registry } from 'prom-client';
import { sendAnswer, staleError, type ReplicaState } from './replicaState';

export interface NodeIdentity {
  /** Known once the port is bound (a node started on port 0 is named after its port). */
  readonly node: () => string;
  readonly role: string;
  readonly url: () => string;
  readonly startedAt: number;
  /** The node's replication state; absent on a node without a DurableStore (tests). */
  readonly replica?: ReplicaState;
}

/** `observe` sees every answered snapshot/period body (the status page's subject tally). */
export function mountDataRoutes(router: Router, engine: QueryEngine, id: NodeIdentity, metrics: Registry, logger: Logger, observe?: (raw: Buffer) => void): void {
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
      observe?.(raw);
    });
  router.post(DATA_ROUTES.snapshot, answer((raw) => engine.snapshot(raw)));
  router.post(DATA_ROUTES.period, answer((raw) => engine.period(raw)));
  router.post(SELECTION_ROUTES.snapshot, answer((raw) => engine.selectionSnapshot(raw)));
  router.post(SELECTION_ROUTES.period, answer((raw) => engine.selectionPeriod(raw)));

  router.get(DATA_ROUTES.stats, (_req, res) => sendOk(res, nodeStats(engine, id)));

  router.post(DATA_ROUTES.cacheReset, async (req, res) => {
    const raw = await readBody(req, 4096);
    const clear = new URL(req.url ?? '/', 'http://x').searchParams.get('clear') === 'true' || /"clear"\s*:\s*true/.test(raw.toString('utf8'));
    sendOk(res, { reset: true, cleared: engine.resetCounters({ clear }) });
  });

  router.get(DATA_ROUTES.subjects, (req, res) => {
    if (replica && !replica.readable()) throw staleError();
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const offset = intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(params, 'limit', 1000, 1, 10_000);
    const topic = params.get('topic');
    const { total, subjects } = engine.subjects(topic ?? undefined, offset, limit);
    sendOk(res, { total, offset, limit, topic: topic ?? null, subjects });
  });

  router.get(HEALTH, (_req, res) =>
    sendJson(res, 200, JSON.stringify({ status: 'ok', role: id.role, node: id.node(), subjects: engine.stats().subjects })),
  );

  router.get(METRICS, async (_req, res) => sendText(res, 200, metrics.contentType, await metrics.metrics()));
}

export function nodeStats(engine: QueryEngine, id: NodeIdentity) {
  const s = engine.stats();
  return {
    node: id.node(),
    role: id.role,
    addr: id.url(),
    db: s.db,
    uptime_s: Math.round((Date.now() - id.startedAt) / 1000),
    ...(id.replica ? replicationFields(id.replica) : {}),
    total_records: s.totalRecords,
    stock_count: s.subjects,
    indicators: s.indicators,
    topics: s.topics,
    report_versions: s.reportVersions,
    subject_tags: s.subjectTags,
    datainfo_entities: s.seriesEntities,
    cache: {
      entries: s.cache.entries,
      bytes: s.cache.bytes,
      max_bytes: s.cache.maxBytes,
      hits: s.cache.hits,
      misses: s.cache.misses,
      hit_rate: s.cache.hitRate,
      view_builds: s.cache.viewBuilds,
      evictions: s.cache.evictions,
      data_bytes: s.dataBytes,
    },
    memory: processMemory(),
  };
}

/** The process's memory in bytes, so the cache budget can be read against what the node holds. */
function processMemory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heap_used: m.heapUsed, heap_total: m.heapTotal, external: m.external, array_buffers: m.arrayBuffers };
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
