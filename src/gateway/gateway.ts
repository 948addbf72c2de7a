// Puts the gateway's stages together behind one Router: /data/* through rate limit -> ring ->
// breaker -> upstream, plus stats fan-in, cache reset fan-out and the monitor endpoints.
// Tests build one with a test membership, clock and hash; the gateway role serves it.
import type { GatewayConfig } from '../config/gateway';
import type { MembershipSource } from '../cluster/membership';
import { Router } from '../http/router';
import type { Logger } from '../shared/logger';
import { Backends } from './backends';
import { GatewayCounters } from './counters';
import { resetHandler, statsHandler, RESET_PATH, STATS_PATH } from './fanOut';
import { Forwarder } from './forward';
import { MasterForwarder } from './masterForward';
import { replicationStatus } from './replicationStatus';
import { AccessPolicy } from '../http/access';
import { createMetrics } from './metrics';
import { mountMonitorRoutes } from './monitorRoutes';
import { DATA_PREFIX, dataProxy } from './proxy';
import { RateLimiter } from './rateLimit';
import { RequestInfoCache } from './requestInfo';
import { HashRing, type HashFn } from './ring';
import { UpstreamPool } from './upstream';

export interface GatewayParts {
  readonly router: Router;
  readonly backends: Backends;
  readonly counters: GatewayCounters;
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
  const pool = new UpstreamPool({ timeoutMs: config.upstreamTimeoutMs, maxSockets: config.maxSockets });
  const backends = new Backends({ ring: new HashRing({ virtualNodes: config.virtualNodes, hash: opts.hash }), pool, breaker: config.breaker, logger, now });
  backends.follow(membership);
  const forwarder = new Forwarder(backends, pool, counters, now);
  const infos = new RequestInfoCache();
  const limiter = new RateLimiter(config.rateLimit, now);
  const toMaster = new MasterForwarder({ master: config.master, access: new AccessPolicy(config.token), counters });

  const router = new Router();
  router.get(STATS_PATH, statsHandler(backends, pool));
  router.post(RESET_PATH, resetHandler(backends, pool));
  router.add('ANY', `${DATA_PREFIX}/*`, dataProxy({ limiter, backends, forwarder, counters, routing: config.routing, maxBodyBytes: config.maxBodyBytes, logger, infos, toMaster: toMaster.handler(DATA_PREFIX) }));
  mountMonitorRoutes(router, {
    backends,
    membership,
    counters,
    metrics: createMetrics(counters, backends),
    infos,
    routing: config.routing,
    startedAt: now(),
    replication: replicationStatus(backends, pool, config.master),
  });

  return {
    router,
    backends,
    counters,
    close() {
      backends.stop();
      pool.close();
      toMaster.close();
    },
  };
}
