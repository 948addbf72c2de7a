// Puts the gateway's stages together behind one Router: /data/* through the in-flight limit ->
// rate limit -> ring -> breaker -> upstream (hedged reads), plus stats fan-in, cache reset
// fan-out and the monitor endpoints; the health checker and outlier ejection keep the ring to
// the nodes that answer. Tests build one with a test membership, clock and hash; the gateway
// role serves it.
import { performance } from 'node:perf_hooks';
import type { GatewayConfig } from '../config/gateway';
import type { MembershipSource } from '../cluster/membership';
import { Router } from '../http/router';
import type { Logger } from '../shared/logger';
import { DATA_ROUTES, GATEWAY_DATA_PREFIX } from '../shared/routes';
import { Nodes } from './nodes';
import { GatewayCounters } from './counters';
import { resetHandler, statsHandler } from './fanOut';
import { Forwarder } from './forward';
import { MasterForwarder } from './masterForward';
import { replicationStatus } from './replicationStatus';
import { AccessPolicy } from '../http/access';
import { HealthChecker } from './HealthChecker';
import { limitInflight } from './inflight';
import { createMetrics } from './metrics';
import { mountMonitorRoutes } from './monitorRoutes';
import { dataProxy } from './proxy';
import { RateLimiter } from './rateLimit';
import { StatusFeed } from './ui/statusFeed';
import { mountUiRoutes } from './ui/uiRoutes';
import { RequestInfoCache } from './requestInfo';
import { HashRing, type HashFn } from './ring';
import { UpstreamPool } from './upstream';
import { HotCache } from './hot/HotCache';
import { HotFeed } from './hot/HotFeed';

export interface GatewayParts {
  readonly router: Router;
  readonly nodes: Nodes;
  readonly counters: GatewayCounters;
  /** The status page's sampler (GET /ui); idle until the page or its data is first requested. */
  readonly feed: StatusFeed;
  /** Active health checks of every member (running unless [gateway] health_interval_ms is 0). */
  readonly health: HealthChecker;
  /** Requests to /data/* being served now. */
  inflight(): number;
  /** The write primary: --master / [cluster] master, else as the membership (etcd) names it now. */
  master(): string | undefined;
  /** The hot cache and the feed follower keeping it fresh; undefined with [gateway] hot_cache_bytes = 0. */
  readonly hot: { readonly cache: HotCache; readonly feed: HotFeed } | undefined;
  /** Stops following membership and closes every upstream connection. */
  close(): void;
}

export interface GatewayOptions {
  readonly config: GatewayConfig;
  readonly membership: MembershipSource;
  readonly logger: Logger;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
  /** Injected for tests. Default fnv1aMix (see ring.ts). */
  readonly hash?: HashFn;
}

export function createGateway(opts: GatewayOptions): GatewayParts {
  const { config, membership, logger } = opts;
  const now = opts.now ?? Date.now;
  const counters = new GatewayCounters();
  const pool = new UpstreamPool({
    timeoutMs: config.upstreamTimeoutMs,
    maxSockets: config.maxSockets,
    maxWaiting: config.maxWaiting,
    waitTimeoutMs: config.waitTimeoutMs,
    maxAnswerBytes: config.maxAnswerBytes,
  });
  // Health and ejection events go to the status page's log; the feed is created below.
  let feed: StatusFeed | undefined;
  const nodes = new Nodes({
    ring: new HashRing({ virtualNodes: config.virtualNodes, hash: opts.hash }),
    pool,
    breaker: config.breaker,
    ejection: config.ejection,
    health: config.health,
    hedgeAfter: config.hedgeAfter,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    logger,
    onEvent: (kind, id, text) => feed?.event(kind, id, text),
    now,
  });
  nodes.follow(membership);
  const health = new HealthChecker(nodes, config.health);
  const forwarder = new Forwarder(nodes, pool, counters, config.hedgeAfter !== 'off');
  const infos = new RequestInfoCache();
  const limiter = new RateLimiter(config.rateLimit, now);
  // The write primary: fixed, or as the membership (etcd's `<prefix>master`) names it now.
  const masterUrl = (): string | undefined => config.master ?? membership.status().master;
  const toMaster = new MasterForwarder({ master: masterUrl, access: new AccessPolicy(config.token), counters });
  const hot = config.hotCacheBytes > 0 ? hotCache(config, masterUrl, logger) : undefined;

  const router = new Router();
  router.get(DATA_ROUTES.stats, statsHandler(nodes, pool, hot && (() => hotStats(hot))));
  router.post(DATA_ROUTES.cacheReset, resetHandler(nodes, pool, hot && (() => hot.cache.clear())));
  const proxy = dataProxy({ limiter, nodes, forwarder, counters, routing: config.routing, maxBodyBytes: config.maxBodyBytes, logger, infos, toMaster: toMaster.handler(GATEWAY_DATA_PREFIX), hot: hot?.cache });
  const limit = limitInflight(proxy, config.maxInflight, counters);
  router.add('ANY', `${GATEWAY_DATA_PREFIX}/*`, limit.handler);
  mountMonitorRoutes(router, {
    nodes,
    membership,
    counters,
    metrics: createMetrics(counters, nodes, hot),
    infos,
    routing: config.routing,
    startedAt: now(),
    replication: replicationStatus(nodes, pool, masterUrl),
    hot: hot && (() => hotStats(hot)),
  });
  feed = new StatusFeed({
    nodes,
    membership,
    counters,
    routing: config.routing,
    startedAt: now(),
    now,
    memberFlags: (id) => (nodes.get(id)?.ejectedUntil ? { ejected: true } : undefined),
  });
  mountUiRoutes(router, feed);
  health.start();
  hot?.feed.start();

  const parts: GatewayParts = {
    router,
    nodes,
    counters,
    feed,
    health,
    inflight: limit.inflight,
    master: masterUrl,
    hot,
    close() {
      void hot?.feed.stop();
      parts.feed.stop();
      health.stop();
      nodes.stop();
      pool.close();
      toMaster.close();
    },
  };
  return parts;
}

function hotCache(config: GatewayConfig, master: () => string | undefined, logger: Logger): { cache: HotCache; feed: HotFeed } {
  const cache = new HotCache({ maxBytes: config.hotCacheBytes, now: () => performance.now() });
  const feed = new HotFeed({ cache, master, token: config.token, logger });
  return { cache, feed };
}

/** The hot cache's counters and its feed position, for /stats and /monitor/status. */
export function hotStats(hot: { cache: HotCache; feed: HotFeed }): Record<string, unknown> {
  return { ...hot.cache.stats(), feed: hot.feed.status() };
}
