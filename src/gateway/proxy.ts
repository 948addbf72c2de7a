// The /data/* handler: the request path in order — rate limit -> hot cache (hot/HotCache.ts) -> routing key -> (scatter plan)
// -> ring order + breakers + upstream call with failover (forward.ts) -> answer. The `/data`
// prefix is stripped; bodies and answers pass through byte for byte (scatter answers excepted,
// which are merged). Failures are counted, not logged per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoutingMode } from '../config/gateway';
import type { Handler } from '../http/router';
import { readBody } from '../http/body';
import { JSON_TYPE, sendError, sendJson } from '../http/send';
import { KmtError, isKmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { DATA_ROUTES, GATEWAY_DATA_PREFIX, isRead } from '../shared/routes';
import { SEQ_HEADER } from '../http/seqHeader';
import type { Nodes } from './nodes';
import type { GatewayCounters } from './counters';
import type { Forwarder } from './forward';
import { isMasterRoute } from './masterForward';
import type { RateLimiter } from './rateLimit';
import { RequestInfoCache } from './requestInfo';
import { seriesKey } from './seriesKey';
import { HotCache } from './hot/HotCache';
import { hotRoute, hotTags } from './hot/hotTags';
import { MergeError, MergeMemo } from './scatter/merge';
import { ScatterPlanner, type ScatterKind, type ScatterPlan } from './scatter/plan';


export interface DataProxyDeps {
  readonly limiter: RateLimiter;
  readonly nodes: Nodes;
  readonly forwarder: Forwarder;
  readonly counters: GatewayCounters;
  readonly routing: RoutingMode;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly infos?: RequestInfoCache;
  /** Writes and cluster calls: to the master, never a slave (masterForward.ts). */
  readonly toMaster?: Handler;
  /** Finished answers to hot reads, kept fresh from the change feed; undefined = off. */
  readonly hot?: HotCache;
}

export function dataProxy(deps: DataProxyDeps): Handler {
  const { limiter, nodes, forwarder, counters, routing, maxBodyBytes, hot } = deps;
  const infos = deps.infos ?? new RequestInfoCache();
  const planner = new ScatterPlanner(nodes.ring);
  const merges = new MergeMemo();
  const warn = throttledWarn(deps.logger);

  const answerError = (res: ServerResponse, err: unknown): void => {
    const status = isKmtError(err) ? err.status : 500;
    counters.answered(status);
    if (status >= 500) warn(err);
    sendError(res, err);
  };

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    counters.requests++;
    const route = path.slice(GATEWAY_DATA_PREFIX.length);
    if (!limiter.off) {
      const scope = limiter.check(route, req.socket.remoteAddress ?? '');
      if (scope) {
        counters.rate_limited++;
        req.resume();
        const b = limiter.describe(scope);
        res.setHeader('retry-after', '1');
        return answerError(res, new KmtError('KMT_RATE_LIMITED', `rate limit exceeded (${scope} limit: ${b.rps} requests/s, burst ${b.burst}); slow down and retry`));
      }
    }
    if (deps.toMaster && isMasterRoute(route)) return deps.toMaster(req, res, path);
    const method = req.method ?? 'GET';
    const upstreamPath = (req.url ?? path).slice(GATEWAY_DATA_PREFIX.length);
    try {
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, maxBodyBytes);
      const hotKey = hot && hotRoute(method, route) ? HotCache.key(method, upstreamPath, body) : undefined;
      if (hotKey !== undefined) {
        const hit = hot!.get(hotKey);
        if (hit) {
          counters.answered(200);
          // The seq of the feed position: no record up to it changed this answer.
          res.writeHead(200, ['content-type', hit.contentType, 'content-length', hit.length, SEQ_HEADER, hot!.positionText]);
          res.end(hit.body);
          return;
        }
      }
      const info = body ? infos.get(body) : undefined;
      if (routing === 'scatter' && info && info.subjects.length > 1 && method === 'POST') {
        const kind: ScatterKind | undefined = route === DATA_ROUTES.snapshot ? 'snapshot' : route === DATA_ROUTES.period ? 'period' : undefined;
        const plan = kind && planner.plan(info, kind, nodes.version);
        // The merged answer is kept like any other: tagged with every subject of the request.
        const keep = hotKey === undefined ? undefined : (seq: string | undefined, merged: Buffer) => hot!.offer(hotKey, seq, JSON_TYPE, merged, () => hotTags(route, info));
        if (plan) return await scatter(res, plan, upstreamPath, keep);
      }
      const key = info?.key ?? seriesKey(route, info);
      if (key !== undefined) counters.routed_by_subject++;
      else counters.spread++;
      const { answer } = await forwarder.send(key, method, upstreamPath, body, req.headers['content-type'], isRead(method, route));
      counters.answered(answer.status);
      const contentType = answer.contentType ?? 'application/json';
      if (answer.seq !== undefined) res.writeHead(answer.status, ['content-type', contentType, 'content-length', String(answer.body.length), SEQ_HEADER, answer.seq]);
      else res.writeHead(answer.status, ['content-type', contentType, 'content-length', String(answer.body.length)]);
      res.end(answer.body);
      if (hotKey !== undefined && answer.status === 200) hot!.offer(hotKey, answer.seq, contentType, answer.body, () => hotTags(route, info));
    } catch (err) {
      answerError(res, err);
    }
  };

  /** `keep`: offers the merged 200 answer to the hot cache, with the seq it is as fresh as. */
  async function scatter(res: ServerResponse, plan: ScatterPlan, upstreamPath: string, keep?: (seq: string | undefined, merged: Buffer) => void): Promise<void> {
    counters.scattered++;
    counters.scatter_parts += plan.parts.length;
    const results = await Promise.all(plan.parts.map((p) => forwarder.send(p.key, 'POST', upstreamPath, p.body, 'application/json', true)));
    // A part's error (bad ids, bad field) is the caller's error: pass the first one through as is.
    const failed = results.find((r) => r.answer.status !== 200);
    if (failed) {
      counters.answered(failed.answer.status);
      sendJson(res, failed.answer.status, failed.answer.body);
      return;
    }
    let merged: string;
    try {
      merged = merges.merge(
        plan,
        results.map((r) => r.answer.body),
      );
    } catch (err) {
      if (!(err instanceof MergeError)) throw err;
      const names = results.map((r) => `${r.node.id} (${r.node.addr})`).join(', ');
      throw new KmtError('KMT_BAD_GATEWAY', `cannot merge the answers of slaves ${names}: ${err.message}`);
    }
    counters.answered(200);
    // As fresh as its oldest part: the lowest seq of the parts (unknown when one has none).
    const seq = oldestSeq(results.map((r) => r.answer.seq));
    const body = Buffer.from(merged);
    if (seq === undefined) res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(body.length)]);
    else res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(body.length), SEQ_HEADER, seq]);
    res.end(body);
    keep?.(seq, body);
  }
}

/** The lowest of the parts' seq headers, or undefined when a part had none. */
function oldestSeq(seqs: ReadonlyArray<string | undefined>): string | undefined {
  let low: string | undefined;
  for (const s of seqs) {
    if (s === undefined) return undefined;
    if (low === undefined || Number(s) < Number(low)) low = s;
  }
  return low;
}

/** At most one warning a second, with how many were swallowed: an outage must not flood the log. */
function throttledWarn(logger: Logger): (err: unknown) => void {
  let last = 0;
  let swallowed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 1000) {
      swallowed++;
      return;
    }
    last = now;
    logger.warn({ event: 'upstream_failure', err: (err as Error).message, similar_since_last: swallowed }, 'request failed at the gateway');
    swallowed = 0;
  };
}
