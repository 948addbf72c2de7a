// Puts the gateway's stages together behind one Router: /data/* through rate limit -> ring ->
// breaker -> upstream, plus stats fan-in, cache reset fan-out and the monitor endpoints.
// Tests build one with a test membership, clock and hash; the gateway role serves it.
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
import { createMetrics } from './metrics';
import { mountMonitorRoutes } from './monitorRoutes';
import { dataProxy } from './proxy';
import { RateLimiter } from './rateLimit';
import { StatusFeed } from './ui/statusFeed';
import { mountUiRoutes } from './ui/uiRoutes';
import { RequestInfoCache } from './requestInfo';
import { HashRing, type HashFn } from './ring';
import { UpstreamPool } from './upstream';

export interface GatewayParts {
  readonly router: Router;
  readonly nodes: Nodes;
  readonly counters: GatewayCounters;
  /** The status page's sampler (GET /ui); idle until the page or its data is first requested. */
  readonly feed: StatusFeed;
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
  const nodes = new Nodes({ ring: new HashRing({ virtualNodes: config.virtualNodes, hash: opts.hash }), pool, breaker: config.breaker, logger, now });
  nodes.follow(membership);
  const forwarder = new Forwarder(nodes, pool, counters);
  const infos = new RequestInfoCache();
  const limiter = new RateLimiter(config.rateLimit, now);
  const toMaster = new MasterForwarder({ master: config.master, access: new AccessPolicy(config.token), counters });

  const router = new Router();
  router.get(DATA_ROUTES.stats, statsHandler(nodes, pool));
  router.post(DATA_ROUTES.cacheReset, resetHandler(nodes, pool));
  router.add('ANY', `${GATEWAY_DATA_PREFIX}/*`, dataProxy({ limiter, nodes, forwarder, counters, routing: config.routing, maxBodyBytes: config.maxBodyBytes, logger, infos, toMaster: toMaster.handler(GATEWAY_DATA_PREFIX) }));
  mountMonitorRoutes(router, {
    nodes,
    membership,
    counters,
    metrics: createMetrics(counters, nodes),
    infos,
    routing: config.routing,
    startedAt: now(),
    replication: replicationStatus(nodes, pool, config.master),
  });
  const feed = new StatusFeed({ nodes, membership, counters, routing: config.routing, startedAt: now(), now });
  mountUiRoutes(router, feed);

  return {
    router,
    nodes,
    counters,
    feed,
    close() {
      feed.stop();
      nodes.stop();
      pool.close();
      toMaster.close();
    },
  };
}
